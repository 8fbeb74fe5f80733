import type { EntityType } from './entity.js';

/**
 * What the bad-export diagnosis can name as the likely cause of a large change, found by comparing
 * a pull with the provider's last good (applied) one before it is loaded.
 */
export const DIAGNOSIS_CODES = [
  /** A column is spelled with another case than in the last good export. */
  'header_recased',
  /** A column differs from the last good export's by spaces, invisible characters or a small edit. */
  'header_renamed',
  /** Columns came or went since the last good export, with no near spelling to explain them. */
  'header_changed',
  /** A file that had rows in the last good export has only its header. */
  'header_only_file',
  /** Ids (or references to them) that are missing now reappear without their leading zeros. */
  'leading_zeros_lost',
  /** A school whose users from this provider are all missing from the pull. */
  'school_emptied',
  /** The file gained or lost a byte-order mark. */
  'bom_changed',
  /** The file's bytes are no longer what they were decoded as (Latin-1 in a UTF-8 file, say). */
  'encoding_changed',
  /** A share of an entity's records at or above the provider's threshold is missing from the pull. */
  'large_drop',
] as const;
export type DiagnosisCode = (typeof DIAGNOSIS_CODES)[number];

/**
 * `error`: applying the pull as it is would very likely damage the roster; `warning`: a likely
 * cause of the change to check; `info`: a change in the export that sis-sync copes with.
 */
export const DIAGNOSIS_SEVERITIES = ['error', 'warning', 'info'] as const;
export type DiagnosisSeverity = (typeof DIAGNOSIS_SEVERITIES)[number];

export interface DiagnosisFinding {
  code: DiagnosisCode;
  severity: DiagnosisSeverity;
  entity?: EntityType;
  /** The source file it is about, as named in the package. */
  file?: string;
  /** One or two sentences for an admin: what changed and what it would do. */
  message: string;
  /** The facts behind it: headers before and after, counts, a few sample ids. */
  evidence: Record<string, unknown>;
}

const RANK: Record<DiagnosisSeverity, number> = { error: 0, warning: 1, info: 2 };

/** Most severe first, in the order found otherwise. */
export function bySeverity(findings: readonly DiagnosisFinding[]): DiagnosisFinding[] {
  return [...findings].sort((a, b) => RANK[a.severity] - RANK[b.severity]);
}

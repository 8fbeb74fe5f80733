import type { SourceFileFacts } from '../../connectors/connector.js';
import type { Executor } from '../../db/client.js';
import { sqlSessionOf } from '../../db/sql-session.js';
import { bySeverity, type DiagnosisFinding } from '../../domain/diagnosis.js';
import type { RunRow } from '../../repositories/runs-repository.js';
import { fileFindings } from './file-findings.js';
import { recordFindings, type RecordContext } from './record-findings.js';

/*
 * The bad-export diagnosis: after staging and preparation, before the load, this pull is compared
 * with the provider's last good (applied) one, and what would explain a large change is named on
 * the run (`sis_sync_runs.diagnosis`), most severe first. Admins used to check these by hand.
 */

export interface DiagnosisInput extends RecordContext {
  /** What each file of this pull looked like (the connector's facts, carried over for skipped files). */
  fileFacts: Readonly<Record<string, SourceFileFacts>>;
  /** The provider's last applied run; without one there is nothing to compare with. */
  lastGood: RunRow | undefined;
}

/** The findings, or null when there is no good pull to compare with (not examined). */
export async function diagnoseRun(db: Executor, input: DiagnosisInput): Promise<DiagnosisFinding[] | null> {
  if (input.lastGood === undefined) return null;
  return bySeverity([
    ...fileFindings(input.fileFacts, fileFactsOf(input.lastGood)),
    ...(await recordFindings(sqlSessionOf(db), input)),
  ]);
}

/** The file facts a run recorded in its sourceInfo. */
export function fileFactsOf(run: RunRow): Record<string, SourceFileFacts> {
  return (run.sourceInfo as { fileFacts?: Record<string, SourceFileFacts> } | null)?.fileFacts ?? {};
}

import { createHash } from 'node:crypto';

/*
 * What the Clever simulator serves: one district's objects exactly as Clever's Data API v3.0
 * returns them (snake_case fields, 24-hex ids, users as one object with a map of roles).
 */

export type CleverObject = { readonly id: string } & Readonly<Record<string, unknown>>;

export interface CleverDataset {
  district: CleverObject;
  schools: CleverObject[];
  terms: CleverObject[];
  courses: CleverObject[];
  sections: CleverObject[];
  users: CleverObject[];
}

/** The collections that the Data API lists and the Events API reports, by record type. */
export const RECORD_TYPES = ['districts', 'schools', 'terms', 'courses', 'sections', 'users'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export function objectsOf(dataset: CleverDataset, type: RecordType): CleverObject[] {
  return type === 'districts' ? [dataset.district] : dataset[type];
}

/**
 * A Clever-style object id (24 hex digits) derived from a source id, so the same district always
 * gets the same ids. Clever's ids sort roughly by creation; these sort by hash, which is as good
 * for paging (`starting_after` only needs a total order).
 */
export function cleverId(kind: string, sourceId: string): string {
  return createHash('sha256').update(`${kind}\u0000${sourceId}`).digest('hex').slice(0, 24);
}

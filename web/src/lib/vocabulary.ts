import type { ChangeKind, EntityType, MatchRule, Role, RunStatus, RunTrigger } from '../api/types';

/** Every value of a union, checked both ways: a new value on the server breaks the type check here. */
function allOf<T extends string>() {
  return <const L extends readonly T[]>(list: L & ([T] extends [L[number]] ? unknown : never)) => list;
}

export const ENTITY_TYPES = allOf<EntityType>()([
  'schools',
  'terms',
  'courses',
  'classes',
  'users',
  'enrollments',
]);
export const CHANGE_KINDS = allOf<ChangeKind>()([
  'created',
  'updated',
  'deactivated',
  'reactivated',
  'linked',
]);

export const ENTITY_LABELS: Record<EntityType, string> = {
  schools: 'Schools',
  terms: 'Terms',
  courses: 'Courses',
  classes: 'Classes',
  users: 'Users',
  enrollments: 'Enrollments',
};

export function entityLabel(entity: string): string {
  return (ENTITY_LABELS as Record<string, string>)[entity] ?? entity;
}

export const CHANGE_KIND_LABELS: Record<ChangeKind, string> = {
  created: 'Created',
  updated: 'Updated',
  deactivated: 'Deactivated',
  reactivated: 'Reactivated',
  linked: 'Linked to existing',
};

/** How a provider record was tied to an existing canonical record (a re-link). */
export const MATCH_RULE_LABELS: Record<MatchRule, string> = {
  external_id: 'its own link',
  email: 'email',
  student_number: 'student number',
  sourced_id: 'sourced ID',
  identifier: 'identifier',
  natural_key: 'natural key',
  created: 'none (created)',
};

export type Tone = 'success' | 'warning' | 'danger' | 'info' | 'neutral';

export const RUN_STATUS_INFO: Record<RunStatus, { label: string; tone: Tone }> = {
  PENDING: { label: 'Queued', tone: 'info' },
  IN_PROGRESS: { label: 'Running', tone: 'info' },
  HELD: { label: 'Held for review', tone: 'warning' },
  SUCCESS: { label: 'Succeeded', tone: 'success' },
  PARTIAL: { label: 'Partly succeeded', tone: 'warning' },
  FAILURE: { label: 'Failed', tone: 'danger' },
  CANCELLED: { label: 'Cancelled', tone: 'neutral' },
  DISCARDED: { label: 'Discarded', tone: 'neutral' },
  SKIPPED: { label: 'Skipped', tone: 'neutral' },
};

export const TRIGGER_LABELS: Record<RunTrigger, string> = {
  SCHEDULE: 'Schedule',
  MANUAL: 'Manual',
  CLI: 'Command line',
};

export const ROLE_LABELS: Record<Role, string> = {
  DISTRICT_ADMIN: 'District admin',
  PLATFORM_ADMIN: 'Platform admin',
};

/** Sync phases as the engine reports them, in order, for the progress bar. */
export const PHASE_LABELS: Record<string, string> = {
  queued: 'Waiting for a worker',
  extracting: 'Reading from the SIS',
  extracted: 'Read complete',
  preparing: 'Checking records',
  loading: 'Applying changes',
  previewing: 'Computing changes',
  approved: 'Approved, applying',
  held: 'Held for review',
  done: 'Finishing',
};

export function phaseLabel(phase: string | null | undefined): string {
  if (phase === null || phase === undefined) return 'Starting';
  return PHASE_LABELS[phase] ?? phase;
}

export const ACTIVE_STATUSES: readonly RunStatus[] = ['PENDING', 'IN_PROGRESS'];

import type { DatabaseHandle } from '../../src/db/client.js';
import { query, ROSTER_TABLES } from './workers.js';

/*
 * A tenant's roster as the fault suite compares it across databases: the canonical tables, the
 * links and the change feed, with what legitimately differs between two databases that applied
 * the same exports taken out. Canonical ids are time-ordered UUIDs drawn at creation, so each is
 * named by the provider records linked to it ("users/usr-0000012"); run ids are named "base run"
 * or "later run"; timestamps (`*_at`), the feed's `seq` (a rolled-back load consumes numbers) and
 * the random ids of enrollment periods are left out. Every other column counts.
 */

/** Per table, each row as canonical JSON, sorted. */
export type RosterImage = Record<string, string[]>;

const IMAGE_TABLES = [...ROSTER_TABLES, 'sis_change_events', 'enrollment_periods'] as const;
const IGNORED_COLUMNS: Partial<Record<(typeof IMAGE_TABLES)[number], readonly string[]>> = {
  sis_change_events: ['seq'],
  enrollment_periods: ['id'],
};

/** The roster of `tenantId`; `baseRunId` is the run that built the roster the test starts from. */
export async function rosterImage(
  handle: DatabaseHandle,
  tenantId: string,
  baseRunId: string,
): Promise<RosterImage> {
  const names = new Map<string, string>();
  const links = await query<{ entity_type: string; external_id: string; entity_id: string }>(
    handle,
    'SELECT entity_type, external_id, entity_id FROM sis_external_links WHERE tenant_id = $1',
    [tenantId],
  );
  const linked = new Map<string, string[]>();
  for (const link of links) {
    linked.set(link.entity_id, [
      ...(linked.get(link.entity_id) ?? []),
      `${link.entity_type}/${link.external_id}`,
    ]);
  }
  for (const [id, externals] of linked) names.set(id, externals.sort().join('+'));
  const runs = await query<{ id: string }>(handle, 'SELECT id FROM sis_sync_runs WHERE tenant_id = $1', [
    tenantId,
  ]);
  for (const { id } of runs) names.set(id, id === baseRunId ? 'base run' : 'later run');

  const rename = (value: unknown): unknown =>
    typeof value === 'string'
      ? (names.get(value) ?? value)
      : Array.isArray(value)
        ? value.map(rename)
        : value;
  const image: RosterImage = {};
  for (const table of IMAGE_TABLES) {
    const ignored = IGNORED_COLUMNS[table] ?? [];
    const rows = await query<{ row: Record<string, unknown> }>(
      handle,
      `SELECT to_jsonb(t) AS row FROM ${table} t WHERE t.tenant_id = $1`,
      [tenantId],
    );
    image[table] = rows
      .map(({ row }) =>
        JSON.stringify(
          Object.keys(row)
            .filter((column) => !column.endsWith('_at') && !ignored.includes(column))
            .sort()
            .map((column) => [column, rename(row[column])]),
        ),
      )
      .sort();
  }
  return image;
}

/** Which of the two images `actual` equals, or a description of how it differs from both. */
export function whichImage(
  actual: RosterImage,
  candidates: { before: RosterImage; after: RosterImage },
): 'before' | 'after' | { mix: string } {
  if (sameImage(actual, candidates.before)) return 'before';
  if (sameImage(actual, candidates.after)) return 'after';
  return {
    mix: `before: ${differences(actual, candidates.before)}\nafter: ${differences(actual, candidates.after)}`,
  };
}

function sameImage(a: RosterImage, b: RosterImage): boolean {
  return Object.keys(b).every((table) => JSON.stringify(a[table]) === JSON.stringify(b[table]));
}

/** Per differing table: how many rows only one side has, and the first of them. */
export function differences(actual: RosterImage, expected: RosterImage): string {
  const lines: string[] = [];
  for (const table of Object.keys(expected)) {
    const mine = new Set(actual[table]);
    const theirs = new Set(expected[table]);
    const extra = [...mine].filter((row) => !theirs.has(row));
    const missing = [...theirs].filter((row) => !mine.has(row));
    if (extra.length === 0 && missing.length === 0) continue;
    lines.push(
      `${table}: ${extra.length} rows extra, ${missing.length} missing` +
        (extra[0] === undefined ? '' : `\n  extra ${extra[0]}`) +
        (missing[0] === undefined ? '' : `\n  missing ${missing[0]}`),
    );
  }
  return lines.length === 0 ? 'equal' : lines.join('\n');
}

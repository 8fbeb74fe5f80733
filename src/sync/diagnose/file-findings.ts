import type { SourceFileFacts } from '../../connectors/connector.js';
import type { DiagnosisFinding } from '../../domain/diagnosis.js';

/*
 * What changed in the files themselves since the last good pull: their headers, whether they have
 * rows, their byte-order mark and encoding. Pure: it compares the facts the connector recorded.
 */

/** Characters that do not show: zero-width spaces and joiners, word joiner, BOM, soft hyphen. */
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;
const SPACES = /[\s\u00A0]+/g;

/** A header name as an admin would read it: without invisible characters and spaces. */
const visibleForm = (name: string) => name.replace(INVISIBLE, '').replace(SPACES, '');

/** The name with what does not show spelled out, so that a message can show it. */
export function shown(name: string): string {
  return name.replace(/[\u200B-\u200D\u2060\uFEFF\u00AD\u00A0]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

/** Levenshtein distance, stopping early once it exceeds `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      best = Math.min(best, value);
    }
    if (best > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length]!;
}

type Kinship = 'case' | 'invisible' | 'spelling';

/** How a column of the last good header relates to one of this pull's, if it plainly is the same column. */
function kinship(before: string, now: string): Kinship | null {
  if (before.toLowerCase() === now.toLowerCase()) return 'case';
  const [b, n] = [visibleForm(before).toLowerCase(), visibleForm(now).toLowerCase()];
  if (b === n) return 'invisible';
  return b.length >= 4 && editDistance(b, n, 2) <= 2 ? 'spelling' : null;
}

const REASON: Record<Kinship, string> = {
  case: 'only its case differs',
  invisible: 'spaces or invisible characters were added',
  spelling: 'its spelling changed',
};

const quoted = (names: readonly string[]) => names.map((n) => `"${shown(n)}"`).join(', ');

function headerFindings(file: string, before: SourceFileFacts, now: SourceFileFacts): DiagnosisFinding[] {
  if (before.header.length === 0 || now.header.length === 0) return [];
  const removed = before.header.filter((c) => !now.header.includes(c));
  const added = now.header.filter((c) => !before.header.includes(c));
  if (removed.length === 0 && added.length === 0) return [];
  const pairs: { before: string; now: string; kinship: Kinship }[] = [];
  const unpaired = new Set(added);
  for (const column of removed) {
    for (const candidate of unpaired) {
      const kin = kinship(column, candidate);
      if (kin === null) continue;
      pairs.push({ before: column, now: candidate, kinship: kin });
      unpaired.delete(candidate);
      break;
    }
  }
  const headers = { headerBefore: before.header.map(shown), headerNow: now.header.map(shown) };
  const base = { entity: now.entity, file };
  const findings: DiagnosisFinding[] = [];
  const recased = pairs.filter((p) => p.kinship === 'case');
  if (recased.length > 0) {
    findings.push({
      ...base,
      code: 'header_recased',
      severity: 'warning',
      message: `${file}: ${recased.map((p) => `"${p.before}" is now spelled "${p.now}"`).join(', ')}. OneRoster headers are case-sensitive; the export's format changed since the last good sync.`,
      evidence: { columns: recased.map(({ before, now }) => ({ before, now })), ...headers },
    });
  }
  const renamed = pairs.filter((p) => p.kinship !== 'case');
  if (renamed.length > 0) {
    findings.push({
      ...base,
      code: 'header_renamed',
      severity: 'error',
      message: `${file}: ${renamed.map((p) => `column "${shown(p.before)}" is now "${shown(p.now)}" (${REASON[p.kinship]})`).join('; ')}. The column is no longer read, so its values are missing from every row.`,
      evidence: {
        columns: renamed.map((p) => ({
          before: shown(p.before),
          now: shown(p.now),
          reason: REASON[p.kinship],
        })),
        ...headers,
      },
    });
  }
  const gone = removed.filter((c) => !pairs.some((p) => p.before === c));
  if (gone.length > 0 || unpaired.size > 0) {
    const parts = [
      gone.length === 0 ? null : `lost ${quoted(gone)}`,
      unpaired.size === 0 ? null : `gained ${quoted([...unpaired])}`,
    ].filter((p) => p !== null);
    findings.push({
      ...base,
      code: 'header_changed',
      severity: gone.length > 0 ? 'warning' : 'info',
      message: `${file}: since the last good export the header ${parts.join(' and ')}.`,
      evidence: { removed: gone.map(shown), added: [...unpaired].map(shown), ...headers },
    });
  }
  return findings;
}

const count = (n: number) => n.toLocaleString('en-US');

const BOM_NAME = { 'utf-8': 'a UTF-8', 'utf-16le': 'a UTF-16LE' } as const;

function encodingFindings(file: string, before: SourceFileFacts, now: SourceFileFacts): DiagnosisFinding[] {
  const findings: DiagnosisFinding[] = [];
  const base = { entity: now.entity, file };
  if (before.bom !== now.bom) {
    findings.push({
      ...base,
      code: 'bom_changed',
      severity: 'info',
      message:
        now.bom === null
          ? `${file} no longer starts with ${BOM_NAME[before.bom!]} byte-order mark; it was saved by another program than the last good export.`
          : `${file} now starts with ${BOM_NAME[now.bom]} byte-order mark, which the last good export did not have: it was likely saved by Excel or another editor. sis-sync ignores the mark, but other tools read it as part of the first header.`,
      evidence: { before: before.bom, now: now.bom },
    });
  }
  const newlyInvalid = now.invalidCharacters > 0 && before.invalidCharacters === 0;
  if (before.encoding !== now.encoding || newlyInvalid) {
    const where =
      now.firstInvalid === null
        ? ''
        : ` (first on line ${now.firstInvalid.line}: "${now.firstInvalid.text}")`;
    findings.push({
      ...base,
      code: 'encoding_changed',
      severity: newlyInvalid ? 'warning' : 'info',
      message: newlyInvalid
        ? `${file} has ${count(now.invalidCharacters)} character(s) that are not valid ${now.encoding.toUpperCase()}${where}, while the last good export had none: it was likely saved as Latin-1 or Windows-1252. Names with accents would be stored garbled.`
        : `${file} is now ${now.encoding.toUpperCase()}; the last good export was ${before.encoding.toUpperCase()}.`,
      evidence: {
        encodingBefore: before.encoding,
        encodingNow: now.encoding,
        invalidBefore: before.invalidCharacters,
        invalidNow: now.invalidCharacters,
        firstInvalid: now.firstInvalid,
      },
    });
  }
  return findings;
}

/** Findings for every file read in both pulls. */
export function fileFindings(
  now: Readonly<Record<string, SourceFileFacts>>,
  before: Readonly<Record<string, SourceFileFacts>>,
): DiagnosisFinding[] {
  const findings: DiagnosisFinding[] = [];
  const beforeByName = new Map(Object.entries(before).map(([name, facts]) => [name.toLowerCase(), facts]));
  for (const [file, facts] of Object.entries(now)) {
    const last = beforeByName.get(file.toLowerCase());
    if (last === undefined) continue;
    if (facts.rows === 0 && last.rows !== null && last.rows > 0) {
      findings.push({
        entity: facts.entity,
        file,
        code: 'header_only_file',
        severity: 'error',
        message: `${file} has a header but no rows, while the last good export had ${count(last.rows)}. A header-only file usually means the export ran before its data was ready or its filter matched nothing.`,
        evidence: { rowsBefore: last.rows, rowsNow: 0, header: facts.header.map(shown) },
      });
    }
    findings.push(...headerFindings(file, last, facts), ...encodingFindings(file, last, facts));
  }
  return findings;
}

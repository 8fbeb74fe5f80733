import type { ConnectorErrorCode } from '../connector.js';

/*
 * OneRoster's error envelope, `imsx_StatusInfo` (providers.md 2.7), read leniently: 1.1 servers
 * also wrap it in `statusInfoSet[]`, spell `imsx_CodeMinor` as `imsx_codeMinor`, or send HTML.
 */

export interface ImsxStatus {
  codeMajor: string | null;
  description: string | null;
  codeMinor: string[];
}

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown) => (typeof value === 'string' ? value : null);

/** The first status found in a parsed body, or null when there is none. */
export function imsxStatusOf(body: unknown): ImsxStatus | null {
  if (!isObject(body)) return null;
  const set = body.statusInfoSet ?? body.imsx_statusInfo ?? body.imsx_StatusInfo;
  const info: unknown = Array.isArray(set) ? (set as unknown[])[0] : isObject(set) ? set : body;
  if (!isObject(info) || (info.imsx_codeMajor === undefined && info.imsx_description === undefined)) {
    return null;
  }
  const minor = info.imsx_CodeMinor ?? info.imsx_codeMinor;
  const fields = isObject(minor) ? (minor.imsx_codeMinorField ?? minor.imsx_CodeMinorField) : undefined;
  const codeMinor = (Array.isArray(fields) ? fields : [fields])
    .map((f) => (isObject(f) ? str(f.imsx_codeMinorFieldValue) : null))
    .filter((v): v is string => v !== null);
  return { codeMajor: str(info.imsx_codeMajor), description: str(info.imsx_description), codeMinor };
}

const CODE_OF_MINOR: Record<string, ConnectorErrorCode> = {
  unauthorisedrequest: 'auth_failed',
  unauthorizedrequest: 'auth_failed',
  forbidden: 'auth_failed',
  unknownobject: 'not_found',
  server_busy: 'rate_limited',
  internal_server_error: 'provider_unavailable',
  invalid_filter_field: 'unsupported',
  invalid_selection_field: 'unsupported',
  invalid_sort_field: 'unsupported',
  invaliddata: 'invalid_payload',
};

/** A connector error code and a short, data-free detail for an error status body. */
export function describeImsxFailure(
  _status: number,
  text: string,
): { code?: ConnectorErrorCode; detail?: string } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const status = imsxStatusOf(body);
  if (status === null) return undefined;
  const code = status.codeMinor.map((m) => CODE_OF_MINOR[m.toLowerCase()]).find((c) => c !== undefined);
  const detail = [status.codeMinor.join(', '), status.description?.slice(0, 200)]
    .filter((s) => s !== undefined && s !== '')
    .join(': ');
  return { ...(code === undefined ? {} : { code }), ...(detail === '' ? {} : { detail }) };
}

import Type from 'typebox';

import { httpSettingsOf, httpSettingsSchema, type HttpSettingsConfig } from '../http/settings-schema.js';
import type { DeltaPolicy } from './rest-connector.js';
import type { HttpSettings } from '../http/http-client.js';

/** Config fields every OneRoster REST provider shares (OneRoster API, ClassLink): paging, deltas, HTTP. */
export const oneRosterRestFields = {
  pageSize: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 10_000, description: 'Objects per page (`limit`); default 1000.' }),
  ),
  deltaSync: Type.Optional(
    Type.Boolean({
      description:
        "Between full pulls, ask only for changes (filter=dateLastModified>'…'). Default off, for servers that cannot filter.",
    }),
  ),
  fullPullEveryHours: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 24 * 31,
      description:
        'With deltaSync, a full pull at least this often (it finds records a provider silently dropped); default 24.',
    }),
  ),
  http: Type.Optional(httpSettingsSchema),
};

export interface OneRosterRestFields {
  pageSize?: number;
  deltaSync?: boolean;
  fullPullEveryHours?: number;
  http?: HttpSettingsConfig;
}

export function restSettingsOf(config: OneRosterRestFields): {
  pageSize: number;
  delta: DeltaPolicy;
  settings: HttpSettings;
} {
  return {
    pageSize: config.pageSize ?? 1000,
    delta: {
      enabled: config.deltaSync ?? false,
      fullPullEveryHours: config.fullPullEveryHours ?? 24,
      overlapSeconds: 300,
    },
    settings: httpSettingsOf(config.http),
  };
}

import type { ProviderType } from '../../src/domain/provider-type.js';
import { TEST_SECRETS } from './secrets.js';

/** A valid config of each provider type, carrying the suite's known secrets. */
export function validConfig(type: ProviderType): Record<string, unknown> {
  switch (type) {
    case 'CLEVER':
      return {
        clientId: 'clever-client-1',
        clientSecret: TEST_SECRETS.cleverClientSecret,
        districtId: '5327a245c79f90670e001b78',
      };
    case 'CLASSLINK':
      return {
        mode: 'direct',
        tenantId: 'springtownisd',
        state: 'tx',
        clientId: 'classlink-key',
        clientSecret: TEST_SECRETS.classlinkClientSecret,
      };
    case 'ONEROSTER_API':
      return {
        baseUrl: 'https://sis.example.org/ims/oneroster/v1p1',
        authMethod: 'oauth1',
        clientId: 'oneroster-key',
        clientSecret: TEST_SECRETS.oneRosterClientSecret,
      };
    case 'ONEROSTER_CSV':
      return {
        sftp: {
          host: 'sftp.example.org',
          port: 2222,
          username: 'district',
          password: TEST_SECRETS.sftpPassword,
          hostKeyFingerprint: 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8',
        },
        remotePath: '/exports/oneroster.zip',
      };
  }
}

let counter = 0;

export function providerBody(
  tenantId: string,
  type: ProviderType = 'ONEROSTER_API',
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  counter += 1;
  return {
    tenantId,
    providerType: type,
    name: `${type} ${counter}`,
    config: validConfig(type),
    syncSchedule: 'daily',
    syncTimezone: 'America/Chicago',
    ...overrides,
  };
}

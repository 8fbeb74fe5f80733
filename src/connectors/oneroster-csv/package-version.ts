import { ConnectorError } from '../connector.js';
import type { OneRosterVersion } from '../oneroster/row-reader.js';

/** The provider's `onerosterVersion`: follow the manifest, or insist on one version. */
export type VersionSetting = 'auto' | OneRosterVersion;

/** 1.2.1 (2023) is an erratum of the 1.2 CSV binding; packages may say 1.2 or 1.2.x (providers.md 1.9). */
const V1P2 = /^1\.2(\.\d+)*$/;

/**
 * The version to read a package as, from its manifest's `oneroster.version` and the provider's
 * setting. A setting that disagrees with the manifest is a configuration error naming both: a
 * district that switches its export from 1.1 to 1.2 should be noticed, not guessed at.
 */
export function packageVersion(
  declared: string | null,
  setting: VersionSetting,
): { version: OneRosterVersion; warning: string | null } {
  if (declared === null) {
    const version = setting === 'auto' ? '1.1' : setting;
    return {
      version,
      warning: `manifest.csv has no oneroster.version row; read as OneRoster ${version}${setting === 'auto' ? '' : ', as configured'}`,
    };
  }
  const known: OneRosterVersion | null = declared === '1.1' ? '1.1' : V1P2.test(declared) ? '1.2' : null;
  if (setting === 'auto') {
    if (known === null) {
      throw new ConnectorError(
        'unsupported',
        `manifest.csv declares OneRoster ${declared}; this connector reads OneRoster 1.1 and 1.2 packages`,
      );
    }
    return { version: known, warning: null };
  }
  if (known !== setting) {
    throw new ConnectorError(
      'config_invalid',
      `the provider is configured for OneRoster ${setting} (onerosterVersion) but manifest.csv declares OneRoster ${declared}; ` +
        `set onerosterVersion to ${known === null ? 'auto' : `${known} or auto`}, or check the export`,
    );
  }
  return { version: known, warning: null };
}

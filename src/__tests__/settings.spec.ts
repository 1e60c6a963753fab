import { readSettings } from '../settings';
import { DEFAULT_SETTINGS } from '../tokens';

describe('readSettings', () => {
  it('reads every setting, trimming text', () => {
    expect(
      readSettings({
        defaultRegistry: ' ghcr.io ',
        defaultRepository: 'me/models',
        compression: 'zstd',
        insecureRegistries: [' harbor.lan:8443 ', '', 7],
        autoScan: false,
        signOnPush: true
      })
    ).toEqual({
      defaultRegistry: 'ghcr.io',
      defaultRepository: 'me/models',
      compression: 'zstd',
      insecureRegistries: ['harbor.lan:8443'],
      autoScan: false,
      signOnPush: true
    });
  });

  it('falls back to the defaults for missing or unknown values', () => {
    expect(
      readSettings({
        compression: 'brotli',
        insecureRegistries: 'harbor.lan',
        autoScan: 'yes',
        signOnPush: 'yes'
      })
    ).toEqual(DEFAULT_SETTINGS);
  });
});

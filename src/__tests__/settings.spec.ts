import { readSettings } from '../settings';
import { DEFAULT_SETTINGS } from '../tokens';

describe('readSettings', () => {
  it('reads every setting, trimming text', () => {
    expect(
      readSettings({
        defaultRegistry: ' ghcr.io ',
        defaultRepository: 'me/models',
        compression: 'zstd',
        autoScan: false
      })
    ).toEqual({
      defaultRegistry: 'ghcr.io',
      defaultRepository: 'me/models',
      compression: 'zstd',
      autoScan: false
    });
  });

  it('falls back to the defaults for missing or unknown values', () => {
    expect(readSettings({ compression: 'brotli', autoScan: 'yes' })).toEqual(
      DEFAULT_SETTINGS
    );
  });
});

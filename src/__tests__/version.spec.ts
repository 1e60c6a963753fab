import * as fs from 'fs';
import * as path from 'path';

import { FRONTEND_VERSION } from '../_version';
import { FRONTEND_API_VERSION, versionMismatch } from '../version';

describe('versionMismatch', () => {
  it('accepts the same version and API', () => {
    expect(
      versionMismatch('1.2.0', {
        version: '1.2.0',
        apiVersion: FRONTEND_API_VERSION
      })
    ).toBeNull();
  });

  it('asks for a reinstall when the API differs', () => {
    const message = versionMismatch('1.2.0', {
      version: '2.0.0',
      apiVersion: FRONTEND_API_VERSION + 1
    });
    expect(message).toContain('Reinstall kitlab');
    expect(message).toContain('2.0.0');
  });

  it('asks for a restart when only the package version differs', () => {
    const message = versionMismatch('1.2.0', {
      version: '1.3.0',
      apiVersion: FRONTEND_API_VERSION
    });
    expect(message).toContain('restart JupyterLab');
  });
});

describe('FRONTEND_VERSION', () => {
  it('equals the version in package.json', () => {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf-8')
    );
    expect(FRONTEND_VERSION).toBe(pkg.version);
  });
});

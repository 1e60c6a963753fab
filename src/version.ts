/**
 * The frontend/server version handshake. Kept free of JupyterLab imports so it is unit-tested directly.
 */

/** The API version this frontend speaks; the server reports its own in GET /kitlab/version. */
export const FRONTEND_API_VERSION = 1;

/**
 * Compare the two sides. Returns null when they can work together, else a message telling the user
 * what to do. Only the API version must match; a differing package version is reported but harmless
 * within one API version.
 */
export function versionMismatch(
  frontendVersion: string,
  server: { version: string; apiVersion: number }
): string | null {
  if (server.apiVersion !== FRONTEND_API_VERSION) {
    return (
      `The kitlab server extension (${server.version}, API ${server.apiVersion}) does not match ` +
      `this page (${frontendVersion}, API ${FRONTEND_API_VERSION}). Reinstall kitlab and restart JupyterLab.`
    );
  }
  if (server.version !== frontendVersion) {
    return (
      `kitlab server ${server.version} and frontend ${frontendVersion} differ; ` +
      'restart JupyterLab after upgrading so both sides are the same version.'
    );
  }
  return null;
}

/**
 * The one registry-options policy of the frontend: how kitlab talks to a registry it was not told
 * anything about. Every dialog and action that reaches a registry (pack & push, push, pull, remote
 * tags, login) asks this module, so the defaults cannot drift apart. docs/troubleshooting.md tells
 * users the same rules.
 *
 * - A loopback registry (`127.0.0.1:5000`, `localhost:5000`, `[::1]:5000`) is usually a local test
 *   registry without TLS: plain HTTP is offered by default.
 * - A registry listed in the `insecureRegistries` setting speaks TLS with a certificate that is not
 *   checked (kit's `--tls-verify=false`); listing a loopback registry there means it has TLS, so
 *   plain HTTP is then not the default.
 */
import { isLocalRegistry, isLoopbackRegistry, registryHost } from './reference';
import type { IRemoteParams } from './tokens';

/** Whether the settings say to skip TLS certificate checks for `host` (a self-signed registry). */
export function skipsTlsVerify(
  host: string,
  insecureRegistries: readonly string[]
): boolean {
  return host !== '' && insecureRegistries.includes(host);
}

/** Whether to offer plain HTTP for `host` (a registry host[:port]) until the user says otherwise. */
export function plainHttpByDefault(
  host: string,
  insecureRegistries: readonly string[]
): boolean {
  return isLoopbackRegistry(host) && !skipsTlsVerify(host, insecureRegistries);
}

/**
 * The network options of a job or request that reaches the registry `host` (host[:port]):
 * `plainHttp` as the user chose it (or the default above), `tlsVerify: false` when the settings list
 * the registry. Only values that differ from the server's defaults (HTTPS, certificate verified) are
 * set, so a request to an ordinary registry, or to the local store, carries none.
 */
export function remoteOptions(
  host: string,
  insecureRegistries: readonly string[],
  plainHttp?: boolean
): IRemoteParams {
  const options: IRemoteParams = {};
  if (isLocalRegistry(host)) {
    return options;
  }
  if (plainHttp ?? plainHttpByDefault(host, insecureRegistries)) {
    options.plainHttp = true;
  }
  if (skipsTlsVerify(host, insecureRegistries)) {
    options.tlsVerify = false;
  }
  return options;
}

/**
 * The policy bound to the live settings, as the dialogs and actions use it: `insecureRegistries`
 * is read on every call, so a settings change applies to the next dialog at once.
 */
export class RegistryPolicy {
  constructor(private readonly _insecureRegistries: () => readonly string[]) {}

  /** See `plainHttpByDefault`; takes a registry host. */
  readonly plainHttpByDefault = (host: string): boolean =>
    plainHttpByDefault(host.trim(), this._insecureRegistries());

  /** See `skipsTlsVerify`; takes a registry host. */
  readonly skipsTlsVerify = (host: string): boolean =>
    skipsTlsVerify(host.trim(), this._insecureRegistries());

  /** See `remoteOptions`; takes a registry host. */
  remoteOptions(host: string, plainHttp?: boolean): IRemoteParams {
    return remoteOptions(host.trim(), this._insecureRegistries(), plainHttp);
  }

  /** `remoteOptions` for the registry a reference names (`reg.io/org/model:v1`). */
  forReference(reference: string, plainHttp?: boolean): IRemoteParams {
    return this.remoteOptions(registryHost(reference), plainHttp);
  }
}

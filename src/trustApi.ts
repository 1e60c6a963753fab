/**
 * Types and one typed function per endpoint of key management and kit verdicts (the `keys` and `trust`
 * routes of kitlab/server/openapi.yaml; docs/trust.md). Only public keys ever arrive here: private keys
 * stay encrypted in kit's home on the server.
 */
import { remoteQuery } from './api';
import { isLocalRegistry, registryHost } from './reference';
import { requestAPI } from './request';
import type { IKitSummary, IRemoteParams } from './tokens';

/** A public key the server holds: a signing key pair's public half, or a trusted key. */
export interface IKeyInfo {
  name: string;
  /** `SHA256:<base64>` of the key's DER SubjectPublicKeyInfo. */
  fingerprint: string;
  /** PEM. */
  publicKey: string;
  file: string;
}

/** GET /kitlab/keys */
export interface IKeys {
  signingKeys: IKeyInfo[];
  trustedKeys: IKeyInfo[];
  /** The administrator's `trusted_keys` (read-only here). */
  adminKeys: IKeyInfo[];
}

/** A CycloneDX component, as far as the trust view reads it. */
export interface ISbomComponent {
  type: string;
  name: string;
  version?: string;
  purl?: string;
  'bom-ref'?: string;
  hashes?: { alg: string; content: string }[];
  properties?: { name: string; value: string }[];
  licenses?: { license?: { id?: string; name?: string } }[];
}

/** The CycloneDX 1.6 ML-BOM kitlab attaches (kitlab/trust/sbom.py). */
export interface ISbom {
  metadata?: { component?: ISbomComponent };
  components?: ISbomComponent[];
}

/** One cell or script line that wrote an artifact (kitlab/trust/provenance.py). */
export interface IProducer {
  source: string;
  sha256: string;
  code: string;
  /** The N-th code cell of the notebook. */
  cell?: number;
  /** The `[n]` the notebook shows for that cell. */
  executionCount?: number;
  line?: number;
}

/** The SLSA v1 provenance predicate kitlab attaches. */
export interface IProvenance {
  buildDefinition?: {
    externalParameters?: { reference?: string; workspace?: string };
    internalParameters?: {
      python?: string;
      kernels?: { name: string; python?: string }[];
      artifacts?: { path: string; producedBy: IProducer[] }[];
    };
    resolvedDependencies?: {
      uri: string;
      digest: Record<string, string>;
      annotations?: { dirty?: boolean };
    }[];
  };
  runDetails?: {
    builder?: { id?: string };
    metadata?: { startedOn?: string };
  };
}

export type TrustState = 'verified' | 'unsigned' | 'invalid';

/** GET /kitlab/trust: a kit's verdict by digest. */
export interface IVerdict {
  state: TrustState;
  reference: string;
  digest: string;
  /** Why it is unsigned or invalid. */
  message: string;
  /** The label of the key that verified it (`team.pub`, `release (trusted)`, `mine (yours)`). */
  key: string;
  fingerprint: string;
  sbom?: ISbom | null;
  provenance?: IProvenance | null;
  signatures: number;
  sources: string[];
}

function json(method: string, body: unknown): RequestInit {
  return { method, body: JSON.stringify(body) };
}

export function listKeys(): Promise<IKeys> {
  return requestAPI<IKeys>('keys');
}

/** The password encrypts the new private key on the server; it is not kept. */
export function generateKey(name: string, password: string): Promise<IKeyInfo> {
  return requestAPI<IKeyInfo>('keys', json('POST', { name, password }));
}

/** Copy a cosign pair (`X.key` with `X.pub` beside it) from the workspace into kit's home. */
export function importKey(path: string, name?: string): Promise<IKeyInfo> {
  return requestAPI<IKeyInfo>(
    'keys/import',
    json('POST', name ? { path, name } : { path })
  );
}

export function addTrustedKey(
  name: string,
  publicKey: string
): Promise<IKeyInfo> {
  return requestAPI<IKeyInfo>(
    'keys/trusted',
    json('POST', { name, publicKey })
  );
}

export async function removeTrustedKey(name: string): Promise<void> {
  await requestAPI<null>(`keys/trusted/${encodeURIComponent(name)}`, {
    method: 'DELETE'
  });
}

/** The verdict on `reference` (`registry/repo@sha256:…`); `refresh` skips the server's cache. */
export function getVerdict(
  reference: string,
  options: IRemoteParams,
  refresh = false
): Promise<IVerdict> {
  const params: Record<string, string> = refresh
    ? { reference, refresh: 'true' }
    : { reference };
  return requestAPI<IVerdict>(`trust?${remoteQuery(params, options)}`);
}

/** `registry/repo@sha256:…` for a kit of the local store, or null when it was only packed here. */
export function digestReference(kit: IKitSummary): string | null {
  const host = registryHost(kit.repository);
  if (isLocalRegistry(host) || kit.repository.startsWith('localhost/')) {
    return null;
  }
  return `${kit.repository}@${kit.digest}`;
}

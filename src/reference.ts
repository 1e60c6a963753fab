/**
 * ModelKit references, parsed like kit (and kitlab/modelkit/reference.py): the first '/'-segment is a
 * registry only if it contains '.' or ':'; otherwise the kit lives in the local store, whose registry
 * kit calls `localhost`. Pure functions (unit-tested by jest).
 */

import type { IKitSummary } from './tokens';

export const LOCAL_REGISTRY = 'localhost';

export interface IReferenceParts {
  /** host[:port]; '' or `localhost` = the local store only. */
  registry: string;
  repository: string;
  tag: string;
}

export interface IParsedReference extends IReferenceParts {
  digest: string;
}

const REPOSITORY_RE =
  /^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST_RE = /^sha(256|384|512):[a-f0-9]{64,128}$/;
const REGISTRY_RE = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?$/;

/** True when the registry means "only the local store" (nothing to push to). */
export function isLocalRegistry(registry: string): boolean {
  return registry === '' || registry === LOCAL_REGISTRY;
}

/** `{registry: 'reg.io:5000', repository: 'org/churn', tag: 'v1'}` → `reg.io:5000/org/churn:v1`. */
export function buildReference(parts: IReferenceParts): string {
  const registry = parts.registry.trim();
  const repository = parts.repository.trim();
  const tag = parts.tag.trim();
  const base = isLocalRegistry(registry)
    ? repository
    : `${registry}/${repository}`;
  return tag ? `${base}:${tag}` : base;
}

/** Split a reference; `churn:v1` → registry `localhost`, repository `churn`, tag `v1`. */
export function parseReference(reference: string): IParsedReference {
  const first = reference.trim().split(',')[0];
  if (DIGEST_RE.test(first)) {
    // A bare digest names a kit in the local store's untagged repository, as in kit.
    return {
      registry: LOCAL_REGISTRY,
      repository: '_',
      tag: '',
      digest: first
    };
  }
  let registry = LOCAL_REGISTRY;
  let rest = first;
  const slash = first.indexOf('/');
  if (slash > 0) {
    const head = first.slice(0, slash);
    if (head.includes('.') || head.includes(':')) {
      registry = head;
      rest = first.slice(slash + 1);
    }
  }
  let repository = rest;
  let tag = '';
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    repository = rest.slice(0, at).split(':')[0];
    digest = rest.slice(at + 1);
  } else {
    const colon = rest.indexOf(':');
    if (colon >= 0) {
      repository = rest.slice(0, colon);
      tag = rest.slice(colon + 1);
    }
  }
  return { registry, repository, tag, digest };
}

/**
 * What is wrong with the parts of a reference, by field (empty when it is valid). The messages are
 * English keys for `trans.__`.
 */
export function referenceProblems(
  parts: IReferenceParts
): Partial<Record<keyof IReferenceParts, string>> {
  const problems: Partial<Record<keyof IReferenceParts, string>> = {};
  const registry = parts.registry.trim();
  const repository = parts.repository.trim();
  const tag = parts.tag.trim();
  if (registry && !REGISTRY_RE.test(registry)) {
    problems.registry = 'A registry is a host name with an optional :port.';
  }
  if (!repository) {
    problems.repository = 'A repository is required.';
  } else if (repository !== repository.toLowerCase()) {
    problems.repository = 'A repository must be lower-case.';
  } else if (!REPOSITORY_RE.test(repository)) {
    problems.repository =
      "Use lower-case letters and digits, separated by '.', '_', '-' or '/'.";
  }
  if (!tag) {
    problems.tag = 'A tag is required.';
  } else if (!TAG_RE.test(tag)) {
    problems.tag =
      "Use letters, digits, '_', '.' and '-' (at most 128, not starting with '.' or '-').";
  }
  return problems;
}

/**
 * What is wrong with where a kit is packed (or, with `push`, pushed) to, by field: `referenceProblems`,
 * and a push needs a registry. The one check the Pack and Push dialogs show while the user types and
 * apply to Start; English keys for `trans.__`.
 */
export function targetProblems(
  parts: IReferenceParts,
  push: boolean
): Partial<Record<keyof IReferenceParts, string>> {
  const problems = referenceProblems(parts);
  if (push && isLocalRegistry(parts.registry.trim())) {
    problems.registry =
      'Pushing needs a registry, e.g. ghcr.io or localhost:5000.';
  }
  return problems;
}

/** A registry host the way the registries endpoint keys it: host[:port], no scheme, no path. */
export function registryHost(reference: string): string {
  return parseReference(reference).registry;
}

/** The folder name an unpacked kit gets by default: the last repository segment (`org/churn` → `churn`). */
export function kitFolderName(reference: string): string {
  const { repository } = parseReference(reference);
  const last = repository.split('/').pop() ?? '';
  return last && last !== '_' ? last : 'modelkit';
}

/** A sensible repository name for a folder: `My Project` → `my-project`. */
export function repositoryFromName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9._/-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return slug || 'modelkit';
}

/**
 * Loopback registries are served over plain HTTP (a local test registry); others over HTTPS. A bare
 * `localhost` is kit's name for the local store, not a registry.
 */
export function isLoopbackRegistry(registry: string): boolean {
  const port = /:[0-9]+$/.exec(registry);
  const host = port ? registry.slice(0, port.index) : registry;
  if (host === 'localhost') {
    return port !== null;
  }
  return host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * A store repository as a reference names it. The kits endpoint says `localhost/churn`, but kit parses
 * `localhost/churn:v1` as repository `localhost/churn` (a first segment without '.' or ':' is not a
 * registry), so local kits are named without the prefix, as `kit list` shows them.
 */
export function storeRepository(repository: string): string {
  const prefix = `${LOCAL_REGISTRY}/`;
  return repository.startsWith(prefix)
    ? repository.slice(prefix.length)
    : repository;
}

/** A reference to one kit of the store: the given tag, else its first tag, else its digest. */
export function kitReference(kit: IKitSummary, tag?: string): string {
  const repository = storeRepository(kit.repository);
  const chosen = tag ?? kit.tags[0];
  return chosen ? `${repository}:${chosen}` : `${repository}@${kit.digest}`;
}

/**
 * One typed function per kitlab endpoint (see kitlab/server/openapi.yaml). Paths are contents-API paths
 * relative to the server root; errors arrive as `KitlabRequestError` with the server's `error.code`.
 */
import { requestAPI } from './request';
import type {
  IJob,
  IKitfile,
  IKitfileDocument,
  IKitDetail,
  IKitDiff,
  IKitfileSchema,
  IKitignoreWritten,
  IKitSummary,
  ILoginRequest,
  IPackPlan,
  IRegistryStatus,
  IRemotePage,
  IRemoteParams,
  IRemoteTags,
  IScanReport,
  IValidation,
  IVersionInfo,
  JobRequest
} from './tokens';

/**
 * The body of a Kitfile write or validation: the form's JSON (laid into `original`, the editor's
 * text, when given; else into the file on disk) or the YAML text.
 */
export type KitfileInput =
  { kitfile: IKitfile; original?: string } | { text: string };

function withPath(endPoint: string, path: string): string {
  return `${endPoint}?${new URLSearchParams({ path }).toString()}`;
}

function json(method: string, body: unknown): RequestInit {
  return { method, body: JSON.stringify(body) };
}

export function getVersion(): Promise<IVersionInfo> {
  return requestAPI<IVersionInfo>('version');
}

export function getSchema(): Promise<IKitfileSchema> {
  return requestAPI<IKitfileSchema>('schema');
}

export function scan(path: string): Promise<IScanReport> {
  return requestAPI<IScanReport>(withPath('scan', path));
}

export function getKitfile(path: string): Promise<IKitfileDocument> {
  return requestAPI<IKitfileDocument>(withPath('kitfile', path));
}

export function saveKitfile(
  path: string,
  input: KitfileInput
): Promise<IKitfileDocument> {
  return requestAPI<IKitfileDocument>(
    withPath('kitfile', path),
    json('PUT', input)
  );
}

export function validateKitfile(
  path: string,
  input: KitfileInput
): Promise<IValidation> {
  return requestAPI<IValidation>(
    withPath('kitfile/validate', path),
    json('POST', input)
  );
}

export function getPlan(path: string): Promise<IPackPlan> {
  return requestAPI<IPackPlan>(withPath('plan', path));
}

/** "Write .kitignore": add `paths` to the folder's .kitignore, keeping every line already there. */
export function writeKitignore(
  folder: string,
  paths: string[]
): Promise<IKitignoreWritten> {
  return requestAPI<IKitignoreWritten>(
    withPath('kitignore', folder),
    json('POST', { paths })
  );
}

export async function listJobs(): Promise<IJob[]> {
  return (await requestAPI<{ jobs: IJob[] }>('jobs')).jobs;
}

export function getJob(id: string): Promise<IJob> {
  return requestAPI<IJob>(`jobs/${encodeURIComponent(id)}`);
}

/** Start a job: a kind with that kind's params (`JobRequest`, a union by kind). */
export function createJob(request: JobRequest): Promise<IJob> {
  return requestAPI<IJob>('jobs', json('POST', request));
}

/** Ask a job to stop (DELETE would forget a job that has ended; see docs/api.md). */
export function cancelJob(id: string): Promise<IJob> {
  return requestAPI<IJob>(`jobs/${encodeURIComponent(id)}/cancel`, {
    method: 'POST'
  });
}

export async function listKits(): Promise<IKitSummary[]> {
  return (await requestAPI<{ kits: IKitSummary[] }>('kits')).kits;
}

/** Make `reference` (a new tag) point at the kit `source` names, like `kit tag`. */
export function tagKit(
  source: string,
  reference: string
): Promise<IKitSummary> {
  return requestAPI<IKitSummary>(
    `kits/${encodeURIComponent(reference)}`,
    json('PUT', { source })
  );
}

export async function removeKit(reference: string): Promise<void> {
  await requestAPI<null>(`kits/${encodeURIComponent(reference)}`, {
    method: 'DELETE'
  });
}

/** Pages of `remote/tags` (1000 tags each at most) a listing of a whole repository reads. */
export const MAX_TAG_PAGES = 10;

/**
 * A repository's tags, page after page of `remote/tags`, at most `MAX_TAG_PAGES` pages; `next` is not
 * null when the registry has more (the registry browser pages through those).
 */
export async function remoteTags(
  repository: string,
  options: IRemoteParams
): Promise<IRemoteTags> {
  const tags: string[] = [];
  let next: string | null = '';
  for (let pages = 0; next !== null && pages < MAX_TAG_PAGES; pages++) {
    const page: IRemotePage & { tags: string[] } = await requestAPI(
      `remote/tags?${remoteQuery({ repository, n: '1000', last: next }, options)}`
    );
    tags.push(...page.tags);
    next = page.next;
  }
  return { repository, tags, next };
}

export async function listRegistries(): Promise<IRegistryStatus[]> {
  return (await requestAPI<{ registries: IRegistryStatus[] }>('registries'))
    .registries;
}

export function login(request: ILoginRequest): Promise<IRegistryStatus> {
  return requestAPI<IRegistryStatus>('registries', json('POST', request));
}

export async function logout(host: string): Promise<void> {
  await requestAPI<null>(`registries/${encodeURIComponent(host)}`, {
    method: 'DELETE'
  });
}

/** Forget a job that has ended (DELETE on an active job would cancel it instead). */
export async function deleteJob(id: string): Promise<void> {
  await requestAPI<null>(`jobs/${encodeURIComponent(id)}`, {
    method: 'DELETE'
  });
}

/** A kit of the local store, as `kit inspect` shows it. */
export function getKit(reference: string): Promise<IKitDetail> {
  return requestAPI<IKitDetail>(`kits/${encodeURIComponent(reference)}`);
}

/** Query of a registry request: its own parameters and the network options. */
export function remoteQuery(
  params: Record<string, string>,
  options: IRemoteParams
): string {
  const query = new URLSearchParams(params);
  if (options.plainHttp) {
    query.set('plainHttp', 'true');
  }
  if (options.tlsVerify === false) {
    query.set('tlsVerify', 'false');
  }
  return query.toString();
}

/** A page of a registry's repositories (its catalog, where it offers one). */
export function remoteCatalog(
  registry: string,
  last: string,
  options: IRemoteParams
): Promise<IRemotePage & { registry: string; repositories: string[] }> {
  return requestAPI(
    `remote/catalog?${remoteQuery({ registry, last }, options)}`
  );
}

/** A page of a remote repository's tags. */
export function remoteTagsPage(
  repository: string,
  last: string,
  options: IRemoteParams
): Promise<IRemotePage & { repository: string; tags: string[] }> {
  return requestAPI(
    `remote/tags?${remoteQuery({ repository, last }, options)}`
  );
}

/** A kit on a registry, inspected without pulling it. */
export function inspectRemote(
  reference: string,
  options: IRemoteParams
): Promise<IKitDetail> {
  return requestAPI<IKitDetail>(
    `remote/kit?${remoteQuery({ reference }, options)}`
  );
}

/** Remove one tag from a registry (where the registry allows it). */
export async function deleteRemoteTag(
  reference: string,
  options: IRemoteParams
): Promise<void> {
  await requestAPI<null>(`remote/kit?${remoteQuery({ reference }, options)}`, {
    method: 'DELETE'
  });
}

/** Two kits compared (`kitlab diff`): each a local reference, `local://…` or `remote://…`. */
export function compareKits(
  a: string,
  b: string,
  options: IRemoteParams
): Promise<IKitDiff> {
  return requestAPI<IKitDiff>(`diff?${remoteQuery({ a, b }, options)}`);
}

/** What would change if the folder `path` were packed now, against kit `a` (`kitlab diff --workspace`). */
export function compareWorkspace(
  a: string,
  path: string,
  options: IRemoteParams
): Promise<IKitDiff> {
  return requestAPI<IKitDiff>(`diff?${remoteQuery({ a, path }, options)}`);
}

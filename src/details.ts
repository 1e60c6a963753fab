/**
 * What the detail views show, computed from what the server sends. Pure functions (unit-tested by
 * jest): a kit's size, a job's facts, the running jobs' summary, a notebook's lineage.
 */
import { isActive, jobReference } from './jobs';
import { parseReference } from './reference';
import type { IDescriptor, IJob, IKitDetail, ISafetyFinding } from './tokens';

/**
 * A kit's size as everywhere in kitlab and as `kit list` shows it (SIZE): the sum of its layers'
 * sizes. The config and the manifest (a few hundred bytes) are not counted, as kit does not.
 */
export function kitSize(manifest: IKitDetail['manifest']): number {
  return layersSize(manifest.layers ?? []);
}

/** The same size from a pack job's result (its layers, as written into the kit). */
export function layersSize(layers: readonly { size: number }[]): number {
  return layers.reduce((sum, layer) => sum + layer.size, 0);
}

/** A layer's kind from its media type: `…kitops.modelkit.model.v1.tar+gzip` → `model`. */
export function layerKind(layer: IDescriptor): string {
  const match = /modelkit\.([a-z]+)\.v1/.exec(layer.mediaType);
  if (match) {
    return match[1];
  }
  const modelpack = /cncf\.model\.([a-z]+)\./.exec(layer.mediaType);
  return modelpack ? modelpack[1] : layer.mediaType;
}

/**
 * Which path each layer holds, by digest: kit records it in the Kitfile it stores (each entry's
 * `digest`), a ModelPack kit in the layer's annotations.
 */
export function layerPaths(kitfile: unknown): Map<string, string> {
  const paths = new Map<string, string>();
  const add = (entry: unknown): void => {
    if (typeof entry === 'object' && entry !== null) {
      const { digest, path } = entry as { digest?: unknown; path?: unknown };
      if (typeof digest === 'string' && typeof path === 'string') {
        paths.set(digest, path);
      }
    }
  };
  if (typeof kitfile === 'object' && kitfile !== null) {
    const doc = kitfile as Record<string, unknown>;
    add(doc.model);
    const model = doc.model as { parts?: unknown } | undefined;
    for (const list of [
      model?.parts,
      doc.code,
      doc.datasets,
      doc.docs,
      doc.prompts
    ]) {
      if (Array.isArray(list)) {
        list.forEach(add);
      }
    }
  }
  return paths;
}

/** The path a layer holds: from its annotation, else from the Kitfile (`layerPaths`). */
export function layerPath(
  layer: IDescriptor,
  paths: ReadonlyMap<string, string>
): string {
  return (
    layer.annotations?.['org.cncf.model.filepath'] ??
    paths.get(layer.digest) ??
    ''
  );
}

/** What a job's detail view shows besides its log. */
export interface IJobFacts {
  reference: string;
  digest: string;
  /** The kit's size (its layers) when the job knows them, else null. */
  size: number | null;
  /** Bytes sent (push) or received (pull), when the job moved any. */
  transferred: number | null;
  /** Seconds from start to end (or to now while it runs), null before it started. */
  duration: number | null;
  /** Warnings: the job went on (a pickle not proven safe, a secret allowed, a skipped file). */
  warnings: string[];
  /** The error that ended the job, if it failed. */
  error: string;
  safety: ISafetyFinding[];
  /** Further tags a push put the kit under. */
  tags: string[];
}

const WARNING_PREFIX = 'warning: ';

export function jobFacts(job: IJob, now: number): IJobFacts {
  const result = job.result ?? null;
  const resultWarnings =
    result && 'warnings' in result && Array.isArray(result.warnings)
      ? result.warnings
      : null;
  // A pack's result lists its warnings in full; other jobs say theirs in the log only.
  const warnings =
    resultWarnings && resultWarnings.length > 0
      ? resultWarnings
      : job.log
          .filter(line => line.startsWith(WARNING_PREFIX))
          .map(line => line.slice(WARNING_PREFIX.length));
  let size: number | null = null;
  let transferred: number | null = null;
  if (result && 'layers' in result && Array.isArray(result.layers)) {
    size = layersSize(result.layers);
  }
  if (result && 'uploadedBytes' in result) {
    size = result.kitSize;
    transferred = result.uploadedBytes;
  }
  if (result && 'downloadedBytes' in result) {
    transferred = result.downloadedBytes;
  }
  const started = job.startedAt ?? null;
  const ended = job.finishedAt ?? (isActive(job.state) ? now : null);
  return {
    reference: jobReference(job),
    digest: result && 'digest' in result ? result.digest : '',
    size,
    transferred,
    duration:
      started !== null && ended !== null ? Math.max(0, ended - started) : null,
    warnings,
    error: job.error ? (job.error.message ?? job.error.code ?? '') : '',
    safety:
      result && 'safety' in result && Array.isArray(result.safety)
        ? result.safety
        : [],
    tags: job.kind === 'push' ? (job.params.tags ?? []) : []
  };
}

/** The running jobs in one line's worth: how many, and their bytes done of the total. */
export function runningSummary(jobs: readonly IJob[]): {
  count: number;
  done: number;
  total: number;
} {
  const active = jobs.filter(job => isActive(job.state));
  return {
    count: active.length,
    done: active.reduce((sum, job) => sum + job.progress.done, 0),
    total: active.reduce((sum, job) => sum + job.progress.total, 0)
  };
}

/** Jobs that have ended, which "Clear finished jobs" forgets. */
export function finishedJobIds(jobs: readonly IJob[]): string[] {
  return jobs.filter(job => !isActive(job.state)).map(job => job.id);
}

/** One kit a notebook went into (`metadata.kitlab.pushed`, written by the push jobs). */
export interface ILineageEntry {
  reference: string;
  digest: string;
  at: string;
}

/** The kits a notebook's metadata says it went into, newest first; malformed entries are skipped. */
export function notebookLineage(kitlabMetadata: unknown): ILineageEntry[] {
  if (typeof kitlabMetadata !== 'object' || kitlabMetadata === null) {
    return [];
  }
  const pushed = (kitlabMetadata as { pushed?: unknown }).pushed;
  if (!Array.isArray(pushed)) {
    return [];
  }
  return pushed
    .filter(
      (entry): entry is ILineageEntry =>
        typeof entry === 'object' &&
        entry !== null &&
        typeof entry.reference === 'string' &&
        typeof entry.digest === 'string'
    )
    .map(entry => ({
      reference: entry.reference,
      digest: entry.digest,
      at: typeof entry.at === 'string' ? entry.at : ''
    }))
    .reverse();
}

/** `v1, v2 latest,v1` → `['v1', 'v2', 'latest']`: tags typed in one field, in order, once each. */
export function splitTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,]+/)
        .map(tag => tag.trim())
        .filter(Boolean)
    )
  ];
}

/** References of the kit with `digest` that succeeded push jobs put on a registry, newest first. */
export function pushedReferences(
  jobs: readonly IJob[],
  digest: string
): string[] {
  const references: string[] = [];
  for (const job of jobs) {
    if (
      (job.kind === 'push' || job.kind === 'pack-push') &&
      job.state === 'succeeded' &&
      job.result?.digest === digest
    ) {
      const reference = job.result.reference;
      const repository = repositoryOf(reference);
      const extra = job.kind === 'push' ? (job.params.tags ?? []) : [];
      for (const name of [
        reference,
        ...extra.map(tag => `${repository}:${tag}`)
      ]) {
        if (!references.includes(name)) {
          references.push(name);
        }
      }
    }
  }
  return references;
}

/** `registry/repository` of a reference, without its tag or digest. */
export function repositoryOf(reference: string): string {
  const { registry, repository } = parseReference(reference);
  return `${registry}/${repository}`;
}

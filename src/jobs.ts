/**
 * The job list, kept current from REST reads and event-bus updates. Pure functions (unit-tested by
 * jest): the model calls them and stores the result.
 */
import { etaSeconds } from './format';
import { isLocalRegistry, registryHost } from './reference';
import {
  IJob,
  IJobEvent,
  isJobKind,
  ISignatureSummary,
  JobKind,
  JobState
} from './tokens';

/** The schema id of the server's job events. */
export const JOB_EVENT_SCHEMA = 'https://events.kitlab.dev/job';

const ACTIVE: ReadonlySet<JobState> = new Set<JobState>([
  'queued',
  'running',
  'cancelling'
]);

/** Queued, running or cancelling: the job may still change and can be cancelled. */
export function isActive(state: JobState): boolean {
  return ACTIVE.has(state);
}

/** Narrow an event-bus emission to a kitlab job event. */
export function asJobEvent(emission: {
  schema_id: string;
  [key: string]: unknown;
}): IJobEvent | null {
  if (emission.schema_id !== JOB_EVENT_SCHEMA) {
    return null;
  }
  const { id, kind, state } = emission;
  if (typeof id !== 'string' || !isJobKind(kind) || typeof state !== 'string') {
    return null;
  }
  return emission as unknown as IJobEvent;
}

/**
 * Insert or replace a job read from the server, keeping the list newest first.
 *
 * A REST read can be older than an event the page already applied (the request left before the
 * event, the answer came after). Within one running stage progress only grows, so a snapshot that
 * would move the bar backwards keeps the newer progress already shown.
 */
export function upsertJob(jobs: readonly IJob[], job: IJob): IJob[] {
  const existing = jobs.find(other => other.id === job.id);
  const rest = jobs.filter(other => other.id !== job.id);
  let merged = job;
  if (
    existing &&
    existing.state === 'running' &&
    job.state === 'running' &&
    existing.stage === job.stage &&
    existing.progress.total === job.progress.total &&
    existing.progress.done > job.progress.done
  ) {
    merged = { ...job, progress: existing.progress, items: existing.items };
  }
  return [...rest, merged].sort((a, b) => b.createdAt - a.createdAt);
}

/**
 * Merge a full list read from the server into the page's list, job by job as `upsertJob` does (so a
 * list that left before the latest event never moves a bar back). Jobs the list does not have yet
 * (started after it was read) are kept.
 */
export function mergeJobs(
  jobs: readonly IJob[],
  fresh: readonly IJob[]
): IJob[] {
  return fresh.reduce<IJob[]>(
    (merged, job) => upsertJob(merged, job),
    [...jobs]
  );
}

/**
 * Apply an event to the list. An event for an unknown job (started in another tab) adds a stub that
 * the next REST read completes; `now` is the creation time given to such a stub (seconds).
 */
export function applyJobEvent(
  jobs: readonly IJob[],
  event: IJobEvent,
  now: number
): IJob[] {
  const existing = jobs.find(job => job.id === event.id);
  const base: IJob = existing ?? {
    id: event.id,
    kind: event.kind,
    params: {},
    state: event.state,
    createdAt: now,
    stage: '',
    progress: { done: 0, total: 0, bytesPerSecond: 0 },
    items: [],
    log: []
  };
  // A late progress tick must not resurrect a job that already ended.
  if (existing && !isActive(existing.state) && isActive(event.state)) {
    return [...jobs];
  }
  const done = event.done ?? base.progress.done;
  const total = event.total ?? base.progress.total;
  const rate = event.bytesPerSecond ?? base.progress.bytesPerSecond;
  const updated: IJob = {
    ...base,
    state: event.state,
    stage: event.stage ?? base.stage,
    items: event.items ?? base.items,
    progress: {
      done,
      total,
      bytesPerSecond: rate,
      etaSeconds:
        event.state === 'running' ? etaSeconds(done, total, rate) : null
    },
    error: event.error ?? (isActive(event.state) ? null : base.error),
    finishedAt:
      !isActive(event.state) && !base.finishedAt ? now : base.finishedAt
  };
  return upsertJob(jobs, updated);
}

/**
 * Jobs to announce (notify about) now: ended, seen running by this page, not announced yet. Jobs that
 * had ended before the page loaded are history, not news.
 */
export function jobsToAnnounce(
  jobs: readonly IJob[],
  seenActive: ReadonlySet<string>,
  announced: ReadonlySet<string>
): IJob[] {
  return jobs.filter(
    job =>
      !isActive(job.state) && seenActive.has(job.id) && !announced.has(job.id)
  );
}

/**
 * The reference a job is about (its title, what "Copy reference" copies): for a push where the kit
 * goes (before it ends and when it fails too, not the local kit it reads), else the kit it makes or
 * reads.
 */
export function jobReference(job: IJob): string {
  if (job.result?.reference) {
    return job.result.reference;
  }
  if (job.kind === 'push') {
    return job.params.destination || job.params.reference || '';
  }
  return job.params.reference || '';
}

/**
 * The kind a job is shown as: an unpack of a registry's kit is what the user asked for with
 * "Pull and open", so it reads "Pull"; an unpack of a kit in the local store stays "Unpack".
 */
export function jobVerb(job: IJob): JobKind {
  if (
    job.kind === 'unpack' &&
    !isLocalRegistry(registryHost(job.params.reference ?? ''))
  ) {
    return 'pull';
  }
  return job.kind;
}

/** What a job works on, for its title: the reference, else the folder. */
export function jobSubject(job: IJob): string {
  const reference = jobReference(job);
  if (reference) {
    return reference;
  }
  const path = 'path' in job.params ? job.params.path : undefined;
  return typeof path === 'string' ? path || '/' : '';
}

/** The signature check a pull or unpack job proved (null when it did not check one). */
export function jobSignature(job: IJob): ISignatureSummary | null {
  const result = job.result;
  if (
    job.state === 'succeeded' &&
    result &&
    'signature' in result &&
    result.signature &&
    result.signature.verified === true
  ) {
    return result.signature;
  }
  return null;
}

/** The notebook a finished job wrote or recorded the kit in (unpack, push, pack-push), if any. */
export function jobNotebook(job: IJob): string {
  const result = job.result;
  if (result && 'notebook' in result && typeof result.notebook === 'string') {
    return result.notebook;
  }
  return '';
}

import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { FRONTEND_VERSION } from './_version';
import * as api from './api';
import {
  applyJobEvent,
  asJobEvent,
  isActive,
  jobsToAnnounce,
  mergeJobs,
  upsertJob
} from './jobs';
import { KitlabRequestError } from './request';
import {
  ConnectionState,
  IJob,
  IKitlabModel,
  IKitSummary,
  ILoginRequest,
  IRegistryStatus,
  IRemoteParams,
  IRemoteTags,
  JobRequest,
  Loadable
} from './tokens';
import { versionMismatch } from './version';

export type { EditorMode, Loadable } from './tokens';

/** While a job runs, it is also read over REST this often, in case events do not reach the page. */
const JOB_POLL_MS = 3000;

/** A failed request as a Loadable (the server's error code kept). */
export function failed<T>(error: unknown): Loadable<T> {
  if (error instanceof KitlabRequestError) {
    return { status: 'error', message: error.message, code: error.code };
  }
  return {
    status: 'error',
    message: (error as Error).message,
    code: 'network'
  };
}

/**
 * The kitlab panel's state (see `IKitlabModel`): one signal per concern (connection, jobs, kits,
 * registries), so each view re-renders only for what it shows. All server calls go
 * through here; pure rules (job reducer) live in their own modules. An
 * open Kitfile's state is its editor's (src/editor/session.ts). Timers are lumino `Poll`s, stopped by
 * `dispose()`.
 */
export class KitlabModel implements IKitlabModel {
  private _isDisposed = false;
  private _connection: ConnectionState = { status: 'connecting' };
  private _connectionChanged = new Signal<this, ConnectionState>(this);
  private _jobsChanged = new Signal<this, readonly IJob[]>(this);
  private _jobFinished = new Signal<this, IJob>(this);
  private _kitsChanged = new Signal<this, Loadable<IKitSummary[]>>(this);
  private _registriesChanged = new Signal<this, Loadable<IRegistryStatus[]>>(
    this
  );

  private _jobs: IJob[] = [];
  /** Jobs this page saw queued or running, and those whose end it has announced. */
  private _seenActive = new Set<string>();
  private _announced = new Set<string>();
  /** Runs only while a job is active (see `_updateJobPoll`). */
  private _jobPoll = new Poll({
    auto: false,
    factory: () => this._pollActiveJobs(),
    frequency: { interval: JOB_POLL_MS, backoff: false },
    name: 'kitlab:jobs',
    standby: 'when-hidden'
  });
  private _kits: Loadable<IKitSummary[]> = { status: 'idle' };
  private _registries: Loadable<IRegistryStatus[]> = { status: 'idle' };

  // ---------------------------------------------------------------------------------- lifetime

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Stop every timer and disconnect every listener. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._jobPoll.dispose();
    Signal.clearData(this);
  }

  // ---------------------------------------------------------------------------------- signals

  get connectionChanged(): ISignal<this, ConnectionState> {
    return this._connectionChanged;
  }

  get jobsChanged(): ISignal<this, readonly IJob[]> {
    return this._jobsChanged;
  }

  get jobFinished(): ISignal<this, IJob> {
    return this._jobFinished;
  }

  get kitsChanged(): ISignal<this, Loadable<IKitSummary[]>> {
    return this._kitsChanged;
  }

  get registriesChanged(): ISignal<this, Loadable<IRegistryStatus[]>> {
    return this._registriesChanged;
  }

  // ---------------------------------------------------------------------------------- connection

  get connection(): ConnectionState {
    return this._connection;
  }

  async connect(): Promise<void> {
    this._setConnection({ status: 'connecting' });
    try {
      const info = await api.getVersion();
      this._setConnection({
        status: 'ready',
        info,
        mismatch: versionMismatch(FRONTEND_VERSION, info)
      });
    } catch (error) {
      this._setConnection({
        status: 'error',
        message: (error as Error).message
      });
    }
  }

  // ---------------------------------------------------------------------------------- jobs

  get jobs(): readonly IJob[] {
    return this._jobs;
  }

  async startJob(request: JobRequest): Promise<IJob> {
    const job = await api.createJob(request);
    this._setJobs(upsertJob(this._jobs, job), true);
    return job;
  }

  async cancelJob(id: string): Promise<void> {
    const job = await api.cancelJob(id);
    this._setJobs(upsertJob(this._jobs, job), true);
  }

  async forgetJobs(ids: readonly string[]): Promise<void> {
    const forgotten = new Set<string>();
    try {
      for (const id of ids) {
        await api.deleteJob(id);
        forgotten.add(id);
      }
    } finally {
      this._setJobs(
        this._jobs.filter(job => !forgotten.has(job.id)),
        true
      );
    }
  }

  async refreshJobs(): Promise<void> {
    try {
      this._setJobs(mergeJobs(this._jobs, await api.listJobs()), true);
    } catch (error) {
      console.warn('kitlab: could not list jobs', error);
    }
  }

  handleEvent(emission: { schema_id: string; [key: string]: unknown }): void {
    const event = asJobEvent(emission);
    if (event === null || this._isDisposed) {
      return;
    }
    // Events are compact (no result, no log): an ended job is announced once its resource is read.
    this._setJobs(applyJobEvent(this._jobs, event, Date.now() / 1000), false);
    if (!isActive(event.state)) {
      void this._refreshJob(event.id);
    }
  }

  // ---------------------------------------------------------------------------------- kits

  get kits(): Loadable<IKitSummary[]> {
    return this._kits;
  }

  async refreshKits(): Promise<void> {
    if (this._kits.status !== 'ready') {
      this._setKits({ status: 'loading' });
    }
    try {
      this._setKits({ status: 'ready', value: await api.listKits() });
    } catch (error) {
      this._setKits(failed(error));
    }
  }

  async tagKit(source: string, reference: string): Promise<void> {
    await api.tagKit(source, reference);
    await this.refreshKits();
  }

  async removeKit(reference: string): Promise<void> {
    await api.removeKit(reference);
    await this.refreshKits();
  }

  remoteTags(repository: string, options: IRemoteParams): Promise<IRemoteTags> {
    return api.remoteTags(repository, options);
  }

  // ---------------------------------------------------------------------------------- registries

  get registries(): Loadable<IRegistryStatus[]> {
    return this._registries;
  }

  async refreshRegistries(): Promise<void> {
    try {
      this._setRegistries({
        status: 'ready',
        value: await api.listRegistries()
      });
    } catch (error) {
      this._setRegistries(failed(error));
    }
  }

  async login(request: ILoginRequest): Promise<IRegistryStatus> {
    const status = await api.login(request);
    await this.refreshRegistries();
    return status;
  }

  async logout(host: string): Promise<void> {
    await api.logout(host);
    await this.refreshRegistries();
  }

  // ---------------------------------------------------------------------------------- internals

  private async _pollActiveJobs(): Promise<void> {
    await Promise.all(
      this._jobs
        .filter(job => isActive(job.state))
        .map(job => this._refreshJob(job.id))
    );
  }

  private async _refreshJob(id: string): Promise<void> {
    try {
      const job = await api.getJob(id);
      this._setJobs(upsertJob(this._jobs, job), true);
    } catch (error) {
      console.warn('kitlab: could not read job', id, error);
    }
  }

  /** `fromServer`: the jobs are resources read over REST, complete enough to announce. */
  private _setJobs(jobs: IJob[], fromServer: boolean): void {
    if (this._isDisposed) {
      return;
    }
    this._jobs = jobs;
    for (const job of jobs) {
      if (isActive(job.state)) {
        this._seenActive.add(job.id);
      }
    }
    if (fromServer) {
      for (const job of jobsToAnnounce(
        jobs,
        this._seenActive,
        this._announced
      )) {
        this._announced.add(job.id);
        this._jobFinished.emit(job);
      }
    }
    this._updateJobPoll();
    this._jobsChanged.emit(this._jobs);
  }

  /**
   * While a job is active it is also read over REST every few seconds, in case events do not reach
   * the page (a proxy that drops the websocket); with no active job the poll stops.
   */
  private _updateJobPoll(): void {
    const active = this._jobs.some(job => isActive(job.state));
    const stopped =
      this._jobPoll.state.phase === 'stopped' ||
      this._jobPoll.state.phase === 'constructed';
    if (active && stopped) {
      void this._jobPoll.start();
    } else if (!active && !stopped) {
      void this._jobPoll.stop();
    }
  }

  private _setConnection(connection: ConnectionState): void {
    this._connection = connection;
    if (!this._isDisposed) {
      this._connectionChanged.emit(connection);
    }
  }

  private _setKits(kits: Loadable<IKitSummary[]>): void {
    this._kits = kits;
    if (!this._isDisposed) {
      this._kitsChanged.emit(kits);
    }
  }

  private _setRegistries(registries: Loadable<IRegistryStatus[]>): void {
    this._registries = registries;
    if (!this._isDisposed) {
      this._registriesChanged.emit(registries);
    }
  }
}

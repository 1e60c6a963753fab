import { Debouncer, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { FRONTEND_VERSION } from './_version';
import * as api from './api';
import { dropPath, moveEntry, sameKitfile } from './draft';
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
  EditorMode,
  EntryKind,
  IJob,
  IKitfile,
  IKitfileDocument,
  IKitfileSchema,
  IKitlabModel,
  IKitSummary,
  ILoginRequest,
  IPackPlan,
  IProblem,
  IRegistryStatus,
  IRemoteParams,
  IRemoteTags,
  IScanEntry,
  IScanReport,
  JobRequest,
  Loadable
} from './tokens';
import { versionMismatch } from './version';

export type { EditorMode, Loadable } from './tokens';

/** Live validation waits this long after the last keystroke. */
const VALIDATE_DELAY_MS = 400;
/** While a job runs, it is also read over REST this often, in case events do not reach the page. */
const JOB_POLL_MS = 3000;

function failed<T>(error: unknown): Loadable<T> {
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
 * The kitlab panel's state (see `IKitlabModel`): one signal per concern (connection, package flow,
 * jobs, kits, registries), so each view re-renders only for what it shows. All server calls go
 * through here; pure rules (draft edits, job reducer, problem mapping) live in their own modules.
 * Timers are lumino `Poll`s and `Debouncer`s, stopped by `dispose()`.
 */
export class KitlabModel implements IKitlabModel {
  private _isDisposed = false;
  private _connection: ConnectionState = { status: 'connecting' };
  private _connectionChanged = new Signal<this, ConnectionState>(this);
  private _packageChanged = new Signal<this, void>(this);
  private _jobsChanged = new Signal<this, readonly IJob[]>(this);
  private _jobFinished = new Signal<this, IJob>(this);
  private _kitsChanged = new Signal<this, Loadable<IKitSummary[]>>(this);
  private _registriesChanged = new Signal<this, Loadable<IRegistryStatus[]>>(
    this
  );

  private _folder: string | null = null;
  private _scan: Loadable<IScanReport> = { status: 'idle' };
  private _document: Loadable<IKitfileDocument> = { status: 'idle' };
  private _schema: Loadable<IKitfileSchema> = { status: 'idle' };
  private _draft: IKitfile | null = null;
  private _yamlText = '';
  private _editorMode: EditorMode = 'form';
  private _dirty = false;
  private _problems: IProblem[] = [];
  private _validating = false;
  /** Live validation after typing stops, and at once (next tick) for a new draft. */
  private _validateSoon = new Debouncer(
    () => this.validateNow(),
    VALIDATE_DELAY_MS
  );
  private _validateNext = new Debouncer(() => this.validateNow(), 0);
  private _validateSeq = 0;
  private _plan: Loadable<IPackPlan> = { status: 'idle' };

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
    this._validateSoon.dispose();
    this._validateNext.dispose();
    this._jobPoll.dispose();
    Signal.clearData(this);
  }

  // ---------------------------------------------------------------------------------- signals

  get connectionChanged(): ISignal<this, ConnectionState> {
    return this._connectionChanged;
  }

  get packageChanged(): ISignal<this, void> {
    return this._packageChanged;
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

  // ---------------------------------------------------------------------------------- package flow

  get folder(): string | null {
    return this._folder;
  }

  get scan(): Loadable<IScanReport> {
    return this._scan;
  }

  get document(): Loadable<IKitfileDocument> {
    return this._document;
  }

  get schema(): Loadable<IKitfileSchema> {
    return this._schema;
  }

  get draft(): IKitfile | null {
    return this._draft;
  }

  get yamlText(): string {
    return this._yamlText;
  }

  get editorMode(): EditorMode {
    return this._editorMode;
  }

  get dirty(): boolean {
    return this._dirty;
  }

  get problems(): readonly IProblem[] {
    return this._problems;
  }

  get validating(): boolean {
    return this._validating;
  }

  get plan(): Loadable<IPackPlan> {
    return this._plan;
  }

  async openFolder(folder: string, options: { scan: boolean }): Promise<void> {
    this._folder = folder;
    this._scan = { status: 'idle' };
    this._plan = { status: 'idle' };
    this._document = { status: 'loading' };
    this._draft = null;
    this._yamlText = '';
    this._problems = [];
    this._dirty = false;
    this._emitPackage();
    void this.loadSchema();
    const documentLoaded = this._loadDocument(folder);
    if (options.scan) {
      await Promise.all([documentLoaded, this.scanFolder()]);
    } else {
      await documentLoaded;
    }
  }

  async scanFolder(): Promise<void> {
    const folder = this._folder;
    if (folder === null) {
      return;
    }
    this._scan = { status: 'loading' };
    this._emitPackage();
    try {
      const report = await api.scan(folder);
      if (folder !== this._folder) {
        return;
      }
      this._scan = { status: 'ready', value: report };
      if (this._draft === null && this._document.status !== 'loading') {
        this._startDraft(report.kitfile);
      }
    } catch (error) {
      this._scan = failed(error);
      if (
        folder === this._folder &&
        this._draft === null &&
        this._document.status !== 'loading'
      ) {
        this._startDraft(emptyKitfile(folder));
      }
    }
    this._emitPackage();
  }

  useScanDraft(): void {
    if (this._scan.status === 'ready') {
      this._startDraft(this._scan.value.kitfile);
      this._dirty = true;
      this._emitPackage();
    }
  }

  async loadSchema(): Promise<void> {
    if (this._schema.status === 'ready' || this._schema.status === 'loading') {
      return;
    }
    this._schema = { status: 'loading' };
    this._emitPackage();
    try {
      this._schema = { status: 'ready', value: await api.getSchema() };
    } catch (error) {
      this._schema = failed(error);
    }
    this._emitPackage();
  }

  setDraft(kitfile: IKitfile): void {
    // rjsf reports a change when it first fills in defaults; that is not an edit.
    if (sameKitfile(kitfile, this._draft)) {
      this._draft = kitfile;
      return;
    }
    this._draft = kitfile;
    this._dirty = true;
    this._editorMode = 'form';
    this._plan = { status: 'idle' };
    this._emitPackage();
    this._scheduleValidation();
  }

  moveEntry(entry: IScanEntry, kind: EntryKind): void {
    this.setDraft(moveEntry(this._draft ?? {}, entry, kind));
  }

  dropEntry(entry: IScanEntry): void {
    this.setDraft(dropPath(this._draft ?? {}, entry.path));
  }

  setYamlText(text: string): void {
    this._yamlText = text;
    this._dirty = true;
    this._editorMode = 'yaml';
    this._plan = { status: 'idle' };
    this._emitPackage();
    this._scheduleValidation();
  }

  /**
   * Switch editors, carrying unsaved edits across: the server parses the YAML tab's text into the
   * form's draft, and lays the form's draft into the Kitfile's text (comments kept) for the YAML tab.
   * Content that does not parse keeps the editor it is in, with its problems shown.
   */
  async setEditorMode(mode: EditorMode): Promise<void> {
    if (mode === this._editorMode) {
      return;
    }
    if (this._dirty && this._folder !== null) {
      const result = await api.validateKitfile(this._folder, this._input());
      this._problems = result.problems;
      if (!result.kitfile || typeof result.text !== 'string') {
        // Unparseable: stay where the problems point (the YAML tab has their lines).
        this._emitPackage();
        return;
      }
      this._draft = result.kitfile;
      this._yamlText = result.text;
    }
    this._editorMode = mode;
    this._emitPackage();
  }

  async validateNow(): Promise<void> {
    this._cancelValidation();
    const folder = this._folder;
    if (folder === null || this._isDisposed) {
      return;
    }
    const seq = ++this._validateSeq;
    this._validating = true;
    this._emitPackage();
    try {
      const result = await api.validateKitfile(folder, this._input());
      if (seq === this._validateSeq) {
        this._problems = result.problems;
      }
    } catch (error) {
      if (seq === this._validateSeq) {
        this._problems = [
          { path: '', message: (error as Error).message, severity: 'error' }
        ];
      }
    } finally {
      if (seq === this._validateSeq) {
        this._validating = false;
        this._emitPackage();
      }
    }
  }

  async save(): Promise<IKitfileDocument> {
    const folder = this._folder;
    if (folder === null) {
      throw new Error('No folder is open');
    }
    this._cancelValidation();
    this._validateSeq++;
    try {
      const saved = await api.saveKitfile(folder, this._input());
      this._acceptDocument(saved);
      this._plan = { status: 'idle' };
      this._emitPackage();
      return saved;
    } catch (error) {
      const problems = problemsOf(error);
      if (problems !== null) {
        this._problems = problems;
        this._validating = false;
        this._emitPackage();
      }
      throw error;
    }
  }

  async loadPlan(): Promise<void> {
    const folder = this._folder;
    if (folder === null) {
      return;
    }
    this._plan = { status: 'loading' };
    this._emitPackage();
    try {
      this._plan = { status: 'ready', value: await api.getPlan(folder) };
    } catch (error) {
      this._plan = failed(error);
    }
    this._emitPackage();
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
    return api.remoteTags(
      repository,
      options.plainHttp ?? false,
      options.tlsVerify ?? true
    );
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

  private async _loadDocument(folder: string): Promise<void> {
    try {
      const document = await api.getKitfile(folder);
      if (folder !== this._folder) {
        return;
      }
      this._document = { status: 'ready', value: document };
      if (document.exists && document.kitfile) {
        this._acceptDocument(document);
      } else {
        this._draftFromScan(folder);
      }
    } catch (error) {
      this._document = failed(error);
      this._draftFromScan(folder);
    }
    this._emitPackage();
  }

  /** No Kitfile on disk: start from the scan's draft, or an empty Kitfile when the scan failed. */
  private _draftFromScan(folder: string): void {
    if (this._draft !== null) {
      return;
    }
    if (this._scan.status === 'ready') {
      this._startDraft(this._scan.value.kitfile);
    } else if (this._scan.status === 'error') {
      this._startDraft(emptyKitfile(folder));
    }
  }

  private _acceptDocument(document: IKitfileDocument): void {
    this._document = { status: 'ready', value: document };
    this._draft = document.kitfile ?? this._draft;
    this._yamlText = document.text ?? '';
    this._problems = document.problems;
    this._dirty = false;
    this._validating = false;
  }

  /** A draft from the scan: not on disk yet, so it counts as unsaved and is validated at once. */
  private _startDraft(kitfile: IKitfile): void {
    this._draft = kitfile;
    this._dirty = true;
    this._editorMode = 'form';
    this._scheduleValidation(true);
  }

  private _input(): api.KitfileInput {
    return this._editorMode === 'yaml'
      ? { text: this._yamlText }
      : { kitfile: this._draft ?? {} };
  }

  /** Validate after typing stops, or on the next tick when `now`. */
  private _scheduleValidation(now = false): void {
    if (this._isDisposed) {
      return;
    }
    this._cancelValidation();
    // A debouncer's promise rejects when it is stopped or replaced; validateNow reports its own errors.
    (now ? this._validateNext : this._validateSoon)
      .invoke()
      .catch(() => undefined);
  }

  private _cancelValidation(): void {
    if (!this._isDisposed) {
      void this._validateSoon.stop();
      void this._validateNext.stop();
    }
  }

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

  private _emitPackage(): void {
    if (!this._isDisposed) {
      this._packageChanged.emit();
    }
  }
}

/** A Kitfile to write by hand: the format version and the folder's name. */
function emptyKitfile(folder: string): IKitfile {
  const name = folder.split('/').filter(Boolean).pop() ?? '';
  return { manifestVersion: '1.0.0', package: name ? { name } : {} };
}

/** The Kitfile problems a failed save carries in `error.details.problems`, if any. */
function problemsOf(error: unknown): IProblem[] | null {
  if (!(error instanceof KitlabRequestError)) {
    return null;
  }
  const details = error.details as { problems?: unknown } | undefined;
  return Array.isArray(details?.problems)
    ? (details.problems as IProblem[])
    : null;
}

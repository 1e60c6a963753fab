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
  EntryKind,
  IJob,
  IKitfile,
  IKitfileDocument,
  IKitfileSchema,
  IKitSummary,
  ILoginRequest,
  IPackPlan,
  IProblem,
  IRegistryStatus,
  IRemoteTags,
  IScanEntry,
  IScanReport,
  JobKind
} from './tokens';
import { versionMismatch } from './version';

/** A value fetched from the server: not asked for yet, on its way, there, or failed. */
export type Loadable<T> =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'ready'; value: T }
  | { status: 'error'; message: string; code: string };

/** Which editor the user edits the Kitfile in; Save sends that editor's content. */
export type EditorMode = 'form' | 'yaml';

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
 * The kitlab panel's state. Views subscribe to `changed` and re-render; all server calls go through
 * here. Pure rules (draft edits, job reducer, problem mapping) live in their own modules.
 */
export class KitlabModel {
  private _connection: ConnectionState = { status: 'connecting' };
  private _changed = new Signal<this, void>(this);
  private _jobFinished = new Signal<this, IJob>(this);

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
  private _validateTimer: ReturnType<typeof setTimeout> | null = null;
  private _validateSeq = 0;
  private _plan: Loadable<IPackPlan> = { status: 'idle' };

  private _jobs: IJob[] = [];
  /** Jobs this page saw queued or running, and those whose end it has announced. */
  private _seenActive = new Set<string>();
  private _announced = new Set<string>();
  private _jobPoll: ReturnType<typeof setInterval> | null = null;
  private _kits: Loadable<IKitSummary[]> = { status: 'idle' };
  private _registries: Loadable<IRegistryStatus[]> = { status: 'idle' };

  // ---------------------------------------------------------------------------------- signals

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * A job this page saw running has ended (succeeded, failed, cancelled). Emitted once per job, with
   * the job as read from the server (so `result` is there).
   */
  get jobFinished(): ISignal<this, IJob> {
    return this._jobFinished;
  }

  // ---------------------------------------------------------------------------------- connection

  get connection(): ConnectionState {
    return this._connection;
  }

  /** Handshake with the server; safe to call again to retry. */
  async connect(): Promise<void> {
    this._connection = { status: 'connecting' };
    this._emit();
    try {
      const info = await api.getVersion();
      this._connection = {
        status: 'ready',
        info,
        mismatch: versionMismatch(FRONTEND_VERSION, info)
      };
    } catch (error) {
      this._connection = { status: 'error', message: (error as Error).message };
    }
    this._emit();
  }

  // ---------------------------------------------------------------------------------- package flow

  /** The folder being packaged ('' = the server root), or null before one is chosen. */
  get folder(): string | null {
    return this._folder;
  }

  get scan(): Loadable<IScanReport> {
    return this._scan;
  }

  /** The Kitfile as saved on disk. */
  get document(): Loadable<IKitfileDocument> {
    return this._document;
  }

  get schema(): Loadable<IKitfileSchema> {
    return this._schema;
  }

  /** The Kitfile being edited in the form (unsaved edits included). */
  get draft(): IKitfile | null {
    return this._draft;
  }

  get yamlText(): string {
    return this._yamlText;
  }

  get editorMode(): EditorMode {
    return this._editorMode;
  }

  /** The draft or the YAML text differs from what was last loaded or saved. */
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

  /**
   * Start packaging `folder`: read its Kitfile (if any) and, when `scan` is set, scan it. An existing
   * Kitfile wins over the scan's draft; the user can switch with `useScanDraft`.
   */
  async openFolder(folder: string, options: { scan: boolean }): Promise<void> {
    this._folder = folder;
    this._scan = { status: 'idle' };
    this._plan = { status: 'idle' };
    this._document = { status: 'loading' };
    this._draft = null;
    this._yamlText = '';
    this._problems = [];
    this._dirty = false;
    this._emit();
    void this.loadSchema();
    const documentLoaded = this._loadDocument(folder);
    if (options.scan) {
      await Promise.all([documentLoaded, this.scanFolder()]);
    } else {
      await documentLoaded;
    }
  }

  /** Scan the current folder again. */
  async scanFolder(): Promise<void> {
    const folder = this._folder;
    if (folder === null) {
      return;
    }
    this._scan = { status: 'loading' };
    this._emit();
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
    this._emit();
  }

  /** Replace the draft with the scan's (after the user confirmed). */
  useScanDraft(): void {
    if (this._scan.status === 'ready') {
      this._startDraft(this._scan.value.kitfile);
      this._dirty = true;
      this._emit();
    }
  }

  async loadSchema(): Promise<void> {
    if (this._schema.status === 'ready' || this._schema.status === 'loading') {
      return;
    }
    this._schema = { status: 'loading' };
    this._emit();
    try {
      this._schema = { status: 'ready', value: await api.getSchema() };
    } catch (error) {
      this._schema = failed(error);
    }
    this._emit();
  }

  /** The form changed: keep the draft and validate it shortly. */
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
    this._emit();
    this._scheduleValidation();
  }

  /** A scan entry should become another kind of Kitfile entry. */
  moveEntry(entry: IScanEntry, kind: EntryKind): void {
    this.setDraft(moveEntry(this._draft ?? {}, entry, kind));
  }

  /** A scan entry should not be packed at all. */
  dropEntry(entry: IScanEntry): void {
    this.setDraft(dropPath(this._draft ?? {}, entry.path));
  }

  /** The YAML tab changed: keep the text and validate it shortly. */
  setYamlText(text: string): void {
    this._yamlText = text;
    this._dirty = true;
    this._editorMode = 'yaml';
    this._plan = { status: 'idle' };
    this._emit();
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
        this._emit();
        return;
      }
      this._draft = result.kitfile;
      this._yamlText = result.text;
    }
    this._editorMode = mode;
    this._emit();
  }

  /** Validate what the active editor holds now (no delay). */
  async validateNow(): Promise<void> {
    if (this._validateTimer !== null) {
      clearTimeout(this._validateTimer);
      this._validateTimer = null;
    }
    const folder = this._folder;
    if (folder === null) {
      return;
    }
    const seq = ++this._validateSeq;
    this._validating = true;
    this._emit();
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
        this._emit();
      }
    }
  }

  /** Save the active editor's content as the folder's Kitfile (the server keeps comments). */
  async save(): Promise<IKitfileDocument> {
    const folder = this._folder;
    if (folder === null) {
      throw new Error('No folder is open');
    }
    if (this._validateTimer !== null) {
      clearTimeout(this._validateTimer);
      this._validateTimer = null;
    }
    this._validateSeq++;
    try {
      const saved = await api.saveKitfile(folder, this._input());
      this._acceptDocument(saved);
      this._plan = { status: 'idle' };
      this._emit();
      return saved;
    } catch (error) {
      const problems = problemsOf(error);
      if (problems !== null) {
        this._problems = problems;
        this._validating = false;
        this._emit();
      }
      throw error;
    }
  }

  /** What packing would write, layer by layer. */
  async loadPlan(): Promise<void> {
    const folder = this._folder;
    if (folder === null) {
      return;
    }
    this._plan = { status: 'loading' };
    this._emit();
    try {
      this._plan = { status: 'ready', value: await api.getPlan(folder) };
    } catch (error) {
      this._plan = failed(error);
    }
    this._emit();
  }

  // ---------------------------------------------------------------------------------- jobs

  /** Every job, newest first. */
  get jobs(): readonly IJob[] {
    return this._jobs;
  }

  async startJob(
    kind: JobKind,
    params: Record<string, unknown>
  ): Promise<IJob> {
    const job = await api.createJob(kind, params);
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

  /** Feed an event from jupyter_server's event bus; other schemas are ignored. */
  handleEvent(emission: { schema_id: string; [key: string]: unknown }): void {
    const event = asJobEvent(emission);
    if (event === null) {
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
      this._kits = { status: 'loading' };
      this._emit();
    }
    try {
      this._kits = { status: 'ready', value: await api.listKits() };
    } catch (error) {
      this._kits = failed(error);
    }
    this._emit();
  }

  async tagKit(source: string, reference: string): Promise<void> {
    await api.tagKit(source, reference);
    await this.refreshKits();
  }

  async removeKit(reference: string): Promise<void> {
    await api.removeKit(reference);
    await this.refreshKits();
  }

  remoteTags(
    repository: string,
    plainHttp: boolean,
    tlsVerify = true
  ): Promise<IRemoteTags> {
    return api.remoteTags(repository, plainHttp, tlsVerify);
  }

  // ---------------------------------------------------------------------------------- registries

  get registries(): Loadable<IRegistryStatus[]> {
    return this._registries;
  }

  async refreshRegistries(): Promise<void> {
    try {
      this._registries = { status: 'ready', value: await api.listRegistries() };
    } catch (error) {
      this._registries = failed(error);
    }
    this._emit();
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
    this._emit();
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
    this._scheduleValidation(0);
  }

  private _input(): api.KitfileInput {
    return this._editorMode === 'yaml'
      ? { text: this._yamlText }
      : { kitfile: this._draft ?? {} };
  }

  private _scheduleValidation(delay = VALIDATE_DELAY_MS): void {
    if (this._validateTimer !== null) {
      clearTimeout(this._validateTimer);
    }
    this._validateTimer = setTimeout(() => {
      this._validateTimer = null;
      void this.validateNow();
    }, delay);
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
    this._emit();
  }

  private _updateJobPoll(): void {
    const active = this._jobs.some(job => isActive(job.state));
    if (active && this._jobPoll === null) {
      this._jobPoll = setInterval(() => {
        for (const job of this._jobs.filter(j => isActive(j.state))) {
          void this._refreshJob(job.id);
        }
      }, JOB_POLL_MS);
    } else if (!active && this._jobPoll !== null) {
      clearInterval(this._jobPoll);
      this._jobPoll = null;
    }
  }

  private _emit(): void {
    this._changed.emit();
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

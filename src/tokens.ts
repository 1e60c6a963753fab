/**
 * Types shared by the kitlab frontend: the shapes the server sends (see kitlab/server/openapi.yaml), the
 * model's token, and the command ids other plugins call.
 */
import { Token } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';

/** GET /kitlab/version */
export interface IVersionInfo {
  version: string;
  apiVersion: number;
  /** kit's state directory (storage/, credentials.json), shared with the `kit` CLI. */
  kitopsHome: string;
  /** The local ModelKit store: `<kitopsHome>/storage`. */
  store: string;
}

/** The error body every kitlab endpoint returns on failure. */
export interface IErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** The server connection state the panel shows. */
export type ConnectionState =
  | { status: 'connecting' }
  | { status: 'ready'; info: IVersionInfo; mismatch: string | null }
  | { status: 'error'; message: string };

// ------------------------------------------------------------------------------------------ Kitfile

/** One Kitfile problem, attached to a field path (`datasets[1].license`; '' = the whole file). */
export interface IProblem {
  path: string;
  message: string;
  severity: 'error' | 'warning';
  line?: number | null;
  column?: number | null;
}

export interface IKitfilePackage {
  name?: string;
  version?: string;
  description?: string;
  license?: string;
  authors?: string[];
}

export interface IKitfilePart {
  name?: string;
  path?: string;
  license?: string;
  type?: string;
}

export interface IKitfileModel {
  name?: string;
  path?: string;
  license?: string;
  framework?: string;
  format?: string;
  version?: string;
  description?: string;
  parts?: IKitfilePart[];
  parameters?: unknown;
}

export interface IKitfileCode {
  path?: string;
  description?: string;
  license?: string;
}

export interface IKitfileDataset {
  name?: string;
  path?: string;
  description?: string;
  license?: string;
  remotePath?: string;
  remoteHash?: string;
  parameters?: unknown;
}

export interface IKitfileDocs {
  path?: string;
  description?: string;
}

/** A Kitfile as JSON, with kit's YAML key names. Unknown keys (prompts, mcpServers) pass through. */
export interface IKitfile {
  manifestVersion?: string;
  package?: IKitfilePackage;
  model?: IKitfileModel;
  code?: IKitfileCode[];
  datasets?: IKitfileDataset[];
  docs?: IKitfileDocs[];
  [key: string]: unknown;
}

/** GET/PUT /kitlab/kitfile */
export interface IKitfileDocument {
  path: string;
  exists: boolean;
  text?: string;
  kitfile?: IKitfile | null;
  problems: IProblem[];
}

/** POST /kitlab/kitfile/validate */
export interface IValidation {
  problems: IProblem[];
  kitfile?: IKitfile | null;
  /** The YAML a save would write (form edits laid into the file on disk); null when unparseable. */
  text?: string | null;
}

/** GET /kitlab/schema: the JSON Schema and rjsf UI hints for the form. */
export interface IKitfileSchema {
  schema: Record<string, unknown>;
  uiSchema: Record<string, unknown>;
  /** Vocabularies the `suggest` widgets offer (licenses, frameworks, formats), by name. */
  suggestions?: Record<string, string[]>;
}

// ------------------------------------------------------------------------------------------ Scan

/** What a scanned file or folder should become in the Kitfile. */
export type EntryKind = 'model' | 'modelpart' | 'dataset' | 'code' | 'docs';

export interface IScanEntry {
  kind: EntryKind;
  path: string;
  reasons: string[];
  name?: string;
  size?: number;
  format?: string;
  framework?: string;
  description?: string;
  /** A model part's type (tokenizer, scaler …). */
  type?: string;
}

/** One secret the scan kept out of every layer (the value itself is never sent). */
export interface ISecretFinding {
  path: string;
  kind: string;
  line?: number;
  cell?: number;
}

/** The scan's hygiene report (the API sends camelCase keys). */
export interface IHygiene {
  secrets?: ISecretFinding[];
  excluded?: { path: string; reason: string }[];
  /** Files no layer covers (the first ones), and how many there are in all. */
  uncovered?: string[];
  uncoveredCount?: number;
  suggestedKitignore?: string;
  [key: string]: unknown;
}

/** GET /kitlab/scan */
export interface IScanReport {
  folder?: string;
  kitfile: IKitfile;
  entries: IScanEntry[];
  warnings?: unknown[];
  hygiene?: IHygiene;
  requirements?: string;
  stoppedEarly?: boolean;
  [key: string]: unknown;
}

// ------------------------------------------------------------------------------------------ Plan

export interface IPlanLayer {
  kind: string;
  path: string;
  size: number;
  fileCount: number;
  files: { name: string; size: number }[];
  unchanged: boolean;
}

/** GET /kitlab/plan */
export interface IPackPlan {
  layers: IPlanLayer[];
  warnings: IProblem[];
  totalSize: number;
  unchangedSize: number;
}

// ------------------------------------------------------------------------------------------ Jobs

/**
 * Network options of every job that reaches a registry (`JobRequest.params` in
 * kitlab/server/openapi.yaml). Absent means the server's default: HTTPS, certificate verified.
 */
export interface IRemoteParams {
  plainHttp?: boolean;
  tlsVerify?: boolean;
}

/** `pack`: a folder into the local store, tagged `reference` when given. */
export interface IPackParams {
  path: string;
  reference?: string;
  compression?: Compression;
}

/** `push`: a kit of the local store to a registry (`destination` defaults to `reference`). */
export interface IPushParams extends IRemoteParams {
  reference: string;
  destination?: string;
  /** A notebook to record the pushed kit in (lineage). */
  notebook?: string;
  /** Sign the pushed digest with the server's key (`Kitlab.signing_key`), as cosign does. */
  sign?: boolean;
}

/** `pack-push`: pack a folder straight into a registry, nothing written locally. */
export interface IPackPushParams extends IRemoteParams {
  path: string;
  reference: string;
  compression?: Compression;
  notebook?: string;
  /** As for push. */
  sign?: boolean;
}

/** `pull`: a kit from a registry into the local store. */
export interface IPullParams extends IRemoteParams {
  reference: string;
  /** Pull only if the kit carries a signature by one of the server's trusted keys. */
  verify?: boolean;
}

/** `unpack`: a kit into a workspace folder (pulled first when not in the store). */
export interface IUnpackParams extends IRemoteParams {
  reference: string;
  path: string;
  /** kit's `--filter` values (`model`, `datasets` …); none = everything. */
  filters?: string[];
  overwrite?: boolean;
  ignoreExisting?: boolean;
  /** Write a notebook that loads the kit beside it. */
  notebook?: boolean;
  /** As for pull: only a kit signed by one of the server's trusted keys. */
  verify?: boolean;
}

/** A pickle file the safety scan did not trust, with the globals that decided. */
export interface ISafetyFinding {
  path: string;
  verdict: 'dangerous' | 'unknown';
  globals: string[];
}

export interface IPackResult {
  reference: string | null;
  digest: string;
  layers: {
    kind: string;
    path: string;
    digest: string;
    size: number;
    unchanged: boolean;
  }[];
  warnings: string[];
  safety: ISafetyFinding[];
}

/** `push` and `pack-push` (kitlab/modelkit/transfer.py `PushResult`, camelCased). */
export interface IPushResult {
  reference: string;
  digest: string;
  uploadedBytes: number;
  skippedBlobs: number;
  mountedBlobs: number;
  warnings: string[];
  /** The notebook the kit was recorded in, if one was named. */
  notebook: string | null;
}

export interface IPackPushResult extends IPushResult {
  safety: ISafetyFinding[];
}

/** A signature check that succeeded (kitlab/server/operations.py `signature_summary`; docs/trust.md). */
export interface ISignatureSummary {
  verified: true;
  digest: string;
  signatures: number;
  /** The trusted public key's file name on the server. */
  key: string;
  /** `SHA256:…` of the key. */
  fingerprint: string;
}

export interface IPullResult {
  reference: string;
  digest: string;
  downloadedBytes: number;
  skippedBlobs: number;
  parents: string[];
  /** Null when the signature was not checked. */
  signature?: ISignatureSummary | null;
}

export interface IUnpackResult {
  reference: string;
  digest: string;
  /** The folder the kit was unpacked into. */
  path: string;
  /** The notebook that loads the kit, when `notebook` was asked for. */
  notebook?: string;
  safety?: ISafetyFinding[];
  /** Null when the signature was not checked. */
  signature?: ISignatureSummary | null;
}

/** Params and result of each job kind, as kitlab/server/operations.py reads and returns them. */
export interface IJobKinds {
  pack: { params: IPackParams; result: IPackResult };
  push: { params: IPushParams; result: IPushResult };
  'pack-push': { params: IPackPushParams; result: IPackPushResult };
  pull: { params: IPullParams; result: IPullResult };
  unpack: { params: IUnpackParams; result: IUnpackResult };
}

export type JobKind = keyof IJobKinds;

export const JOB_KINDS: readonly JobKind[] = [
  'pack',
  'push',
  'pack-push',
  'pull',
  'unpack'
];

export function isJobKind(kind: unknown): kind is JobKind {
  return JOB_KINDS.includes(kind as JobKind);
}

/** POST /kitlab/jobs: a kind with its own params (a discriminated union by `kind`). */
export type JobRequest = {
  [K in JobKind]: { kind: K; params: IJobKinds[K]['params'] };
}[JobKind];

export type JobState =
  | 'queued'
  | 'running'
  | 'cancelling'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'interrupted';

export interface IJobItem {
  item: string;
  index: number;
  count: number;
  stage: string;
  done: number;
  total: number;
}

export interface IJobError {
  code?: string;
  message?: string;
  details?: unknown;
}

export interface IJobProgress {
  done: number;
  total: number;
  bytesPerSecond: number;
  etaSeconds?: number | null;
}

/** What every job has, whatever its kind. */
export interface IJobBase {
  id: string;
  state: JobState;
  createdAt: number;
  startedAt?: number | null;
  finishedAt?: number | null;
  stage: string;
  progress: IJobProgress;
  items: IJobItem[];
  log: string[];
  error?: IJobError | null;
}

/**
 * GET /kitlab/jobs/{id}: the source of truth for a job, discriminated by `kind`. `params` are what
 * the job was started with (empty in a stub made from an event until the job is read), `result`
 * is there once it succeeded.
 */
export type IJob = {
  [K in JobKind]: IJobBase & {
    kind: K;
    params: Partial<IJobKinds[K]['params']>;
    result?: IJobKinds[K]['result'] | null;
  };
}[JobKind];

/** The compact job event on jupyter_server's event bus (schema `https://events.kitlab.dev/job`). */
export interface IJobEvent {
  id: string;
  kind: JobKind;
  state: JobState;
  stage?: string;
  done?: number;
  total?: number;
  bytesPerSecond?: number;
  items?: IJobItem[];
  error?: IJobError;
}

// ------------------------------------------------------------------------------------------ Kits

/** GET /kitlab/kits */
export interface IKitSummary {
  repository: string;
  tags: string[];
  digest: string;
  size: number;
  display?: string;
  name?: string;
  author?: string;
  /** `org.opencontainers.image.created`, when the kit carries it (kit itself writes none). */
  created?: string | null;
  /** When the kit came into the local store (packed or pulled here), in seconds since the epoch. */
  storedAt?: number | null;
  /** Why the kit cannot be read (missing or corrupt blob, a document nested too deeply); empty if it can. */
  error?: string;
}

/** GET /kitlab/remote */
export interface IRemoteTags {
  repository: string;
  tags: string[];
}

// ------------------------------------------------------------------------------------------ Registries

export interface IRegistryStatus {
  host: string;
  loggedIn: boolean;
  username?: string | null;
}

export interface ILoginRequest {
  host: string;
  username: string;
  password: string;
  plainHttp?: boolean;
  tlsVerify?: boolean;
}

// ------------------------------------------------------------------------------------------ Settings

export type Compression = 'none' | 'gzip' | 'gzip-fastest' | 'zstd';

/** The user settings in schema/plugin.json. */
export interface IKitlabSettings {
  defaultRegistry: string;
  defaultRepository: string;
  compression: Compression;
  /** Registries (host[:port]) whose TLS certificates are not verified (kit's --tls-verify=false). */
  insecureRegistries: string[];
  autoScan: boolean;
  /** Pre-select signing in the Pack & push dialog (the server's key, docs/trust.md). */
  signOnPush: boolean;
}

export const DEFAULT_SETTINGS: IKitlabSettings = {
  defaultRegistry: '',
  defaultRepository: '',
  compression: 'none',
  insecureRegistries: [],
  autoScan: true,
  signOnPush: false
};

// ------------------------------------------------------------------------------------------ Plugin API

/** A value fetched from the server: not asked for yet, on its way, there, or failed. */
export type Loadable<T> =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'ready'; value: T }
  | { status: 'error'; message: string; code: string };

/** Which editor the user edits the Kitfile in; Save sends that editor's content. */
export type EditorMode = 'form' | 'yaml';

/**
 * The kitlab state, for the panel and for other plugins (notebook toolbar, file browser) that start
 * the package flow. All server calls go through it. Each concern has its own signal, so a view
 * re-renders only for what it shows: a job's progress does not redraw the Kitfile form.
 */
export interface IKitlabModel extends IDisposable {
  // ---------------------------------------------------------------- connection
  /** The handshake with the server changed state. */
  readonly connectionChanged: ISignal<IKitlabModel, ConnectionState>;
  readonly connection: ConnectionState;
  /** Handshake with the server; safe to call again to retry. */
  connect(): Promise<void>;

  // ---------------------------------------------------------------- package flow
  /** Anything of the package flow changed: folder, scan, Kitfile, draft, problems or plan. */
  readonly packageChanged: ISignal<IKitlabModel, void>;
  /** The folder being packaged ('' = the server root), or null before one is chosen. */
  readonly folder: string | null;
  readonly scan: Loadable<IScanReport>;
  /** The Kitfile as saved on disk. */
  readonly document: Loadable<IKitfileDocument>;
  readonly schema: Loadable<IKitfileSchema>;
  /** The Kitfile being edited in the form (unsaved edits included). */
  readonly draft: IKitfile | null;
  readonly yamlText: string;
  readonly editorMode: EditorMode;
  /** The draft or the YAML text differs from what was last loaded or saved. */
  readonly dirty: boolean;
  readonly problems: readonly IProblem[];
  readonly validating: boolean;
  readonly plan: Loadable<IPackPlan>;
  /**
   * Start packaging `folder`: read its Kitfile (if any) and, when `scan` is set, scan it. An existing
   * Kitfile wins over the scan's draft; the user can switch with `useScanDraft`.
   */
  openFolder(folder: string, options: { scan: boolean }): Promise<void>;
  /** Scan the current folder again. */
  scanFolder(): Promise<void>;
  /** Replace the draft with the scan's (after the user confirmed). */
  useScanDraft(): void;
  loadSchema(): Promise<void>;
  /** The form changed: keep the draft and validate it shortly. */
  setDraft(kitfile: IKitfile): void;
  /** A scan entry should become another kind of Kitfile entry. */
  moveEntry(entry: IScanEntry, kind: EntryKind): void;
  /** A scan entry should not be packed at all. */
  dropEntry(entry: IScanEntry): void;
  /** The YAML tab changed: keep the text and validate it shortly. */
  setYamlText(text: string): void;
  /** Switch editors, carrying unsaved edits across (see the class). */
  setEditorMode(mode: EditorMode): Promise<void>;
  /** Validate what the active editor holds now (no delay). */
  validateNow(): Promise<void>;
  /** Save the active editor's content as the folder's Kitfile (the server keeps comments). */
  save(): Promise<IKitfileDocument>;
  /** What packing would write, layer by layer. */
  loadPlan(): Promise<void>;

  // ---------------------------------------------------------------- jobs
  /** The job list changed (a job started, progressed or ended). */
  readonly jobsChanged: ISignal<IKitlabModel, readonly IJob[]>;
  /**
   * A job this page saw running has ended (succeeded, failed, cancelled). Emitted once per job, with
   * the job as read from the server (so `result` is there).
   */
  readonly jobFinished: ISignal<IKitlabModel, IJob>;
  /** Every job, newest first. */
  readonly jobs: readonly IJob[];
  startJob(request: JobRequest): Promise<IJob>;
  cancelJob(id: string): Promise<void>;
  refreshJobs(): Promise<void>;
  /** Feed an event from jupyter_server's event bus; other schemas are ignored. */
  handleEvent(emission: { schema_id: string; [key: string]: unknown }): void;

  // ---------------------------------------------------------------- kits
  readonly kitsChanged: ISignal<IKitlabModel, Loadable<IKitSummary[]>>;
  readonly kits: Loadable<IKitSummary[]>;
  refreshKits(): Promise<void>;
  tagKit(source: string, reference: string): Promise<void>;
  removeKit(reference: string): Promise<void>;
  remoteTags(repository: string, options: IRemoteParams): Promise<IRemoteTags>;

  // ---------------------------------------------------------------- registries
  readonly registriesChanged: ISignal<
    IKitlabModel,
    Loadable<IRegistryStatus[]>
  >;
  readonly registries: Loadable<IRegistryStatus[]>;
  refreshRegistries(): Promise<void>;
  login(request: ILoginRequest): Promise<IRegistryStatus>;
  logout(host: string): Promise<void>;
}

/** The kitlab model's token (the interface above; `KitlabModel` in src/model.ts implements it). */
export const IKitlabModel = new Token<IKitlabModel>(
  'kitlab:IKitlabModel',
  'The kitlab state: scan, Kitfile draft, jobs, kits and registries.'
);

/** Command ids; every user action is a command so it is in the palette and can get a shortcut. */
export namespace CommandIds {
  export const openPanel = 'kitlab:open-panel';
  export const packageFolder = 'kitlab:package-folder';
  export const packageSelectedFolder = 'kitlab:package-selected-folder';
  export const scan = 'kitlab:scan';
  export const saveKitfile = 'kitlab:save-kitfile';
  export const showPlan = 'kitlab:show-plan';
  export const pack = 'kitlab:pack';
  export const packPush = 'kitlab:pack-push';
  export const pull = 'kitlab:pull';
  export const showJobs = 'kitlab:show-jobs';
  export const showKits = 'kitlab:show-kits';
  export const refreshKits = 'kitlab:refresh-kits';
  export const showRegistries = 'kitlab:show-registries';
  export const login = 'kitlab:login';
}

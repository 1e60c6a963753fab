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
  /** A pickle-based model file's verdict from the pickle gate (never loaded to decide). */
  pickle?: { verdict: 'safe' | 'unknown' | 'dangerous'; globals: string[] };
}

/** One secret the scan kept out of every layer (the value itself is never sent). */
export interface ISecretFinding {
  path: string;
  kind: string;
  /** Every kind found in the file (one finding per file). */
  kinds?: string[];
  line?: number;
  cell?: number;
}

/** A read or write the code makes outside the workspace (a hub model, a URL, a home folder). */
export interface IExternalIO {
  path: string;
  kind: string;
  op: 'read' | 'write';
  by: string;
  code: string;
}

/** The scan's hygiene report (the API sends camelCase keys). */
export interface IHygiene {
  secrets?: ISecretFinding[];
  excluded?: { path: string; reason: string }[];
  /** Files no layer covers (the first ones), and how many there are in all. */
  uncovered?: string[];
  uncoveredCount?: number;
  suggestedKitignore?: string;
  /** Code entries over 100 MB: usually data or a model that belongs in its own layer. */
  hugeCodeLayers?: { path: string; size: number }[];
  externalReads?: IExternalIO[];
  externalWrites?: IExternalIO[];
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
  /** The layer's files, context-relative (the first 200; `fileCount` is exact). */
  files: string[];
  unchanged: boolean;
}

/** A file a layer would carry that looks like a secret (never its contents). */
export interface IPlanSecret {
  path: string;
  field: string;
  kinds: string[];
}

/** GET /kitlab/plan */
export interface IPackPlan {
  /** The folder planned (contents path, '' for the root). */
  folder: string;
  layers: IPlanLayer[];
  warnings: IProblem[];
  totalSize: number;
  unchangedSize: number;
  /** A pack job refuses these unless its params say `allowSecrets`. */
  secrets: IPlanSecret[];
  /** The folder's .kitignore with those files added ('' when there are none). */
  suggestedKitignore: string;
}

/** POST /kitlab/kitignore */
export interface IKitignoreWritten {
  path: string;
  text: string;
  added: string[];
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
  /** Write a CNCF ModelPack (kit >= 1.10's format), its config filled by the scanner. */
  useModelPack?: boolean;
}

/** `push`: a kit of the local store to a registry (`destination` defaults to `reference`). */
export interface IPushParams extends IRemoteParams {
  reference: string;
  destination?: string;
  /** Further tags of the destination repository to push the kit under (one upload). */
  tags?: string[];
  /** A notebook to record the pushed kit in (lineage). */
  notebook?: string;
  /** Sign the pushed digest with the server's key (`Kitlab.signing_key`), as cosign does. */
  sign?: boolean;
  /** With sign: one of the user's key pairs instead (GET /keys), and its password, which the server
   * uses to decrypt the key when the job is created and never stores. */
  signingKey?: string;
  keyPassword?: string;
}

/** `pack-push`: pack a folder straight into a registry, nothing written locally. */
export interface IPackPushParams extends IRemoteParams {
  path: string;
  reference: string;
  compression?: Compression;
  /** As for pack. */
  useModelPack?: boolean;
  notebook?: string;
  /** As for push. */
  sign?: boolean;
  signingKey?: string;
  keyPassword?: string;
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
    /** As in the kit's manifest: a ModelPack's layers carry the model-spec's types. */
    mediaType: string;
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
  /** The kit's size (its layers, as `kit list` shows it). */
  kitSize: number;
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

/**
 * A repository's tags: the pages of GET /kitlab/remote/tags, joined (src/api.ts `remoteTags`); `next`
 * is not null when the registry has more than were read.
 */
export interface IRemoteTags extends IRemotePage {
  repository: string;
  tags: string[];
}

/** One page of a registry list; `next` asks for the following page (null: this is the last). */
export interface IRemotePage {
  next: string | null;
}

/** An OCI descriptor in a manifest. */
export interface IDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** One kit of a comparison (GET /kitlab/diff), or the folder as it would be packed now (`workspace`). */
export interface IKitDiffSide {
  reference: string;
  source: 'local' | 'remote' | 'workspace';
  digest: string;
  configDigest: string;
  format: 'kit' | 'modelpack';
  size: number;
}

/** A layer of either kit, matched by kind and path; `a` is null when added, `b` when removed. */
export interface IKitDiffLayer {
  kind: string;
  path: string;
  status: 'added' | 'removed' | 'changed' | 'unchanged';
  a: { digest: string; size: number; mediaType: string } | null;
  b: { digest: string; size: number; mediaType: string } | null;
}

/** What differs between two kits (`kitlab diff`). */
export interface IKitDiff {
  a: IKitDiffSide;
  b: IKitDiffSide;
  identical: boolean;
  sameConfig: boolean;
  annotationsMatch: boolean;
  summary: Record<IKitDiffLayer['status'], number>;
  layers: IKitDiffLayer[];
  kitfile: {
    field: string;
    status: 'added' | 'removed' | 'changed';
    a: unknown;
    b: unknown;
  }[];
  kitfileTruncated: boolean;
}

export interface IKitDetail {
  reference: string;
  digest: string;
  cliVersion?: string;
  /** The Kitfile (config), null for a ModelPack kit without one. */
  kitfile: IKitfile | null;
  manifest: {
    config?: IDescriptor;
    layers?: IDescriptor[];
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
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

/** Which view of the Kitfile the editor shows: the form or the YAML text. */
export type EditorMode = 'form' | 'yaml';

/**
 * The kitlab state, for the panel and for other plugins. Each concern has its own signal, so a view
 * re-renders only for what it shows: a job's progress does not redraw the Kits list. An open
 * Kitfile's state belongs to its editor in the main area (src/editor/session.ts).
 */
export interface IKitlabModel extends IDisposable {
  // ---------------------------------------------------------------- connection
  /** The handshake with the server changed state. */
  readonly connectionChanged: ISignal<IKitlabModel, ConnectionState>;
  readonly connection: ConnectionState;
  /** Handshake with the server; safe to call again to retry. */
  connect(): Promise<void>;

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
  /** Forget jobs that have ended (on the server and in this list). */
  forgetJobs(ids: readonly string[]): Promise<void>;
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
  'The kitlab state: connection, jobs, kits and registries.'
);

/** Command ids; every user action is a command so it is in the palette and can get a shortcut. */
export namespace CommandIds {
  export const openPanel = 'kitlab:open-panel';
  export const packageFolder = 'kitlab:package-folder';
  export const packageSelectedFolder = 'kitlab:package-selected-folder';
  export const packageSelectedKitfile = 'kitlab:package-selected-kitfile';
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
  export const showJob = 'kitlab:show-job';
  export const showKit = 'kitlab:show-kit';
  export const browseRegistry = 'kitlab:browse-registry';
  export const clearFinishedJobs = 'kitlab:clear-finished-jobs';
  export const launcher = 'kitlab:launcher';
}

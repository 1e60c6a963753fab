/**
 * Types shared by the kitlab frontend: the shapes the server sends (see kitlab/server/openapi.yaml), the
 * model's token, and the command ids other plugins call.
 */
import { Token } from '@lumino/coreutils';

import type { KitlabModel } from './model';

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

export type JobKind = 'pack' | 'push' | 'pack-push' | 'pull' | 'unpack';

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

/** GET /kitlab/jobs/{id}: the source of truth for a job. */
export interface IJob {
  id: string;
  kind: string;
  params: Record<string, unknown>;
  state: JobState;
  createdAt: number;
  startedAt?: number | null;
  finishedAt?: number | null;
  stage: string;
  progress: IJobProgress;
  items: IJobItem[];
  log: string[];
  result?: Record<string, unknown> | null;
  error?: IJobError | null;
}

/** The compact job event on jupyter_server's event bus (schema `https://events.kitlab.dev/job`). */
export interface IJobEvent {
  id: string;
  kind: string;
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
}

export const DEFAULT_SETTINGS: IKitlabSettings = {
  defaultRegistry: '',
  defaultRepository: '',
  compression: 'none',
  insecureRegistries: [],
  autoScan: true
};

// ------------------------------------------------------------------------------------------ Plugin API

/** The kitlab model, for other plugins (notebook toolbar, file browser) that start the package flow. */
export const IKitlabModel = new Token<KitlabModel>(
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

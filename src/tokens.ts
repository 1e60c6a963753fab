/**
 * Types shared by the kitlab frontend: the shapes the server sends.
 */

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

import { ISignal, Signal } from '@lumino/signaling';

import { FRONTEND_VERSION } from './_version';
import { requestAPI } from './request';
import { ConnectionState, IVersionInfo } from './tokens';
import { versionMismatch } from './version';

/**
 * The kitlab panel's state. Views subscribe to `changed` and re-render; all server calls go through here.
 */
export class KitlabModel {
  private _connection: ConnectionState = { status: 'connecting' };
  private _changed = new Signal<this, void>(this);

  get connection(): ConnectionState {
    return this._connection;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Handshake with the server; safe to call again to retry. */
  async connect(): Promise<void> {
    this._set({ status: 'connecting' });
    try {
      const info = await requestAPI<IVersionInfo>('version');
      this._set({
        status: 'ready',
        info,
        mismatch: versionMismatch(FRONTEND_VERSION, info)
      });
    } catch (error) {
      this._set({ status: 'error', message: (error as Error).message });
    }
  }

  private _set(state: ConnectionState): void {
    this._connection = state;
    this._changed.emit();
  }
}

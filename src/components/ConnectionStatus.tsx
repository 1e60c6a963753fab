import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { ConnectionState } from '../tokens';

/** What the panel shows about the server: its kitlab version, the shared store, or what went wrong. */
export function ConnectionStatus(props: {
  state: ConnectionState;
  trans: TranslationBundle;
  onRetry: () => void;
}): JSX.Element {
  const { state, trans } = props;
  if (state.status === 'connecting') {
    return (
      <div className="jp-kitlab-status">
        {trans.__('Connecting to the kitlab server…')}
      </div>
    );
  }
  if (state.status === 'error') {
    return (
      <div className="jp-kitlab-status jp-kitlab-error" role="alert">
        <p>
          {trans.__(
            'The kitlab server extension did not answer: %1',
            state.message
          )}
        </p>
        <button className="jp-mod-styled jp-mod-accept" onClick={props.onRetry}>
          {trans.__('Retry')}
        </button>
      </div>
    );
  }
  return (
    <div className="jp-kitlab-status">
      {state.mismatch !== null && (
        <p className="jp-kitlab-warning" role="alert">
          {state.mismatch}
        </p>
      )}
      <dl className="jp-kitlab-facts">
        <dt>{trans.__('kitlab server')}</dt>
        <dd data-testid="kitlab-server-version">{state.info.version}</dd>
        <dt>{trans.__('Local store (shared with kit)')}</dt>
        <dd data-testid="kitlab-store" title={state.info.store}>
          {state.info.store}
        </dd>
      </dl>
    </div>
  );
}

import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { KitlabActions } from '../actions';
import { IRegistryStatus } from '../tokens';
import { OneFieldForm } from './DialogFields';
import { KeysView } from './KeysView';

/** Registries with stored credentials (never the secrets), with log in and log out. */
export function RegistriesView(props: {
  registries: readonly IRegistryStatus[];
  actions: KitlabActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { registries, actions, trans } = props;
  return (
    <div className="jp-kitlab-registries">
      {registries.length === 0 ? (
        <p className="jp-kitlab-muted">
          {trans.__('Not logged in to any registry.')}
        </p>
      ) : (
        <ul aria-label={trans.__('Registries')}>
          {registries.map(registry => (
            <li
              key={registry.host}
              className="jp-kitlab-registry"
              data-host={registry.host}
            >
              <span className="jp-kitlab-kit-name">{registry.host}</span>
              <span className="jp-kitlab-muted">
                {registry.loggedIn
                  ? registry.username
                    ? trans.__('logged in as %1', registry.username)
                    : trans.__('logged in')
                  : trans.__('not logged in')}
              </span>
              <button
                className="jp-mod-styled jp-kitlab-button"
                onClick={() => void actions.browseRegistry(registry.host)}
              >
                {trans.__('Browse')}
              </button>
              {registry.loggedIn && (
                <button
                  className="jp-mod-styled jp-kitlab-button"
                  onClick={() => void actions.logout(registry.host)}
                >
                  {trans.__('Log out')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <button
        className="jp-mod-styled jp-kitlab-button"
        onClick={() => void actions.login()}
      >
        {trans.__('Log in…')}
      </button>
      <BrowseForm actions={actions} trans={trans} />
      <KeysView trans={trans} />
    </div>
  );
}

/** Browse any registry by host (a public one needs no login). */
function BrowseForm(props: {
  actions: KitlabActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { actions, trans } = props;
  return (
    <OneFieldForm
      className="jp-kitlab-browse-registry"
      name="browse-host"
      label={trans.__('Browse a registry')}
      placeholder={trans.__('e.g. %1', 'registry.example.com')}
      button={trans.__('Browse')}
      onSubmit={host => void actions.browseRegistry(host)}
    />
  );
}

import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { OneFieldForm } from './DialogFields';

/** A page of names and where the next one starts (null: no more). */
export interface INamePage {
  names: string[];
  next: string | null;
}

/** What the registry browser asks of the server, wired by its widget. */
export interface IRegistryBrowserHandlers {
  catalog: (last: string) => Promise<INamePage>;
  tags: (repository: string, last: string) => Promise<INamePage>;
  inspect: (reference: string) => void;
  pull: (reference: string) => void;
}

/** Names read a page at a time, with "More" while the server says there are more. */
function usePages(read: ((last: string) => Promise<INamePage>) | null): {
  names: string[];
  next: string | null;
  error: string;
  busy: boolean;
  more: () => void;
} {
  const [names, setNames] = React.useState<string[]>([]);
  const [next, setNext] = React.useState<string | null>(null);
  const [error, setError] = React.useState('');
  const [busy, setBusy] = React.useState(false);
  const fetchPage = React.useCallback(
    (last: string, previous: string[]) => {
      if (read === null) {
        return;
      }
      setBusy(true);
      setError('');
      read(last)
        .then(
          page => {
            setNames([...previous, ...page.names]);
            setNext(page.next);
          },
          (reason: unknown) =>
            setError(reason instanceof Error ? reason.message : String(reason))
        )
        .finally(() => setBusy(false));
    },
    [read]
  );
  React.useEffect(() => {
    setNames([]);
    setNext(null);
    fetchPage('', []);
  }, [fetchPage]);
  return {
    names,
    next,
    error,
    busy,
    more: () => next !== null && fetchPage(next, names)
  };
}

/**
 * One registry: its repositories (where it offers a catalog; else the user names one), a
 * repository's tags a page at a time, and for each tag Inspect (without pulling) and Pull.
 */
export function RegistryBrowser(props: {
  host: string;
  handlers: IRegistryBrowserHandlers;
  trans: TranslationBundle;
}): JSX.Element {
  const { host, handlers, trans } = props;
  const [repository, setRepository] = React.useState('');
  const catalog = usePages(handlers.catalog);
  const readTags = React.useMemo(
    () =>
      repository
        ? (last: string) => handlers.tags(`${host}/${repository}`, last)
        : null,
    [handlers, host, repository]
  );
  const tags = usePages(readTags);
  return (
    <div
      className="jp-kitlab-detail jp-kitlab-registry-browser"
      data-host={host}
    >
      <h2>{host}</h2>
      <div className="jp-kitlab-browser-columns">
        <section aria-label={trans.__('Repositories')}>
          <h3>{trans.__('Repositories')}</h3>
          {catalog.error && (
            <p className="jp-kitlab-muted" role="status">
              {trans.__(
                'This registry does not list its repositories here (%1). Name one below.',
                catalog.error
              )}
            </p>
          )}
          <ul className="jp-kitlab-plain-list jp-kitlab-repositories">
            {catalog.names.map(name => (
              <li key={name}>
                <button
                  className="jp-kitlab-link"
                  aria-pressed={name === repository}
                  onClick={() => setRepository(name)}
                >
                  {name}
                </button>
              </li>
            ))}
          </ul>
          {!catalog.error && !catalog.busy && catalog.names.length === 0 && (
            <p className="jp-kitlab-muted">{trans.__('No repositories.')}</p>
          )}
          {catalog.next !== null && (
            <button
              className="jp-mod-styled jp-kitlab-button"
              disabled={catalog.busy}
              onClick={catalog.more}
            >
              {trans.__('More repositories')}
            </button>
          )}
          <OneFieldForm
            name="browse-repository"
            label={trans.__('Repository')}
            placeholder={trans.__('e.g. %1', 'team/model')}
            button={trans.__('Show tags')}
            onSubmit={typed => setRepository(typed.replace(`${host}/`, ''))}
          />
        </section>
        <section aria-label={trans.__('Tags')}>
          <h3>
            {repository ? trans.__('Tags of %1', repository) : trans.__('Tags')}
          </h3>
          {!repository && (
            <p className="jp-kitlab-muted">
              {trans.__('Choose a repository.')}
            </p>
          )}
          {tags.error && (
            <p className="jp-kitlab-error-text" role="alert">
              {tags.error}
            </p>
          )}
          <ul className="jp-kitlab-plain-list jp-kitlab-browser-tags">
            {tags.names.map(tag => {
              const reference = `${host}/${repository}:${tag}`;
              return (
                <li key={tag} data-tag={tag}>
                  <span className="jp-kitlab-chip">{tag}</span>
                  <button
                    className="jp-mod-styled jp-kitlab-button"
                    onClick={() => handlers.inspect(reference)}
                  >
                    {trans.__('Inspect')}
                  </button>
                  <button
                    className="jp-mod-styled jp-kitlab-button"
                    onClick={() => handlers.pull(reference)}
                  >
                    {trans.__('Pull…')}
                  </button>
                </li>
              );
            })}
          </ul>
          {repository &&
            !tags.error &&
            !tags.busy &&
            tags.names.length === 0 && (
              <p className="jp-kitlab-muted">{trans.__('No tags.')}</p>
            )}
          {tags.next !== null && (
            <button
              className="jp-mod-styled jp-kitlab-button"
              disabled={tags.busy}
              onClick={tags.more}
            >
              {trans.__('More tags')}
            </button>
          )}
        </section>
      </div>
    </div>
  );
}

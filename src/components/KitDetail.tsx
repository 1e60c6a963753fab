import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  kitSize,
  layerKind,
  layerPath,
  layerPaths,
  pushedReferences,
  splitTags
} from '../details';
import { formatBytes, shortDigest } from '../format';
import { IJob, IKitDetail, IKitfile } from '../tokens';
import { Breakable, ErrorNote } from './common';
import { TextField } from './DialogFields';
import { CopyValue, FactsTable } from './JobDetail';
import { ISigningValues, SigningFields } from './KeysView';

/** What the kit detail view can do, wired by its widget to the actions. */
export interface IKitDetailHandlers {
  load: () => Promise<IKitDetail>;
  /** Push the local kit to `repository` under every tag in `tags` (one job), signed if asked. */
  pushTags?: (
    repository: string,
    tags: string[],
    signing: ISigningValues
  ) => Promise<void>;
  pull: () => void;
  /** Remove this tag from its registry (remote kits only). */
  deleteTag?: () => Promise<boolean>;
}

/**
 * One kit, from the local store or a registry (inspected without pulling): reference and digest to
 * copy, its size (the sum of its layers, as everywhere), its layers, its Kitfile and manifest, where
 * this server pushed it, and pushing it under several tags at once.
 */
export function KitDetail(props: {
  reference: string;
  remote: boolean;
  handlers: IKitDetailHandlers;
  jobs: readonly IJob[];
  trans: TranslationBundle;
  /** The kit's signature verdict, SBOM and provenance (src/components/TrustView.tsx). */
  trust: (detail: IKitDetail) => React.ReactNode;
}): JSX.Element {
  const { reference, trans, handlers } = props;
  const [detail, setDetail] = React.useState<IKitDetail | null>(null);
  const [error, setError] = React.useState('');
  const [deleted, setDeleted] = React.useState(false);
  const load = React.useCallback(() => {
    setError('');
    handlers
      .load()
      .then(setDetail, (reason: unknown) =>
        setError(reason instanceof Error ? reason.message : String(reason))
      );
  }, [handlers]);
  React.useEffect(load, [load]);

  if (error) {
    return (
      <div className="jp-kitlab-detail">
        <h2>{reference}</h2>
        <ErrorNote message={error} trans={trans} onRetry={load} />
      </div>
    );
  }
  if (detail === null) {
    return (
      <div className="jp-kitlab-detail">
        <h2>{reference}</h2>
        <p className="jp-kitlab-muted">{trans.__('Loading…')}</p>
      </div>
    );
  }
  const layers = detail.manifest.layers ?? [];
  const paths = layerPaths(detail.kitfile);
  const pushed = props.remote
    ? []
    : pushedReferences(props.jobs, detail.digest);
  return (
    <div
      className="jp-kitlab-detail jp-kitlab-kit-detail"
      data-reference={reference}
      data-digest={detail.digest}
    >
      <h2>{reference}</h2>
      <p className="jp-kitlab-muted">
        {props.remote
          ? trans.__('On the registry (read without pulling)')
          : trans.__('In the local store')}
      </p>
      <FactsTable
        label={trans.__('Kit facts')}
        rows={[
          [
            trans.__('Reference'),
            <CopyValue
              value={reference}
              label={trans.__('reference')}
              trans={trans}
            />
          ],
          [
            trans.__('Digest'),
            <CopyValue
              value={detail.digest}
              label={trans.__('digest')}
              trans={trans}
            />
          ],
          [
            trans.__('Size'),
            <span data-testid="kitlab-kit-size">
              {formatBytes(kitSize(detail.manifest))}
            </span>
          ],
          [trans.__('Layers'), String(layers.length)],
          [trans.__('Packed by'), detail.cliVersion ?? ''],
          [
            trans.__('Pushed to'),
            pushed.length > 0 ? (
              <ul
                className="jp-kitlab-plain-list"
                data-testid="kitlab-kit-pushed"
              >
                {pushed.map(name => (
                  <li key={name}>
                    <CopyValue
                      value={name}
                      label={trans.__('reference')}
                      trans={trans}
                    />
                  </li>
                ))}
              </ul>
            ) : (
              ''
            )
          ]
        ]}
      />
      <div className="jp-kitlab-row">
        <button
          className="jp-mod-styled jp-kitlab-button"
          onClick={() => handlers.pull()}
        >
          {props.remote ? trans.__('Pull…') : trans.__('Open in notebook…')}
        </button>
        {handlers.deleteTag && !deleted && (
          <button
            className="jp-mod-styled jp-kitlab-button jp-mod-warn"
            onClick={() =>
              void handlers.deleteTag?.().then(done => setDeleted(done))
            }
          >
            {trans.__('Delete this tag from the registry…')}
          </button>
        )}
        {deleted && (
          <span className="jp-kitlab-muted" role="status">
            {trans.__('Deleted from the registry.')}
          </span>
        )}
      </div>
      {handlers.pushTags && (
        <PushTagsForm
          source={reference}
          pushTags={handlers.pushTags}
          trans={trans}
        />
      )}
      {props.trust(detail)}
      <section aria-label={trans.__('Layers')}>
        <h3>{trans.__('Layers')}</h3>
        <table className="jp-kitlab-detail-table jp-kitlab-layers">
          <thead>
            <tr>
              <th>{trans.__('Kind')}</th>
              <th>{trans.__('Path')}</th>
              <th>{trans.__('Size')}</th>
              <th>{trans.__('Digest')}</th>
            </tr>
          </thead>
          <tbody>
            {layers.map(layer => (
              <tr key={`${layer.digest}:${layerPath(layer, paths)}`}>
                <td className="jp-kitlab-nowrap">{layerKind(layer)}</td>
                <td>
                  <code>
                    <Breakable text={layerPath(layer, paths) || '–'} />
                  </code>
                </td>
                <td className="jp-kitlab-nowrap">{formatBytes(layer.size)}</td>
                <td className="jp-kitlab-nowrap" title={layer.digest}>
                  <code>{shortDigest(layer.digest)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-label={trans.__('Kitfile')}>
        <h3>{trans.__('Kitfile')}</h3>
        {detail.kitfile ? (
          <KitfileSummary kitfile={detail.kitfile} trans={trans} />
        ) : (
          <p className="jp-kitlab-muted">
            {trans.__('This kit carries no Kitfile.')}
          </p>
        )}
      </section>
      <details className="jp-kitlab-raw">
        <summary>{trans.__('Manifest')}</summary>
        <pre>{JSON.stringify(detail.manifest, null, 2)}</pre>
      </details>
      {detail.kitfile && (
        <details className="jp-kitlab-raw">
          <summary>{trans.__('Kitfile (JSON)')}</summary>
          <pre>{JSON.stringify(detail.kitfile, null, 2)}</pre>
        </details>
      )}
    </div>
  );
}

/** The Kitfile's parts a reader looks for first: package, model, datasets, code, docs. */
function KitfileSummary(props: {
  kitfile: IKitfile;
  trans: TranslationBundle;
}): JSX.Element {
  const { kitfile, trans } = props;
  const pkg = kitfile.package ?? {};
  const model = kitfile.model;
  const paths = (entries: { path?: string }[] | undefined): string =>
    (entries ?? [])
      .map(entry => entry.path ?? '')
      .filter(Boolean)
      .join(', ');
  return (
    <FactsTable
      label={trans.__('Kitfile summary')}
      rows={[
        [
          trans.__('Package'),
          [pkg.name, pkg.version].filter(Boolean).join(' ')
        ],
        [trans.__('Description'), pkg.description ?? ''],
        [trans.__('Authors'), (pkg.authors ?? []).join(', ')],
        [trans.__('License'), pkg.license ?? ''],
        [
          trans.__('Model'),
          model
            ? [model.name, model.path && `(${model.path})`, model.framework]
                .filter(Boolean)
                .join(' ')
            : ''
        ],
        [trans.__('Datasets'), paths(kitfile.datasets)],
        [trans.__('Code'), paths(kitfile.code)],
        [trans.__('Docs'), paths(kitfile.docs)]
      ]}
    />
  );
}

/** Push under several tags: a repository and the tags, comma-separated; one job for all. */
function PushTagsForm(props: {
  source: string;
  pushTags: (
    repository: string,
    tags: string[],
    signing: ISigningValues
  ) => Promise<void>;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const [repository, setRepository] = React.useState('');
  const [tags, setTags] = React.useState('');
  const [signing, setSigning] = React.useState<ISigningValues>({
    sign: false
  });
  const names = splitTags(tags);
  const ready = repository.trim() !== '' && names.length > 0;
  return (
    <form
      className="jp-kitlab-push-tags"
      aria-label={trans.__('Push under several tags')}
      onSubmit={event => {
        event.preventDefault();
        if (ready) {
          void props.pushTags(repository.trim(), names, signing);
        }
      }}
    >
      <h3>{trans.__('Push under several tags')}</h3>
      <TextField
        name="push-repository"
        label={trans.__('Registry and repository')}
        value={repository}
        placeholder={trans.__('e.g. %1', 'registry.example.com/team/model')}
        onChange={setRepository}
      />
      <TextField
        name="push-tags"
        label={trans.__('Tags (comma-separated)')}
        value={tags}
        placeholder={trans.__('e.g. %1', 'v1, latest')}
        onChange={setTags}
      />
      {ready && (
        <p className="jp-kitlab-muted" data-testid="kitlab-push-tags-preview">
          {trans.__(
            'One push: %1',
            names.map(tag => `${repository.trim()}:${tag}`).join(', ')
          )}
        </p>
      )}
      <SigningFields
        values={signing}
        onChange={change => setSigning({ ...signing, ...change })}
        trans={trans}
      />
      <button
        type="submit"
        className="jp-mod-styled jp-kitlab-button jp-kitlab-primary"
        disabled={!ready}
      >
        {trans.__('Push')}
      </button>
    </form>
  );
}

import { Time } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  deleteIcon,
  fileUploadIcon,
  listIcon,
  inspectorIcon,
  notebookIcon,
  tagIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import * as React from 'react';

import type { KitlabActions } from '../actions';
import { formatBytes, shortDigest } from '../format';
import { kitReference, storeRepository } from '../reference';
import { IKitSummary, IRemoteTags } from '../tokens';
import { Breakable } from './common';
import { compareKit } from './CompareDialog';
import { OneFieldForm } from './DialogFields';
import { TrustBadge } from './TrustView';

/** kit's display form of a repository: without the `localhost/` default registry. */
function displayName(kit: IKitSummary): string {
  return kit.display ?? storeRepository(kit.repository);
}

/** The kits in the local store (shared with the `kit` CLI), with push, tag, remove and open actions. */
export function KitsList(props: {
  kits: readonly IKitSummary[];
  actions: KitlabActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { kits, actions, trans } = props;
  if (kits.length === 0) {
    return (
      <p className="jp-kitlab-muted">
        {trans.__(
          'No ModelKits in the local store yet. Pack a folder or pull a kit.'
        )}
      </p>
    );
  }
  const references = kits.flatMap(kit =>
    kit.tags.map(tag => kitReference(kit, tag))
  );
  return (
    <ul
      className="jp-kitlab-kits"
      aria-label={trans.__('Kits in the local store')}
    >
      {kits.map(kit => (
        <KitRow
          key={`${kit.repository}@${kit.digest}`}
          kit={kit}
          references={references}
          actions={actions}
          trans={trans}
        />
      ))}
    </ul>
  );
}

/**
 * One kit. Its actions apply to the selected tag (the first one until the user picks another by
 * clicking a tag), since a kit with several tags is several references to the same content.
 */
function KitRow(props: {
  kit: IKitSummary;
  /** Every tagged kit of the store: what "Compare with…" offers. */
  references: readonly string[];
  actions: KitlabActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { kit, actions, trans } = props;
  const [selected, setSelected] = React.useState<string | undefined>(
    kit.tags[0]
  );
  const tag =
    selected !== undefined && kit.tags.includes(selected)
      ? selected
      : kit.tags[0];
  const reference = kitReference(kit, tag);
  return (
    <li className="jp-kitlab-kit" data-repository={kit.repository}>
      <div className="jp-kitlab-kit-head">
        <span className="jp-kitlab-kit-name">
          <Breakable text={displayName(kit)} />
        </span>
        <span className="jp-kitlab-muted">{formatBytes(kit.size)}</span>
      </div>
      <div
        className="jp-kitlab-kit-tags"
        role="radiogroup"
        aria-label={trans.__('Tag the actions apply to')}
      >
        {kit.tags.length === 0 && (
          <span className="jp-kitlab-muted">{trans.__('untagged')}</span>
        )}
        {kit.tags.map(name => (
          <button
            key={name}
            role="radio"
            aria-checked={name === tag}
            className="jp-kitlab-chip jp-kitlab-tag"
            data-tag={name}
            onClick={() => setSelected(name)}
          >
            {name}
          </button>
        ))}
      </div>
      <div className="jp-kitlab-muted jp-kitlab-digest" title={kit.digest}>
        {shortDigest(kit.digest)}
        {kit.name ? ` · ${kit.name}` : ''}
      </div>
      <KitDate kit={kit} trans={trans} />
      <TrustBadge
        kit={kit}
        remoteOptions={host => actions.remoteOptions(host)}
        trans={trans}
      />
      {kit.error ? (
        <p className="jp-kitlab-error-text" role="alert">
          {trans.__('Cannot read this kit: %1', kit.error)}
        </p>
      ) : null}
      {/* Two columns, the short labels in the second: every card's buttons line up (style/base.css). */}
      <div className="jp-kitlab-kit-actions">
        <ToolbarButtonComponent
          icon={listIcon}
          label={trans.__('Details')}
          tooltip={trans.__(
            'Layers, Kitfile, manifest and where %1 was pushed',
            reference
          )}
          onClick={() => void actions.showKit(reference)}
        />
        <ToolbarButtonComponent
          icon={fileUploadIcon}
          label={trans.__('Push')}
          tooltip={trans.__('Push %1 to a registry', reference)}
          onClick={() => void actions.push(kit, tag)}
        />
        <ToolbarButtonComponent
          icon={notebookIcon}
          label={trans.__('Open in notebook')}
          tooltip={trans.__(
            'Unpack %1 into a new folder and open a notebook that loads it',
            reference
          )}
          onClick={() => void actions.pull(reference, 'store')}
        />
        <ToolbarButtonComponent
          icon={tagIcon}
          label={trans.__('Tag')}
          tooltip={trans.__('Give %1 another tag', reference)}
          onClick={() => void actions.tag(kit, tag)}
        />
        <ToolbarButtonComponent
          icon={inspectorIcon}
          label={trans.__('Compare with…')}
          tooltip={trans.__(
            'What changed in %1 since another kit: layers and Kitfile',
            reference
          )}
          onClick={() =>
            void compareKit(
              reference,
              props.references.filter(other => other !== reference),
              trans
            )
          }
        />
        <ToolbarButtonComponent
          icon={deleteIcon}
          tooltip={trans.__('Remove %1 from the local store', reference)}
          onClick={() => void actions.remove(kit, tag)}
        />
      </div>
    </li>
  );
}

/**
 * When the kit was made (its `created` annotation) or, as kit writes none, when it came into this
 * store; relative, with the exact time on hover.
 */
function KitDate(props: {
  kit: IKitSummary;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { kit, trans } = props;
  const created = kit.created ? new Date(kit.created) : null;
  const date =
    created && !isNaN(created.getTime())
      ? created
      : typeof kit.storedAt === 'number'
        ? new Date(kit.storedAt * 1000)
        : null;
  if (date === null) {
    return null;
  }
  const when = Time.formatHuman(date);
  return (
    <div
      className="jp-kitlab-muted jp-kitlab-kit-date"
      title={Time.format(date)}
    >
      {date === created
        ? trans.__('created %1', when)
        : trans.__('in the store since %1', when)}
    </div>
  );
}

/** Browse a remote repository's tags and pull one. */
export function RemoteBrowser(props: {
  actions: KitlabActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { actions, trans } = props;
  const [listed, setListed] = React.useState<IRemoteTags | null>(null);
  const [busy, setBusy] = React.useState(false);
  const list = async (repository: string): Promise<void> => {
    setBusy(true);
    try {
      setListed(await actions.remoteTags(repository));
    } finally {
      setBusy(false);
    }
  };
  return (
    <OneFieldForm
      className="jp-kitlab-remote"
      name="repository"
      label={trans.__('Remote repository')}
      placeholder={trans.__('e.g. %1', 'ghcr.io/org/model')}
      button={busy ? trans.__('Listing…') : trans.__('List tags')}
      busy={busy}
      onSubmit={repository => void list(repository)}
    >
      {listed !== null && listed.tags.length === 0 && (
        <p className="jp-kitlab-muted">{trans.__('No tags.')}</p>
      )}
      {listed !== null && listed.tags.length > 0 && (
        <ul className="jp-kitlab-remote-tags">
          {listed.tags.map(tag => (
            <li key={tag}>
              <span className="jp-kitlab-chip">{tag}</span>
              <button
                type="button"
                className="jp-mod-styled jp-kitlab-button"
                onClick={() =>
                  void actions.showKit(`${listed.repository}:${tag}`, true)
                }
              >
                {trans.__('Inspect')}
              </button>
              <button
                type="button"
                className="jp-mod-styled jp-kitlab-button"
                onClick={() => void actions.pull(`${listed.repository}:${tag}`)}
              >
                {trans.__('Pull…')}
              </button>
            </li>
          ))}
        </ul>
      )}
      {listed !== null && listed.next !== null && (
        <p className="jp-kitlab-muted" data-testid="kitlab-remote-tags-more">
          {trans.__(
            'The first %1 tags; the registry has more. Browse it from the Registries tab to page through them all.',
            listed.tags.length
          )}
        </p>
      )}
    </OneFieldForm>
  );
}

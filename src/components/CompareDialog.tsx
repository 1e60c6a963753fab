/**
 * "Compare with…" on a kit of the Kits tab: pick another kit (of the local store, or any reference on
 * a registry), then see what changed from it to this kit: layers added, removed or changed (by kind and
 * path) and Kitfile fields, as `kitlab diff` reports them (GET /kitlab/diff). The Kitfile editor asks
 * the same of its folder: what would change if it were packed now (`kitlab diff --workspace`).
 */
import {
  Dialog,
  ReactWidget,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { compareKits, compareWorkspace } from '../api';
import { formatBytes, shortDigest } from '../format';
import type { IKitDiff, IKitDiffLayer, IRemoteParams } from '../tokens';
import {
  CheckField,
  FormDialogBody,
  IFormViewProps,
  TextField
} from './DialogFields';

/** What the first step asks: a kit of the local store, or a reference typed in (which wins). */
export interface ICompareValues {
  local: string;
  typed: string;
  plainHttp: boolean;
}

/** The kit the comparison starts from: the typed reference, else the one picked. */
export function compareBase(values: ICompareValues): string {
  return values.typed.trim() || values.local;
}

function CompareFormView(
  props: {
    trans: TranslationBundle;
    reference: string;
    choices: readonly string[];
  } & IFormViewProps<ICompareValues>
): JSX.Element {
  const { trans } = props;
  const [values, setValues] = React.useState(props.initial);
  const update = (change: Partial<ICompareValues>): void => {
    const next = { ...values, ...change };
    setValues(next);
    props.onChange(next);
  };
  return (
    <div className="jp-kitlab-dialog-form">
      <p>{trans.__('What changed in %1 since:', props.reference)}</p>
      <label className="jp-kitlab-field">
        <span>{trans.__('A kit in the local store')}</span>
        <select
          className="jp-mod-styled"
          name="local"
          value={values.local}
          disabled={props.choices.length === 0}
          onChange={event => update({ local: event.target.value })}
        >
          {props.choices.map(choice => (
            <option key={choice} value={choice}>
              {choice}
            </option>
          ))}
        </select>
      </label>
      <TextField
        name="typed"
        label={trans.__('Or any reference (remote://… reads the registry)')}
        value={values.typed}
        placeholder={trans.__('e.g. %1', 'ghcr.io/org/model:v1')}
        onChange={typed => update({ typed })}
      />
      <CheckField
        name="plainHttp"
        label={trans.__('Plain HTTP (a local registry without TLS)')}
        checked={values.plainHttp}
        onChange={plainHttp => update({ plainHttp })}
      />
    </div>
  );
}

function version(layer: IKitDiffLayer, trans: TranslationBundle): string {
  const sides = [layer.a, layer.b].filter(side => side !== null);
  // A workspace layer not packed yet has no digest: its files differ from the kit's layer.
  const digests = [
    ...new Set(
      sides.map(side =>
        side.digest ? shortDigest(side.digest) : trans.__('new files')
      )
    )
  ];
  const sizes = [...new Set(sides.map(side => formatBytes(side.size)))];
  return `${digests.join(' → ')} (${sizes.join(' → ')})`;
}

function shown(value: unknown): string {
  return value === null || value === undefined ? '—' : JSON.stringify(value);
}

/** The comparison: digests, layer by layer, then the Kitfile's fields. */
export function KitDiffView(props: {
  diff: IKitDiff;
  trans: TranslationBundle;
}): JSX.Element {
  const { diff, trans } = props;
  const { summary } = diff;
  // The workspace side has no manifest or config yet: only its layers and Kitfile compare.
  const workspace = diff.b.source === 'workspace';
  const statusText: Record<IKitDiffLayer['status'], string> = {
    added: trans.__('added'),
    removed: trans.__('removed'),
    changed: trans.__('changed'),
    unchanged: trans.__('unchanged')
  };
  return (
    <div className="jp-kitlab-kitdiff" data-testid="kitlab-kit-diff">
      <p className="jp-kitlab-muted">
        {workspace
          ? trans.__(
              'From %1 (%2, %3) to the folder %4 as it would be packed now',
              diff.a.reference,
              diff.a.format,
              shortDigest(diff.a.digest),
              diff.b.reference || '/'
            )
          : trans.__(
              'From %1 (%2, %3) to %4 (%5, %6)',
              diff.a.reference,
              diff.a.format,
              shortDigest(diff.a.digest),
              diff.b.reference,
              diff.b.format,
              shortDigest(diff.b.digest)
            )}
      </p>
      {diff.identical ? (
        <p>{trans.__('The kits are identical.')}</p>
      ) : (
        <p>
          {workspace
            ? trans.__(
                '%1 added, %2 removed, %3 changed, %4 unchanged layers.',
                summary.added,
                summary.removed,
                summary.changed,
                summary.unchanged
              )
            : trans.__(
                '%1 added, %2 removed, %3 changed, %4 unchanged layers; config %5.',
                summary.added,
                summary.removed,
                summary.changed,
                summary.unchanged,
                diff.sameConfig ? trans.__('identical') : trans.__('differs')
              )}
        </p>
      )}
      <table className="jp-kitlab-kitdiff-table">
        <thead>
          <tr>
            <th>{trans.__('Layer')}</th>
            <th>{trans.__('Path')}</th>
            <th>{trans.__('Status')}</th>
            <th>{trans.__('Digest (size)')}</th>
          </tr>
        </thead>
        <tbody>
          {diff.layers.map(layer => (
            <tr
              key={`${layer.kind}:${layer.path}`}
              className={`jp-kitlab-kitdiff-${layer.status}`}
            >
              <td>{layer.kind}</td>
              <td>{layer.path}</td>
              <td>{statusText[layer.status]}</td>
              <td>{version(layer, trans)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>{trans.__('Kitfile')}</h4>
      {diff.kitfile.length === 0 ? (
        <p className="jp-kitlab-muted">{trans.__('No field differs.')}</p>
      ) : (
        <table className="jp-kitlab-kitdiff-table">
          <tbody>
            {diff.kitfile.map(change => (
              <tr
                key={change.field}
                className={`jp-kitlab-kitdiff-${change.status}`}
              >
                <td>{change.field}</td>
                <td>{shown(change.a)}</td>
                <td>→</td>
                <td>{shown(change.b)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {diff.kitfileTruncated && (
        <p className="jp-kitlab-muted">
          {trans.__('More Kitfile fields differ than are shown.')}
        </p>
      )}
    </div>
  );
}

class KitDiffBody extends ReactWidget {
  constructor(
    private readonly _diff: IKitDiff,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-kitlab-dialog');
  }

  render(): JSX.Element {
    return <KitDiffView diff={this._diff} trans={this._trans} />;
  }
}

/** Ask which kit to compare `reference` with, compare them on the server and show the result. */
export async function compareKit(
  reference: string,
  choices: readonly string[],
  trans: TranslationBundle
): Promise<void> {
  await askAndCompare(
    {
      title: trans.__('Compare %1 with…', reference),
      subject: reference,
      choices,
      typed: '',
      compare: (base, options) => compareKits(base, reference, options)
    },
    trans
  );
}

/**
 * What would change if `folder` were packed (and pushed) now: the workspace against a kit, by default
 * `last` (the reference this folder was last packed or pushed under).
 */
export async function compareWorkspaceWith(
  folder: string,
  choices: readonly string[],
  last: string,
  trans: TranslationBundle
): Promise<void> {
  const subject = folder || trans.__('the server root');
  await askAndCompare(
    {
      title: trans.__('What would change if %1 were packed now', subject),
      subject,
      choices,
      typed: last,
      compare: (base, options) => compareWorkspace(base, folder, options)
    },
    trans
  );
}

async function askAndCompare(
  ask: {
    title: string;
    subject: string;
    choices: readonly string[];
    typed: string;
    compare: (base: string, options: IRemoteParams) => Promise<IKitDiff>;
  },
  trans: TranslationBundle
): Promise<void> {
  const asked = await showDialog({
    title: ask.title,
    body: new FormDialogBody<
      ICompareValues,
      {
        trans: TranslationBundle;
        reference: string;
        choices: readonly string[];
      }
    >(
      { local: ask.choices[0] ?? '', typed: ask.typed, plainHttp: false },
      CompareFormView,
      {
        trans,
        reference: ask.subject,
        choices: ask.choices
      }
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('Compare') })
    ]
  });
  const base = asked.value ? compareBase(asked.value) : '';
  if (!asked.button.accept || !asked.value || !base) {
    return;
  }
  let diff: IKitDiff;
  try {
    diff = await ask.compare(base, { plainHttp: asked.value.plainHttp });
  } catch (error) {
    await showErrorMessage(
      trans.__('The kits could not be compared'),
      error instanceof Error ? error : String(error)
    );
    return;
  }
  await showDialog({
    title: trans.__('%1 compared with %2', ask.subject, base),
    body: new KitDiffBody(diff, trans),
    buttons: [Dialog.okButton({ label: trans.__('Close') })]
  });
}

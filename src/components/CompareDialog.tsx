/**
 * "Compare with…" on a kit of the Kits tab: pick another kit (of the local store, or any reference on
 * a registry), then see what changed from it to this kit: layers added, removed or changed (by kind and
 * path) and Kitfile fields, as `kitlab diff` reports them (GET /kitlab/diff).
 */
import {
  Dialog,
  ReactWidget,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { compareKits } from '../api';
import { formatBytes, shortDigest } from '../format';
import type { IKitDiff, IKitDiffLayer } from '../tokens';
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

function version(layer: IKitDiffLayer): string {
  const sides = [layer.a, layer.b].filter(side => side !== null);
  const digests = [...new Set(sides.map(side => shortDigest(side.digest)))];
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
  const statusText: Record<IKitDiffLayer['status'], string> = {
    added: trans.__('added'),
    removed: trans.__('removed'),
    changed: trans.__('changed'),
    unchanged: trans.__('unchanged')
  };
  return (
    <div className="jp-kitlab-kitdiff" data-testid="kitlab-kit-diff">
      <p className="jp-kitlab-muted">
        {trans.__(
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
          {trans.__(
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
              <td>{version(layer)}</td>
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
  const asked = await showDialog({
    title: trans.__('Compare %1 with…', reference),
    body: new FormDialogBody<
      ICompareValues,
      {
        trans: TranslationBundle;
        reference: string;
        choices: readonly string[];
      }
    >(
      { local: choices[0] ?? '', typed: '', plainHttp: false },
      CompareFormView,
      {
        trans,
        reference,
        choices
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
    diff = await compareKits(base, reference, {
      plainHttp: asked.value.plainHttp
    });
  } catch (error) {
    await showErrorMessage(
      trans.__('The kits could not be compared'),
      error instanceof Error ? error : String(error)
    );
    return;
  }
  await showDialog({
    title: trans.__('%1 compared with %2', reference, base),
    body: new KitDiffBody(diff, trans),
    buttons: [Dialog.okButton({ label: trans.__('Close') })]
  });
}

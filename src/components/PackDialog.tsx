import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { FormDialogBody } from './common';
import {
  buildReference,
  IReferenceParts,
  isLocalRegistry,
  referenceProblems
} from '../reference';
import { Compression } from '../tokens';

/** What the Pack dialog asks for. */
export interface IPackValues extends IReferenceParts {
  compression: Compression;
  /** Also push to the registry after packing. */
  push: boolean;
  /** Talk to the registry over plain HTTP (a local test registry). */
  plainHttp: boolean;
}

/** English messages for `referenceProblems`, translated when shown. */
function problemMessages(
  values: IPackValues,
  trans: TranslationBundle
): Partial<Record<keyof IReferenceParts, string>> {
  const problems = referenceProblems(values);
  if (values.push && isLocalRegistry(values.registry.trim())) {
    problems.registry =
      'Pushing needs a registry, e.g. ghcr.io or localhost:5000.';
  }
  const translated: Partial<Record<keyof IReferenceParts, string>> = {};
  for (const [key, message] of Object.entries(problems)) {
    translated[key as keyof IReferenceParts] = trans.__(message);
  }
  return translated;
}

/** True when the values can be packed (and pushed, if asked). */
export function packValuesValid(values: IPackValues): boolean {
  return (
    Object.keys(referenceProblems(values)).length === 0 &&
    !(values.push && isLocalRegistry(values.registry.trim()))
  );
}

function PackFormView(props: {
  initial: IPackValues;
  trans: TranslationBundle;
  showProblems: boolean;
  plainHttpByDefault: (registry: string) => boolean;
  onChange: (values: IPackValues) => void;
}): JSX.Element {
  const { trans } = props;
  const [values, setValues] = React.useState(props.initial);
  const update = (change: Partial<IPackValues>): void => {
    const next = { ...values, ...change };
    if (change.registry !== undefined) {
      // A local registry usually has no TLS, unless the settings list it as self-signed.
      next.plainHttp = props.plainHttpByDefault(change.registry.trim());
    }
    setValues(next);
    props.onChange(next);
  };
  const problems = problemMessages(values, trans);
  const field = (
    key: keyof IReferenceParts,
    label: string,
    placeholder: string
  ): JSX.Element => (
    <label className="jp-kitlab-field">
      <span>{label}</span>
      <input
        className="jp-mod-styled"
        name={key}
        value={values[key]}
        placeholder={placeholder}
        aria-invalid={props.showProblems && problems[key] !== undefined}
        onChange={event => update({ [key]: event.target.value })}
      />
      {props.showProblems && problems[key] && (
        <span className="jp-kitlab-field-error">{problems[key]}</span>
      )}
    </label>
  );
  return (
    <div className="jp-kitlab-dialog-form">
      <label className="jp-kitlab-check">
        <input
          type="checkbox"
          name="push"
          checked={values.push}
          onChange={event => update({ push: event.target.checked })}
        />
        {trans.__('Push to a registry after packing')}
      </label>
      {field(
        'registry',
        trans.__('Registry'),
        values.push ? 'ghcr.io' : trans.__('(local store only)')
      )}
      {field('repository', trans.__('Repository'), 'org/my-model')}
      {field('tag', trans.__('Tag'), 'v1')}
      <label className="jp-kitlab-field">
        <span>{trans.__('Layer compression')}</span>
        <select
          className="jp-mod-styled"
          name="compression"
          value={values.compression}
          onChange={event =>
            update({ compression: event.target.value as Compression })
          }
        >
          <option value="none">
            {trans.__('none (kit default, reproducible digests)')}
          </option>
          <option value="gzip">gzip</option>
          <option value="gzip-fastest">{trans.__('gzip (fastest)')}</option>
          <option value="zstd">zstd</option>
        </select>
      </label>
      {values.push && (
        <label className="jp-kitlab-check">
          <input
            type="checkbox"
            name="plainHttp"
            checked={values.plainHttp}
            onChange={event => update({ plainHttp: event.target.checked })}
          />
          {trans.__('Plain HTTP (a local registry without TLS)')}
        </label>
      )}
      <p className="jp-kitlab-muted" data-testid="kitlab-pack-reference">
        {trans.__('Reference: %1', buildReference(values) || '—')}
      </p>
    </div>
  );
}

/** The Pack dialog's body; `getValue` is what the user entered. */
export class PackForm extends FormDialogBody<IPackValues> {
  constructor(
    initial: IPackValues,
    private readonly _trans: TranslationBundle,
    private readonly _showProblems: boolean,
    private readonly _plainHttpByDefault: (registry: string) => boolean
  ) {
    super(initial);
  }

  render(): JSX.Element {
    return (
      <PackFormView
        initial={this.values}
        trans={this._trans}
        showProblems={this._showProblems}
        plainHttpByDefault={this._plainHttpByDefault}
        onChange={this.setValues}
      />
    );
  }
}

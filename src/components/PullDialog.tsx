import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { FormDialogBody } from './common';
import { isLocalRegistry, registryHost } from '../reference';
import { defaultDestination, IUnpackSelection, unpackFilters } from '../unpack';

/** What the Pull dialog asks for. */
export interface IPullValues {
  reference: string;
  destination: string;
  selection: IUnpackSelection;
  plainHttp: boolean;
}

/** Why the values cannot be pulled (English, for `trans.__`), or null. */
export function pullProblem(values: IPullValues): string | null {
  if (!values.reference.trim()) {
    return 'Enter a ModelKit reference, e.g. ghcr.io/org/model:v1.';
  }
  if (!values.destination.trim()) {
    return 'Enter a destination folder.';
  }
  if (unpackFilters(values.selection) === null) {
    return 'Choose at least one part of the kit to unpack.';
  }
  return null;
}

function PullFormView(props: {
  initial: IPullValues;
  cwd: string;
  trans: TranslationBundle;
  problem: string | null;
  plainHttpByDefault: (registry: string) => boolean;
  onChange: (values: IPullValues) => void;
}): JSX.Element {
  const { trans } = props;
  const [values, setValues] = React.useState(props.initial);
  // The destination follows the reference until the user types one of their own.
  const [destinationEdited, setDestinationEdited] = React.useState(
    props.initial.destination !== '' &&
      props.initial.destination !==
        defaultDestination(props.initial.reference, props.cwd)
  );
  const update = (change: Partial<IPullValues>): void => {
    const next = { ...values, ...change };
    if (change.reference !== undefined) {
      if (!destinationEdited) {
        next.destination = defaultDestination(change.reference, props.cwd);
      }
      next.plainHttp = props.plainHttpByDefault(registryHost(change.reference));
    }
    setValues(next);
    props.onChange(next);
  };
  const parts: [keyof IUnpackSelection, string][] = [
    ['model', trans.__('Model')],
    ['datasets', trans.__('Datasets')],
    ['code', trans.__('Code')],
    ['docs', trans.__('Docs')]
  ];
  return (
    <div className="jp-kitlab-dialog-form">
      <label className="jp-kitlab-field">
        <span>{trans.__('ModelKit reference')}</span>
        <input
          className="jp-mod-styled"
          name="reference"
          value={values.reference}
          placeholder="ghcr.io/org/model:v1"
          onChange={event => update({ reference: event.target.value })}
        />
      </label>
      <label className="jp-kitlab-field">
        <span>{trans.__('Destination folder')}</span>
        <input
          className="jp-mod-styled"
          name="destination"
          value={values.destination}
          onChange={event => {
            setDestinationEdited(true);
            update({ destination: event.target.value });
          }}
        />
      </label>
      <fieldset className="jp-kitlab-fieldset">
        <legend>{trans.__('Unpack')}</legend>
        {parts.map(([key, label]) => (
          <label key={key} className="jp-kitlab-check">
            <input
              type="checkbox"
              name={key}
              checked={values.selection[key]}
              onChange={event =>
                update({
                  selection: {
                    ...values.selection,
                    [key]: event.target.checked
                  }
                })
              }
            />
            {label}
          </label>
        ))}
      </fieldset>
      {!isLocalRegistry(registryHost(values.reference)) && (
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
      <p className="jp-kitlab-muted">
        {trans.__(
          'A new notebook that loads the kit opens when it is unpacked.'
        )}
      </p>
      {props.problem && (
        <p className="jp-kitlab-field-error" role="alert">
          {trans.__(props.problem)}
        </p>
      )}
    </div>
  );
}

/** The Pull dialog's body. */
export class PullForm extends FormDialogBody<IPullValues> {
  constructor(
    initial: IPullValues,
    private readonly _cwd: string,
    private readonly _trans: TranslationBundle,
    private readonly _problem: string | null,
    private readonly _plainHttpByDefault: (registry: string) => boolean
  ) {
    super(initial);
  }

  render(): JSX.Element {
    return (
      <PullFormView
        initial={this.values}
        cwd={this._cwd}
        trans={this._trans}
        problem={this._problem}
        plainHttpByDefault={this._plainHttpByDefault}
        onChange={this.setValues}
      />
    );
  }
}

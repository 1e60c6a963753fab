import * as React from 'react';

import { isLocalRegistry, registryHost } from '../reference';
import {
  defaultDestination,
  IUnpackSelection,
  KITS_FOLDER,
  unpackFilters
} from '../unpack';
import {
  CheckField,
  IFormViewProps,
  IRegistryFormProps,
  useRegistryForm
} from './DialogFields';
import { DownloadSize } from './DownloadSize';

/** What the Pull dialog asks for. */
export interface IPullValues {
  reference: string;
  destination: string;
  selection: IUnpackSelection;
  plainHttp: boolean;
  /** Pull only if the kit is signed by one of the server's trusted keys (docs/trust.md). */
  verify: boolean;
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

export interface IPullFormProps extends IRegistryFormProps {
  cwd: string;
  problem: string | null;
  /** The dialog opens on a kit of the local store (Kits tab → Open in notebook). */
  inStore: boolean;
}

/** The Pull dialog's form: which kit, where to, which parts. */
export function PullFormView(
  props: IPullFormProps & IFormViewProps<IPullValues>
): JSX.Element {
  const { trans } = props;
  // The destination follows the reference until the user types one of their own.
  const [destinationEdited, setDestinationEdited] = React.useState(
    props.initial.destination !== '' &&
      props.initial.destination !==
        defaultDestination(props.initial.reference, props.cwd)
  );
  const form = useRegistryForm(
    props,
    change =>
      change.reference === undefined
        ? undefined
        : registryHost(change.reference),
    (next, change) =>
      change.reference !== undefined && !destinationEdited
        ? {
            ...next,
            destination: defaultDestination(change.reference, props.cwd)
          }
        : next
  );
  const { values, update } = form;
  // Whether the kit named is in the local store, as DownloadSize last found: then nothing is pulled.
  const [stored, setStored] = React.useState(props.inStore);
  const parts: [keyof IUnpackSelection, string][] = [
    ['model', trans.__('Model')],
    ['datasets', trans.__('Datasets')],
    ['code', trans.__('Code')],
    ['docs', trans.__('Docs')]
  ];
  return (
    <div className="jp-kitlab-dialog-form">
      {form.text('reference', trans.__('ModelKit reference'), {
        placeholder: trans.__('e.g. %1', 'ghcr.io/org/model:v1')
      })}
      <DownloadSize
        reference={values.reference}
        plainHttp={values.plainHttp}
        policy={props.policy}
        trans={trans}
        onStored={setStored}
      />
      {form.text('destination', trans.__('Destination folder'), {
        onChange: () => setDestinationEdited(true)
      })}
      <p className="jp-kitlab-muted" data-testid="kitlab-pull-where">
        {trans.__(
          'By default a kit goes into %1 of the current folder (%2). It keeps its own Kitfile, so scanning and packing this folder leave it out. An existing folder: you choose to overwrite, keep its files or use a new folder.',
          `${KITS_FOLDER}/`,
          props.cwd || '/'
        )}
      </p>
      <fieldset className="jp-kitlab-fieldset">
        <legend>{trans.__('Unpack')}</legend>
        {parts.map(([key, label]) => (
          <CheckField
            key={key}
            name={key}
            label={label}
            checked={values.selection[key]}
            onChange={checked =>
              update({ selection: { ...values.selection, [key]: checked } })
            }
          />
        ))}
      </fieldset>
      {/* Plain HTTP only matters when the registry is reached: to download the kit, or to read the
          signature of a kit in the store that came from a registry. */}
      {!isLocalRegistry(registryHost(values.reference)) &&
        (!stored || values.verify) &&
        form.plainHttp()}
      <CheckField
        name="verify"
        label={trans.__("Verify the signature with the server's trusted keys")}
        checked={values.verify}
        onChange={verify => update({ verify })}
      />
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

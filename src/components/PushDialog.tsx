import * as React from 'react';

import { IFormViewProps, IRegistryFormProps, TextField } from './DialogFields';
import { ISigningValues, SigningFields } from './KeysView';

/** What the Kits tab's Push dialog asks: where the stored kit goes, and whether it is signed. */
export interface IPushValues extends ISigningValues {
  /** registry/repository:tag */
  destination: string;
}

export interface IPushFormProps extends IRegistryFormProps {
  /** An example reference, worded as one, so the empty field never looks filled in. */
  placeholder: string;
}

/** The Push dialog's form: the destination and the same signing choice as Pack & push. */
export function PushFormView(
  props: IPushFormProps & IFormViewProps<IPushValues>
): JSX.Element {
  const { trans } = props;
  const [values, setValues] = React.useState(props.initial);
  const update = (change: Partial<IPushValues>): void => {
    const next = { ...values, ...change };
    setValues(next);
    props.onChange(next);
  };
  return (
    <div className="jp-kitlab-dialog-form">
      <TextField
        name="destination"
        label={trans.__('Push to (registry/repository:tag)')}
        value={values.destination}
        placeholder={props.placeholder}
        onChange={destination => update({ destination })}
      />
      <SigningFields values={values} onChange={update} trans={trans} />
    </div>
  );
}

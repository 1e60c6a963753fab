import * as React from 'react';

import { parseReference, targetProblems } from '../reference';
import {
  IFormViewProps,
  IRegistryFormProps,
  TextField,
  useDialogCheck
} from './DialogFields';
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
  // The same check as Pack & push's fields, on the parts of the one reference typed here (the
  // first problem, in the order of those fields).
  const problems = targetProblems(parseReference(values.destination), true);
  const problem = problems.registry ?? problems.repository ?? problems.tag;
  const node = useDialogCheck();
  return (
    <div className="jp-kitlab-dialog-form" ref={node}>
      <TextField
        name="destination"
        label={trans.__('Push to (registry/repository:tag)')}
        value={values.destination}
        placeholder={props.placeholder}
        error={problem && trans.__(problem)}
        onChange={destination => update({ destination })}
      />
      <SigningFields values={values} onChange={update} trans={trans} />
    </div>
  );
}

import * as React from 'react';

import { ILoginRequest } from '../tokens';
import {
  IFormViewProps,
  IRegistryFormProps,
  useRegistryForm
} from './DialogFields';

export interface ILoginFormProps extends IRegistryFormProps {
  message: string;
}

/** The Log in dialog's form. The password lives only in this dialog until it is sent. */
export function LoginFormView(
  props: ILoginFormProps & IFormViewProps<ILoginRequest>
): JSX.Element {
  const { trans } = props;
  const form = useRegistryForm(props, change => change.host);
  return (
    <div className="jp-kitlab-dialog-form">
      {props.message && <p>{props.message}</p>}
      {form.text('host', trans.__('Registry'), {
        placeholder: trans.__('e.g. %1', 'ghcr.io')
      })}
      {form.text('username', trans.__('Username'), {
        autoComplete: 'username'
      })}
      {form.text('password', trans.__('Password or token'), {
        type: 'password',
        autoComplete: 'current-password'
      })}
      {form.plainHttp()}
      <p className="jp-kitlab-muted">
        {trans.__(
          'The credentials are checked with the registry, then stored where kit keeps them; the password is never shown again.'
        )}
      </p>
    </div>
  );
}

import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { FormDialogBody } from './common';
import { ILoginRequest } from '../tokens';

function LoginFormView(props: {
  initial: ILoginRequest;
  message: string;
  trans: TranslationBundle;
  plainHttpByDefault: (registry: string) => boolean;
  onChange: (values: ILoginRequest) => void;
}): JSX.Element {
  const { trans } = props;
  const [values, setValues] = React.useState(props.initial);
  const update = (change: Partial<ILoginRequest>): void => {
    const next = { ...values, ...change };
    if (change.host !== undefined) {
      next.plainHttp = props.plainHttpByDefault(change.host.trim());
    }
    setValues(next);
    props.onChange(next);
  };
  return (
    <div className="jp-kitlab-dialog-form">
      {props.message && <p>{props.message}</p>}
      <label className="jp-kitlab-field">
        <span>{trans.__('Registry')}</span>
        <input
          className="jp-mod-styled"
          name="host"
          value={values.host}
          placeholder="ghcr.io"
          onChange={event => update({ host: event.target.value })}
        />
      </label>
      <label className="jp-kitlab-field">
        <span>{trans.__('Username')}</span>
        <input
          className="jp-mod-styled"
          name="username"
          autoComplete="username"
          value={values.username}
          onChange={event => update({ username: event.target.value })}
        />
      </label>
      <label className="jp-kitlab-field">
        <span>{trans.__('Password or token')}</span>
        <input
          className="jp-mod-styled"
          name="password"
          type="password"
          autoComplete="current-password"
          value={values.password}
          onChange={event => update({ password: event.target.value })}
        />
      </label>
      <label className="jp-kitlab-check">
        <input
          type="checkbox"
          name="plainHttp"
          checked={values.plainHttp ?? false}
          onChange={event => update({ plainHttp: event.target.checked })}
        />
        {trans.__('Plain HTTP (a local registry without TLS)')}
      </label>
      <p className="jp-kitlab-muted">
        {trans.__(
          'The credentials are checked with the registry, then stored where kit keeps them; the password is never shown again.'
        )}
      </p>
    </div>
  );
}

/** The Log in dialog's body. The password lives only in this dialog until it is sent. */
export class LoginForm extends FormDialogBody<ILoginRequest> {
  constructor(
    host: string,
    private readonly _message: string,
    private readonly _trans: TranslationBundle,
    private readonly _plainHttpByDefault: (registry: string) => boolean
  ) {
    super({
      host,
      username: '',
      password: '',
      plainHttp: _plainHttpByDefault(host)
    });
  }

  render(): JSX.Element {
    return (
      <LoginFormView
        initial={this.values}
        message={this._message}
        trans={this._trans}
        plainHttpByDefault={this._plainHttpByDefault}
        onChange={this.setValues}
      />
    );
  }
}

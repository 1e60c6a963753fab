import { TranslationBundle } from '@jupyterlab/translation';
import { deleteIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  addTrustedKey,
  generateKey,
  IKeyInfo,
  IKeys,
  importKey,
  listKeys,
  removeTrustedKey
} from '../trustApi';
import { ErrorNote } from './common';
import { CheckField, TextField } from './DialogFields';

type Form = 'generate' | 'import' | 'trust' | null;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Signing keys and trusted public keys (docs/trust.md, "In JupyterLab"). Key pairs are generated or
 * imported on the server, in kit's home (the private key encrypted, mode 0600); this view only ever
 * receives public keys. A password typed here goes once to the server, to encrypt the new key.
 */
export function KeysView(props: { trans: TranslationBundle }): JSX.Element {
  const { trans } = props;
  const [keys, setKeys] = React.useState<IKeys | null>(null);
  const [loadError, setLoadError] = React.useState('');
  const [form, setForm] = React.useState<Form>(null);
  const refresh = React.useCallback(async () => {
    try {
      setKeys(await listKeys());
      setLoadError('');
    } catch (error) {
      setLoadError(message(error));
    }
  }, []);
  React.useEffect(() => void refresh(), [refresh]);
  const done = (): void => {
    setForm(null);
    void refresh();
  };
  return (
    <section className="jp-kitlab-keys" aria-label={trans.__('Signing keys')}>
      <h3 className="jp-kitlab-section-title">{trans.__('Signing keys')}</h3>
      {loadError && (
        <ErrorNote
          message={loadError}
          trans={trans}
          onRetry={() => void refresh()}
        />
      )}
      {keys && (
        <KeyList
          keys={keys.signingKeys}
          label={trans.__('Your key pairs')}
          empty={trans.__('No key pair yet: generate one or import cosign’s.')}
          trans={trans}
        />
      )}
      <div className="jp-kitlab-row">
        <button
          className="jp-mod-styled jp-kitlab-button"
          onClick={() => setForm('generate')}
        >
          {trans.__('Generate key pair…')}
        </button>
        <button
          className="jp-mod-styled jp-kitlab-button"
          onClick={() => setForm('import')}
        >
          {trans.__('Import cosign key…')}
        </button>
      </div>
      {form === 'generate' && (
        <GenerateForm
          trans={trans}
          onDone={done}
          onCancel={() => setForm(null)}
        />
      )}
      {form === 'import' && (
        <ImportForm
          trans={trans}
          onDone={done}
          onCancel={() => setForm(null)}
        />
      )}
      <h3 className="jp-kitlab-section-title">{trans.__('Trusted keys')}</h3>
      {keys && (
        <KeyList
          keys={keys.trustedKeys}
          label={trans.__('Trusted public keys')}
          empty={trans.__('No trusted keys added.')}
          trans={trans}
          onRemove={key =>
            void removeTrustedKey(key.name).then(refresh, error =>
              setLoadError(message(error))
            )
          }
        />
      )}
      {keys && keys.adminKeys.length > 0 && (
        <p className="jp-kitlab-muted">
          {trans.__('Trusted by the administrator (trusted_keys):')}
        </p>
      )}
      {keys && keys.adminKeys.length > 0 && (
        <KeyList
          keys={keys.adminKeys}
          label={trans.__('Trusted by the administrator')}
          empty=""
          trans={trans}
        />
      )}
      <button
        className="jp-mod-styled jp-kitlab-button"
        onClick={() => setForm('trust')}
      >
        {trans.__('Add trusted key…')}
      </button>
      {form === 'trust' && (
        <TrustForm trans={trans} onDone={done} onCancel={() => setForm(null)} />
      )}
    </section>
  );
}

function KeyList(props: {
  keys: readonly IKeyInfo[];
  label: string;
  empty: string;
  trans: TranslationBundle;
  onRemove?: (key: IKeyInfo) => void;
}): JSX.Element | null {
  const { keys, label, empty, trans, onRemove } = props;
  if (keys.length === 0) {
    return empty ? <p className="jp-kitlab-muted">{empty}</p> : null;
  }
  return (
    <ul className="jp-kitlab-key-list" aria-label={label}>
      {keys.map(key => (
        <li key={key.file} className="jp-kitlab-key" data-key={key.name}>
          <span className="jp-kitlab-kit-name">{key.name}</span>
          <code className="jp-kitlab-muted" title={key.publicKey}>
            {key.fingerprint}
          </code>
          {onRemove && (
            <ToolbarButtonComponent
              icon={deleteIcon}
              tooltip={trans.__('Stop trusting %1', key.name)}
              onClick={() => onRemove(key)}
            />
          )}
        </li>
      ))}
    </ul>
  );
}

/** A small inline form: its fields, a submit that reports the server's error in place. */
function InlineForm(props: {
  label: string;
  submit: string;
  trans: TranslationBundle;
  onSubmit: () => Promise<void>;
  onCancel: () => void;
  children: React.ReactNode;
}): JSX.Element {
  const [error, setError] = React.useState('');
  const [busy, setBusy] = React.useState(false);
  return (
    <form
      className="jp-kitlab-dialog-form jp-kitlab-key-form"
      aria-label={props.label}
      onSubmit={event => {
        event.preventDefault();
        setBusy(true);
        props
          .onSubmit()
          .catch(failure => setError(message(failure)))
          .finally(() => setBusy(false));
      }}
    >
      {props.children}
      {error && (
        <p className="jp-kitlab-error-text" role="alert">
          {error}
        </p>
      )}
      <div className="jp-kitlab-row">
        <button
          type="submit"
          className="jp-mod-styled jp-mod-accept jp-kitlab-button"
          disabled={busy}
        >
          {props.submit}
        </button>
        <button
          type="button"
          className="jp-mod-styled jp-kitlab-button"
          onClick={props.onCancel}
        >
          {props.trans.__('Cancel')}
        </button>
      </div>
    </form>
  );
}

function GenerateForm(props: {
  trans: TranslationBundle;
  onDone: () => void;
  onCancel: () => void;
}): JSX.Element {
  const { trans } = props;
  const [name, setName] = React.useState('cosign');
  const [password, setPassword] = React.useState('');
  const [again, setAgain] = React.useState('');
  return (
    <InlineForm
      label={trans.__('Generate a key pair')}
      submit={trans.__('Generate')}
      trans={trans}
      onCancel={props.onCancel}
      onSubmit={async () => {
        if (!password || password !== again) {
          throw new Error(trans.__('Type the same password twice.'));
        }
        await generateKey(name.trim(), password);
        setPassword('');
        setAgain('');
        props.onDone();
      }}
    >
      <TextField
        name="key-name"
        label={trans.__('Name')}
        value={name}
        onChange={setName}
      />
      <TextField
        name="key-password"
        label={trans.__('Password')}
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={setPassword}
      />
      <TextField
        name="key-password-again"
        label={trans.__('Password again')}
        type="password"
        autoComplete="new-password"
        value={again}
        onChange={setAgain}
      />
      <p className="jp-kitlab-muted">
        {trans.__(
          'The private key is written encrypted, readable only by you, in kit’s home on the server; cosign opens it with this password.'
        )}
      </p>
    </InlineForm>
  );
}

function ImportForm(props: {
  trans: TranslationBundle;
  onDone: () => void;
  onCancel: () => void;
}): JSX.Element {
  const { trans } = props;
  const [path, setPath] = React.useState('');
  return (
    <InlineForm
      label={trans.__('Import a cosign key pair')}
      submit={trans.__('Import')}
      trans={trans}
      onCancel={props.onCancel}
      onSubmit={async () => {
        await importKey(path.trim());
        props.onDone();
      }}
    >
      <TextField
        name="key-path"
        label={trans.__('Private key file in the workspace')}
        placeholder={trans.__('e.g. %1', 'cosign.key')}
        value={path}
        onChange={setPath}
      />
      <p className="jp-kitlab-muted">
        {trans.__(
          'The file cosign generate-key-pair wrote, with its .pub beside it. It is copied on the server; its password is asked for only to sign.'
        )}
      </p>
    </InlineForm>
  );
}

function TrustForm(props: {
  trans: TranslationBundle;
  onDone: () => void;
  onCancel: () => void;
}): JSX.Element {
  const { trans } = props;
  const [name, setName] = React.useState('');
  const [pem, setPem] = React.useState('');
  return (
    <InlineForm
      label={trans.__('Add a trusted public key')}
      submit={trans.__('Trust')}
      trans={trans}
      onCancel={props.onCancel}
      onSubmit={async () => {
        await addTrustedKey(name.trim(), pem);
        props.onDone();
      }}
    >
      <TextField
        name="trusted-name"
        label={trans.__('Name')}
        value={name}
        onChange={setName}
      />
      <label className="jp-kitlab-field">
        <span>{trans.__('Public key (PEM, as cosign.pub)')}</span>
        <textarea
          className="jp-mod-styled jp-kitlab-pem"
          name="trusted-pem"
          rows={5}
          value={pem}
          placeholder="-----BEGIN PUBLIC KEY-----"
          onChange={event => setPem(event.target.value)}
        />
      </label>
    </InlineForm>
  );
}

/** Whether a push is signed, and with which key: what the Pack & push and Push dialogs ask. */
export interface ISigningValues {
  /** The server signs the pushed digest (docs/trust.md). */
  sign: boolean;
  /** With sign: one of the user's key pairs instead of the server's key, and its password. */
  signingKey?: string;
  keyPassword?: string;
}

/** "Sign the pushed kit" and, once ticked, the key it is signed with (both push dialogs). */
export function SigningFields(props: {
  values: ISigningValues;
  onChange: (change: Partial<ISigningValues>) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { values, onChange, trans } = props;
  return (
    <>
      <CheckField
        name="sign"
        label={trans.__('Sign the pushed kit (cosign)')}
        checked={values.sign}
        onChange={sign => onChange({ sign })}
      />
      {values.sign && (
        <SigningKeyChoice values={values} onChange={onChange} trans={trans} />
      )}
    </>
  );
}

/** The job params that name the user's key and its password (else the server's key signs). */
export function signingParams(values: ISigningValues): {
  sign?: true;
  signingKey?: string;
  keyPassword?: string;
} {
  if (!values.sign) {
    return {};
  }
  return values.signingKey
    ? {
        sign: true,
        signingKey: values.signingKey,
        keyPassword: values.keyPassword ?? ''
      }
    : { sign: true };
}

/**
 * In the Pack & push dialog, with Sign: which key signs — the server's (`Kitlab.signing_key`, its
 * password in the server's environment) or one of the user's key pairs, whose password is typed here
 * and sent once with the job request; the server decrypts the key then and never stores the password.
 */
export function SigningKeyChoice(props: {
  values: { signingKey?: string; keyPassword?: string };
  onChange: (change: { signingKey?: string; keyPassword?: string }) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { values, onChange, trans } = props;
  const [keys, setKeys] = React.useState<readonly IKeyInfo[]>([]);
  React.useEffect(() => {
    listKeys().then(
      found => setKeys(found.signingKeys),
      () => setKeys([])
    );
  }, []);
  return (
    <div className="jp-kitlab-signing-choice">
      <label className="jp-kitlab-field">
        <span>{trans.__('Sign with')}</span>
        <select
          className="jp-mod-styled"
          name="signingKey"
          value={values.signingKey ?? ''}
          onChange={event =>
            onChange({ signingKey: event.target.value, keyPassword: '' })
          }
        >
          <option value="">{trans.__("the server's key")}</option>
          {keys.map(key => (
            <option key={key.file} value={key.name}>
              {trans.__('your key %1 (%2)', key.name, key.fingerprint)}
            </option>
          ))}
        </select>
      </label>
      {values.signingKey && (
        <TextField
          name="keyPassword"
          label={trans.__('Password of %1', values.signingKey)}
          type="password"
          autoComplete="off"
          value={values.keyPassword ?? ''}
          onChange={keyPassword => onChange({ keyPassword })}
        />
      )}
    </div>
  );
}

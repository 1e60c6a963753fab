/**
 * The pieces the Pack, Pull and Login dialogs share: the dialog body that hands the entered values
 * to JupyterLab's `Dialog`, the values hook, and the fields (text, checkbox, plain HTTP). The
 * plain-HTTP default comes from the one registry policy (src/registryOptions.ts).
 */
import { Dialog, ReactWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { RegistryPolicy } from '../registryOptions';

/** What every dialog form view receives besides its own props. */
export interface IFormViewProps<T> {
  /** The values the dialog opens with. */
  initial: T;
  /** Every change, so the dialog's `getValue` returns what the user entered. */
  onChange: (values: T) => void;
}

/**
 * The body of a form dialog: it renders `view` and keeps what the user has entered so far, which
 * the Dialog reads through `getValue` when a button is pressed.
 */
export class FormDialogBody<T, P extends object>
  extends ReactWidget
  implements Dialog.IBodyWidget<T>
{
  private _values: T;

  constructor(
    initial: T,
    private readonly _view: React.FunctionComponent<P & IFormViewProps<T>>,
    private readonly _props: P
  ) {
    super();
    this._values = initial;
    this.addClass('jp-kitlab-dialog');
  }

  getValue(): T {
    return this._values;
  }

  render(): JSX.Element {
    const View = this._view;
    return (
      <View
        {...this._props}
        initial={this._values}
        onChange={values => {
          this._values = values;
        }}
      />
    );
  }
}

/** What every dialog that reaches a registry needs besides its values. */
export interface IRegistryFormProps {
  trans: TranslationBundle;
  policy: RegistryPolicy;
}

/** The keys of `T` that hold text. */
type TextKey<T> = {
  [K in keyof T]-?: T[K] extends string ? K : never;
}[keyof T] &
  string;

/** A registry dialog's state and its bound fields (see `useRegistryForm`). */
export interface IRegistryForm<T> {
  values: T;
  update: (change: Partial<T>) => void;
  /** A text field bound to `values[key]` (named `key`, so tests and autofill find it). */
  text: (
    key: TextKey<T>,
    label: string,
    options?: Omit<
      React.ComponentProps<typeof TextField>,
      'name' | 'label' | 'value' | 'onChange'
    > & { onChange?: (value: string) => void }
  ) => JSX.Element;
  /** The plain-HTTP checkbox bound to `values.plainHttp`. */
  plainHttp: () => JSX.Element;
}

/**
 * A registry dialog's values: React state that also reports each change to the dialog body. When
 * the registry changes (`registryOf` returns its new host), plain HTTP is reset to the policy's
 * default for it; `adjust` may derive other fields from a change before it is kept.
 */
export function useRegistryForm<T extends { plainHttp?: boolean }>(
  props: IRegistryFormProps & IFormViewProps<T>,
  registryOf: (change: Partial<T>) => string | undefined,
  adjust: (next: T, change: Partial<T>) => T = next => next
): IRegistryForm<T> {
  const { trans, policy } = props;
  const [values, setValues] = React.useState(props.initial);
  const update = (change: Partial<T>): void => {
    const host = registryOf(change);
    const next = adjust(
      host === undefined
        ? { ...values, ...change }
        : { ...values, ...change, plainHttp: policy.plainHttpByDefault(host) },
      change
    );
    setValues(next);
    props.onChange(next);
  };
  return {
    values,
    update,
    text: (key, label, options = {}) => (
      <TextField
        {...options}
        name={key}
        label={label}
        value={values[key] as string}
        onChange={value => {
          options.onChange?.(value);
          update({ [key]: value } as Partial<T>);
        }}
      />
    ),
    plainHttp: () => (
      <PlainHttpField
        checked={values.plainHttp ?? false}
        trans={trans}
        onChange={plainHttp => update({ plainHttp } as Partial<T>)}
      />
    )
  };
}

/**
 * JupyterLab's Dialog keeps its accept button (Start, Push) disabled while a field in it is marked
 * `jp-mod-error` (TextField marks one with an error), but it checks on the document's input events,
 * before React has shown the problems of what was just typed, and not for the values the dialog opens
 * with. After every render of the element the returned ref is given to, the Dialog is asked to check
 * again, so the button and the problems shown always agree.
 */
export function useDialogCheck(): React.RefObject<HTMLDivElement> {
  const node = React.useRef<HTMLDivElement>(null);
  React.useLayoutEffect(() => {
    node.current?.dispatchEvent(new Event('input', { bubbles: true }));
  });
  return node;
}

/**
 * A labelled text input (dialogs and the panel's own forms); `error` is shown under it, and marks the
 * input for JupyterLab's Dialog, which then keeps its accept button disabled.
 */
export function TextField(props: {
  name: string;
  label: string;
  value: string;
  placeholder?: string;
  type?: 'text' | 'password';
  autoComplete?: string;
  error?: string | null;
  /** Extra classes for the label (e.g. `jp-kitlab-grow` in a row). */
  className?: string;
  onChange: (value: string) => void;
}): JSX.Element {
  const error = props.error ?? null;
  return (
    <label
      className={
        props.className
          ? `jp-kitlab-field ${props.className}`
          : 'jp-kitlab-field'
      }
    >
      <span>{props.label}</span>
      <input
        className={
          error !== null ? 'jp-mod-styled jp-mod-error' : 'jp-mod-styled'
        }
        name={props.name}
        type={props.type ?? 'text'}
        autoComplete={props.autoComplete}
        value={props.value}
        placeholder={props.placeholder}
        aria-invalid={error !== null ? true : undefined}
        onChange={event => props.onChange(event.target.value)}
      />
      {error !== null && <span className="jp-kitlab-field-error">{error}</span>}
    </label>
  );
}

/**
 * A form of one text field and its button (Enter submits too): `onSubmit` gets the trimmed text,
 * never ''. `children` follow the button (what the form brought up).
 */
export function OneFieldForm(props: {
  className?: string;
  name: string;
  label: string;
  placeholder: string;
  button: string;
  /** The button waits while the last submit is busy. */
  busy?: boolean;
  onSubmit: (text: string) => void;
  children?: React.ReactNode;
}): JSX.Element {
  const [value, setValue] = React.useState('');
  return (
    <form
      className={props.className}
      onSubmit={event => {
        event.preventDefault();
        if (value.trim()) {
          props.onSubmit(value.trim());
        }
      }}
    >
      <TextField
        name={props.name}
        label={props.label}
        value={value}
        placeholder={props.placeholder}
        onChange={setValue}
      />
      <button
        type="submit"
        className="jp-mod-styled jp-kitlab-button"
        disabled={props.busy}
      >
        {props.button}
      </button>
      {props.children}
    </form>
  );
}

/** A checkbox with its label. */
export function CheckField(props: {
  name: string;
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}): JSX.Element {
  return (
    <label className="jp-kitlab-check">
      <input
        type="checkbox"
        name={props.name}
        checked={props.checked}
        onChange={event => props.onChange(event.target.checked)}
      />
      {props.label}
    </label>
  );
}

/** The "Plain HTTP" checkbox of every dialog that reaches a registry. */
export function PlainHttpField(props: {
  checked: boolean;
  trans: TranslationBundle;
  onChange: (checked: boolean) => void;
}): JSX.Element {
  return (
    <CheckField
      name="plainHttp"
      label={props.trans.__('Plain HTTP (a local registry without TLS)')}
      checked={props.checked}
      onChange={props.onChange}
    />
  );
}

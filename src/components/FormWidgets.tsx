/**
 * The Kitfile form's own widgets, named by the server's UI schema (`ui:widget`):
 * - `suggest`: a text field that offers a vocabulary as you type (SPDX licenses, frameworks, formats)
 *   and still takes any text, as kit does;
 * - `path`: a text field with a Browse… button that picks a file or folder inside the folder being
 *   packed, written relative to it.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { folderIcon } from '@jupyterlab/ui-components';
import type { ReadonlyJSONObject } from '@lumino/coreutils';
import type {
  FieldErrorProps,
  RegistryWidgetsType,
  WidgetProps
} from '@rjsf/utils';
import * as React from 'react';

type FormData = ReadonlyJSONObject;

/** What the widgets need from the panel, passed as rjsf's `formContext`. */
export interface IFormContext {
  trans: TranslationBundle;
  /** Vocabularies by name (see the server's `form_suggestions`). */
  suggestions: Readonly<Record<string, readonly string[]>>;
  /**
   * Let the user pick a file or folder inside the folder being packed, starting at `current`
   * (relative to it). Resolves to the picked path relative to that folder, or null if cancelled.
   * Null when no file dialog is available.
   */
  browse: ((current: string) => Promise<string | null>) | null;
  /** How warnings start in the `extraErrors` messages (see `problemsToErrorTree`). */
  warningPrefix: string;
}

/** The id of the one datalist per vocabulary that `KitfileForm` renders. */
export function suggestionListId(vocabulary: string): string {
  return `kitlab-suggest-${vocabulary}`;
}

/** A text input bound the way rjsf's own text widget is: '' means "unset". */
function TextInput(
  props: WidgetProps<FormData> & { list?: string }
): JSX.Element {
  const { id, value, required, disabled, readonly, autofocus, placeholder } =
    props;
  return (
    <input
      id={id}
      name={id}
      type="text"
      className="form-control"
      list={props.list}
      value={typeof value === 'string' ? value : ''}
      placeholder={placeholder}
      required={required}
      disabled={disabled || readonly}
      autoFocus={autofocus}
      autoComplete="off"
      aria-invalid={(props.rawErrors?.length ?? 0) > 0}
      onChange={event =>
        props.onChange(
          event.target.value === ''
            ? props.options.emptyValue
            : event.target.value
        )
      }
      onBlur={event => props.onBlur(id, event.target.value)}
      onFocus={event => props.onFocus(id, event.target.value)}
    />
  );
}

function SuggestWidget(props: WidgetProps<FormData>): JSX.Element {
  const vocabulary = String(props.options.suggestions ?? '');
  return <TextInput {...props} list={suggestionListId(vocabulary)} />;
}

function PathWidget(props: WidgetProps<FormData>): JSX.Element {
  const context = props.registry.formContext as IFormContext | undefined;
  const browse = context?.browse ?? null;
  const label = context?.trans.__('Browse…') ?? 'Browse…';
  const current = typeof props.value === 'string' ? props.value : '';
  return (
    <div className="jp-kitlab-path-input">
      <TextInput {...props} />
      {browse && (
        <button
          type="button"
          className="jp-mod-styled jp-kitlab-button jp-kitlab-browse"
          title={
            context?.trans.__(
              'Pick a file or folder inside the folder being packed'
            ) ?? ''
          }
          aria-label={`${label} ${props.label}`}
          disabled={props.disabled || props.readonly}
          onClick={async () => {
            const picked = await browse(current);
            if (picked !== null) {
              props.onChange(picked);
            }
          }}
        >
          <folderIcon.react tag="span" className="jp-kitlab-browse-icon" />
          {label}
        </button>
      )}
    </div>
  );
}

/**
 * A field's messages, as rjsf's own list (`error-detail`), but a warning (the server's problems of
 * severity `warning`, which do not stop packing) in the theme's warning colour, not as an error.
 */
export function FieldErrors(
  props: FieldErrorProps<FormData>
): JSX.Element | null {
  const context = props.registry.formContext as IFormContext | undefined;
  const prefix = context?.warningPrefix ?? '';
  const messages = (props.errors ?? []).filter(
    (message): message is string =>
      typeof message === 'string' && message !== ''
  );
  if (messages.length === 0) {
    return null;
  }
  return (
    <div>
      <ul className="error-detail bs-callout bs-callout-info">
        {messages.map((message, index) => (
          <li
            key={index}
            className={
              prefix && message.startsWith(prefix)
                ? 'jp-kitlab-field-warning'
                : 'text-danger'
            }
          >
            {message}
          </li>
        ))}
      </ul>
    </div>
  );
}

export const FORM_WIDGETS: RegistryWidgetsType<FormData> = {
  suggest: SuggestWidget,
  path: PathWidget
};

/** One `<datalist>` per vocabulary, shared by every field that suggests from it. */
export function SuggestionLists(props: {
  suggestions: Readonly<Record<string, readonly string[]>>;
}): JSX.Element {
  return (
    <>
      {Object.entries(props.suggestions).map(([vocabulary, values]) => (
        <datalist key={vocabulary} id={suggestionListId(vocabulary)}>
          {values.map(value => (
            <option key={value} value={value} />
          ))}
        </datalist>
      ))}
    </>
  );
}

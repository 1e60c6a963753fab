import { TranslationBundle } from '@jupyterlab/translation';
import { FormComponent } from '@jupyterlab/ui-components';
import type { ReadonlyJSONObject } from '@lumino/coreutils';
import type {
  ErrorSchema,
  FieldProps,
  UIOptionsType,
  UiSchema
} from '@rjsf/utils';
import { customizeValidator } from '@rjsf/validator-ajv8';
import * as React from 'react';

import { problemsToErrorTree } from '../problems';
import { IKitfile, IKitfileSchema, IProblem } from '../tokens';
import {
  FieldErrors,
  FORM_WIDGETS,
  IFormContext,
  SuggestionLists
} from './FormWidgets';

type FormData = ReadonlyJSONObject;

/** rjsf's schema validator, typed for our form data; rendering needs one even though the server validates. */
const validator = customizeValidator<FormData>();

/**
 * Free-form `parameters` (any JSON value, as in kit) have no JSON Schema type rjsf can draw, so they
 * are edited as JSON text. The draft changes only when the text parses; until then the text stays as
 * typed, with the parse error under it. Empty text removes the parameters.
 */
function ParametersField(props: FieldProps<FormData>): JSX.Element {
  const { formData, onChange, idSchema, name, schema } = props;
  const shown = (value: unknown) =>
    value === undefined ? '' : JSON.stringify(value, null, 2);
  const [text, setText] = React.useState(() => shown(formData));
  const [error, setError] = React.useState('');
  const lastSent = React.useRef<unknown>(formData);
  React.useEffect(() => {
    // A change from elsewhere (the YAML tab, a new draft) replaces the text; our own edits do not.
    if (JSON.stringify(formData) !== JSON.stringify(lastSent.current)) {
      lastSent.current = formData;
      setText(shown(formData));
      setError('');
    }
  }, [formData]);
  const id = idSchema.$id;
  return (
    <div className="jp-kitlab-parameters">
      <label htmlFor={id}>{schema.title ?? name}</label>
      <textarea
        id={id}
        className="jp-mod-styled"
        spellCheck={false}
        rows={Math.min(12, Math.max(3, text.split('\n').length))}
        value={text}
        aria-invalid={error !== ''}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={event => {
          const value = event.target.value;
          setText(value);
          if (value.trim() === '') {
            setError('');
            lastSent.current = undefined;
            onChange(undefined);
            return;
          }
          try {
            const parsed: unknown = JSON.parse(value);
            setError('');
            lastSent.current = parsed;
            onChange(parsed as FormData);
          } catch (parseError) {
            setError((parseError as Error).message);
          }
        }}
      />
      {error && (
        <div id={`${id}-error`} className="jp-kitlab-field-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

/** A field left out of this form (the other part shows it). */
function HiddenField(): null {
  return null;
}

/** Which fields a form shows: the ones a user needs first, or the rarely used ones. */
export type FormPart = 'main' | 'more';

/** The rarely used fields, under "More fields": top-level keys, and keys of model and datasets. */
const MORE_TOP = ['prompts', 'mcpServers', 'manifestVersion'];
const MORE_MODEL = ['parameters'];
const MORE_DATASET = ['remotePath', 'remoteHash', 'parameters'];

type Hints = UiSchema<FormData>;

function propertyNames(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, unknown> })
    ?.properties;
  return properties ? Object.keys(properties) : [];
}

/** Hide the named fields of `hints` (`keep` false) or every other field (`keep` true). */
function hideFields(
  hints: Hints,
  names: string[],
  chosen: string[],
  keep: boolean
): void {
  for (const name of names) {
    if (chosen.includes(name) !== keep) {
      hints[name] = {
        ...((hints[name] ?? {}) as Hints),
        'ui:field': HiddenField
      };
    }
  }
}

/** 'e.g. …' in front of every placeholder, so an example never reads as a value already there. */
function markExamples(hints: Record<string, unknown>, prefix: string): void {
  for (const [key, value] of Object.entries(hints)) {
    if (key === 'ui:placeholder' && typeof value === 'string') {
      hints[key] = `${prefix}${value}`;
    } else if (value !== null && typeof value === 'object') {
      markExamples(value as Record<string, unknown>, prefix);
    }
  }
}

/**
 * The server's UI hints for one part of the form, plus the parameters field, examples marked as
 * examples, and no rjsf error list at the top.
 */
function withLocalHints(
  schema: IKitfileSchema,
  part: FormPart,
  examplePrefix: string
): Hints {
  const hints = structuredClone(schema.uiSchema) as Hints;
  markExamples(hints as Record<string, unknown>, examplePrefix);
  const properties = (schema.schema.properties ?? {}) as Record<
    string,
    unknown
  >;
  const parameters = { 'ui:field': ParametersField };
  const model = (hints.model ?? {}) as Hints;
  model.parameters = { ...((model.parameters ?? {}) as Hints), ...parameters };
  const datasets = (hints.datasets ?? {}) as Hints;
  const items = (datasets.items ?? {}) as Hints;
  items.parameters = { ...((items.parameters ?? {}) as Hints), ...parameters };
  const more = part === 'more';
  hideFields(
    hints,
    Object.keys(properties),
    [...MORE_TOP, 'model', 'datasets'],
    more
  );
  hideFields(model, propertyNames(properties.model), MORE_MODEL, more);
  hideFields(
    items,
    propertyNames((properties.datasets as { items?: unknown })?.items),
    MORE_DATASET,
    more
  );
  if (more) {
    // The datasets' list is edited in the main part; here only their rarely used fields.
    datasets['ui:options'] = {
      ...((datasets['ui:options'] ?? {}) as object),
      addable: false,
      removable: false,
      orderable: false
    };
  }
  datasets.items = items;
  hints.model = model;
  hints.datasets = datasets;
  // Every field lists its messages with FieldErrors (warnings not styled as errors). rjsf reads
  // templates from the global UI options too, though its type for them does not say so.
  const globalOptions: UIOptionsType<FormData> = {
    ...(hints['ui:globalOptions'] ?? {}),
    FieldErrorTemplate: FieldErrors
  };
  hints['ui:globalOptions'] = globalOptions;
  return hints;
}

/**
 * The Kitfile as a form built from the server's JSON Schema. Validation is the server's (it knows
 * SPDX licenses and which paths exist); its problems appear on their fields through `extraErrors`.
 */
export function KitfileForm(props: {
  /** The fields a user needs first, or the rarely used ones ("More fields"). */
  part: FormPart;
  schema: IKitfileSchema;
  kitfile: IKitfile;
  problems: readonly IProblem[];
  trans: TranslationBundle;
  /** Picks a path inside the folder being packed, for the path fields' Browse… buttons. */
  browse: IFormContext['browse'];
  onChange: (kitfile: IKitfile) => void;
}): JSX.Element {
  const { schema, trans, browse } = props;
  const suggestions = schema.suggestions ?? {};
  const formContext: IFormContext = React.useMemo(
    () => ({
      trans,
      suggestions,
      browse,
      warningPrefix: trans.__('Warning: ')
    }),
    [trans, schema, browse]
  );
  const uiSchema = React.useMemo(
    () => withLocalHints(schema, props.part, trans.__('e.g. ')),
    [schema, props.part, trans]
  );
  const extraErrors = React.useMemo(
    () =>
      problemsToErrorTree(props.problems, {
        includeWarnings: true,
        warningPrefix: formContext.warningPrefix
      }) as ErrorSchema<FormData>,
    [props.problems, formContext]
  );
  return (
    <div
      className="jp-kitlab-form"
      data-testid={
        props.part === 'main' ? 'kitlab-kitfile-form' : 'kitlab-kitfile-more'
      }
    >
      <SuggestionLists suggestions={suggestions} />
      <FormComponent
        schema={schema.schema}
        uiSchema={uiSchema}
        widgets={FORM_WIDGETS}
        formContext={formContext}
        formData={props.kitfile as unknown as FormData}
        validator={validator}
        noValidate
        showErrorList={false}
        extraErrors={extraErrors}
        compact
        onChange={event => {
          if (event.formData) {
            props.onChange(event.formData as unknown as IKitfile);
          }
        }}
      />
    </div>
  );
}

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

/** Which fields a form shows: the ones a user needs first, or the rarely used ones. */
export type FormPart = 'main' | 'more';

/** The rarely used fields, under "More fields": top-level keys, and keys of model and datasets. */
const MORE_TOP = ['prompts', 'mcpServers', 'manifestVersion'];
const MORE_MODEL = ['parameters'];
const MORE_DATASET = ['remotePath', 'remoteHash', 'parameters'];

type Hints = UiSchema<FormData>;
type JsonSchema = Record<string, unknown> & {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  required?: string[];
};

/**
 * `schema` with only the properties `keep` says yes to. rjsf passes the other keys of the form data
 * through untouched (it does not omit extra data), so each part edits its fields of one Kitfile.
 */
function pickProperties(
  schema: JsonSchema,
  keep: (name: string) => boolean
): JsonSchema {
  const properties = Object.fromEntries(
    Object.entries(schema.properties ?? {}).filter(([name]) => keep(name))
  );
  return {
    ...schema,
    properties,
    ...(schema.required
      ? { required: schema.required.filter(name => name in properties) }
      : {})
  };
}

/**
 * The schema of one part: the main fields, or the rarely used ones (the datasets' among them only
 * when there are datasets). Untitled: the editor names the Kitfile already.
 */
function partSchema(
  schema: JsonSchema,
  part: FormPart,
  hasDatasets: boolean
): JsonSchema {
  const more = part === 'more';
  const properties = schema.properties ?? {};
  const chosen = (list: string[]) => (name: string) =>
    list.includes(name) === more;
  const top = pickProperties(schema, name =>
    more
      ? MORE_TOP.includes(name) || name === 'model' || name === 'datasets'
      : !MORE_TOP.includes(name)
  );
  const picked = top.properties ?? {};
  if (properties.model) {
    picked.model = pickProperties(properties.model, chosen(MORE_MODEL));
  }
  const datasets = properties.datasets;
  if (more && !hasDatasets) {
    delete picked.datasets;
  } else if (datasets?.items) {
    picked.datasets = {
      ...datasets,
      items: pickProperties(datasets.items, chosen(MORE_DATASET))
    };
  }
  delete top.title;
  return top;
}

/** The UI hints' `ui:order` lists without names the part's schema lacks (rjsf refuses those). */
function fitOrder(hints: Record<string, unknown>, schema: JsonSchema): void {
  const order = hints['ui:order'];
  if (Array.isArray(order)) {
    const names = Object.keys(schema.properties ?? {});
    hints['ui:order'] = order.filter(
      name => name === '*' || names.includes(name as string)
    );
  }
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const childHints = hints[name];
    if (childHints !== null && typeof childHints === 'object') {
      fitOrder(childHints as Record<string, unknown>, child);
      const items = (childHints as Record<string, unknown>).items;
      if (child.items && items !== null && typeof items === 'object') {
        fitOrder(items as Record<string, unknown>, child.items);
      }
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
  schema: JsonSchema,
  uiSchema: Record<string, unknown>,
  part: FormPart,
  examplePrefix: string
): Hints {
  const hints = structuredClone(uiSchema) as Hints;
  markExamples(hints as Record<string, unknown>, examplePrefix);
  fitOrder(hints as Record<string, unknown>, schema);
  const parameters = { 'ui:field': ParametersField };
  const model = (hints.model ?? {}) as Hints;
  model.parameters = { ...((model.parameters ?? {}) as Hints), ...parameters };
  const datasets = (hints.datasets ?? {}) as Hints;
  const items = (datasets.items ?? {}) as Hints;
  items.parameters = { ...((items.parameters ?? {}) as Hints), ...parameters };
  if (part === 'more') {
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
  const hasDatasets = (props.kitfile.datasets?.length ?? 0) > 0;
  const formSchema = React.useMemo(
    () => partSchema(schema.schema as JsonSchema, props.part, hasDatasets),
    [schema, props.part, hasDatasets]
  );
  const uiSchema = React.useMemo(
    () =>
      withLocalHints(
        formSchema,
        schema.uiSchema,
        props.part,
        trans.__('e.g. ')
      ),
    [formSchema, schema, props.part, trans]
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
      {props.part === 'main' && <SuggestionLists suggestions={suggestions} />}
      <FormComponent
        schema={formSchema}
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

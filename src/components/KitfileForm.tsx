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

/** The server's UI hints plus the parameters field and no rjsf error list at the top. */
function withLocalHints(uiSchema: Record<string, unknown>): UiSchema<FormData> {
  const hints = structuredClone(uiSchema) as UiSchema<FormData>;
  const parameters = { 'ui:field': ParametersField };
  const model = (hints.model ?? {}) as UiSchema<FormData>;
  hints.model = {
    ...model,
    parameters: { ...(model.parameters ?? {}), ...parameters }
  };
  const datasets = (hints.datasets ?? {}) as UiSchema<FormData>;
  const items = (datasets.items ?? {}) as UiSchema<FormData>;
  hints.datasets = {
    ...datasets,
    items: {
      ...items,
      parameters: { ...(items.parameters ?? {}), ...parameters }
    }
  };
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
    () => withLocalHints(schema.uiSchema),
    [schema]
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
    <div className="jp-kitlab-form" data-testid="kitlab-kitfile-form">
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

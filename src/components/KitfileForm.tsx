import { TranslationBundle } from '@jupyterlab/translation';
import { FormComponent } from '@jupyterlab/ui-components';
import type { ReadonlyJSONObject } from '@lumino/coreutils';
import type { ErrorSchema, FieldProps, UiSchema } from '@rjsf/utils';
import { customizeValidator } from '@rjsf/validator-ajv8';
import * as React from 'react';

import { problemsToErrorTree } from '../problems';
import { IKitfile, IKitfileSchema, IProblem } from '../tokens';

type FormData = ReadonlyJSONObject;

/** rjsf's schema validator, typed for our form data; rendering needs one even though the server validates. */
const validator = customizeValidator<FormData>();

/**
 * Free-form `parameters` have no JSON type, which rjsf cannot edit; show them read-only (the YAML tab
 * edits them) so the form keeps them unchanged.
 */
function ParametersField(props: FieldProps<FormData>): JSX.Element {
  const value: unknown = props.formData;
  return (
    <div className="jp-kitlab-parameters">
      <label>{props.schema.title ?? props.name}</label>
      <pre>{value === undefined ? '—' : JSON.stringify(value, null, 2)}</pre>
    </div>
  );
}

/** The server's UI hints plus the read-only parameters field and no rjsf error list at the top. */
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
  onChange: (kitfile: IKitfile) => void;
}): JSX.Element {
  const { schema, trans } = props;
  const uiSchema = React.useMemo(
    () => withLocalHints(schema.uiSchema),
    [schema]
  );
  const extraErrors = React.useMemo(
    () =>
      problemsToErrorTree(props.problems, {
        includeWarnings: true,
        warningPrefix: trans.__('Warning: ')
      }) as ErrorSchema<FormData>,
    [props.problems]
  );
  return (
    <div className="jp-kitlab-form" data-testid="kitlab-kitfile-form">
      <FormComponent
        schema={schema.schema}
        uiSchema={uiSchema}
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

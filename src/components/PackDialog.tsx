import * as React from 'react';

import { buildReference, IReferenceParts, targetProblems } from '../reference';
import { Compression, IPackPlan } from '../tokens';
import {
  CheckField,
  IFormViewProps,
  IRegistryFormProps,
  useDialogCheck,
  useRegistryForm
} from './DialogFields';
import { SecretsNotice } from './Hygiene';
import { ISigningValues, SigningFields } from './KeysView';

/** What the Pack dialog asks for. */
export interface IPackValues extends IReferenceParts, ISigningValues {
  compression: Compression;
  /** Also push to the registry after packing. */
  push: boolean;
  /** Talk to the registry over plain HTTP (a local test registry). */
  plainHttp: boolean;
  /** Write a CNCF ModelPack instead of a classic ModelKit (docs/kit-format.md). */
  modelPack: boolean;
}

/** True when the values can be packed (and pushed, if asked): `targetProblems` finds nothing. */
export function packValuesValid(values: IPackValues): boolean {
  return Object.keys(targetProblems(values, values.push)).length === 0;
}

export interface IPackFormProps extends IRegistryFormProps {
  /** The Kitfile has unsaved edits, which Start saves first. */
  savesKitfile: boolean;
  /** The saved Kitfile's plan, for the files of secrets it would carry (null: not known). */
  plan?: IPackPlan | null;
  /** The notebook a push records the kit in (lineage), when packing from one. */
  notebook?: string;
}

/** The Pack dialog's form: where the kit goes, how it is compressed, and whether it is pushed. */
export function PackFormView(
  props: IPackFormProps & IFormViewProps<IPackValues>
): JSX.Element {
  const { trans } = props;
  const form = useRegistryForm(props, change => change.registry);
  const { values, update } = form;
  // Shown while typing, and Start waits until there are none (Start checks the same again).
  const problems = targetProblems(values, values.push);
  const node = useDialogCheck();
  const problem = (field: keyof IReferenceParts): string | undefined => {
    const message = problems[field];
    return message && trans.__(message);
  };
  return (
    <div className="jp-kitlab-dialog-form" ref={node}>
      {props.plan && (
        <SecretsNotice
          folder={props.plan.folder}
          secrets={props.plan.secrets.map(secret => ({
            path: secret.path,
            kinds: secret.kinds,
            where: trans.__('packed by %1', secret.field)
          }))}
          preview={props.plan.suggestedKitignore}
          consequence={
            values.push
              ? trans.__(
                  'Nothing is packed or pushed while a layer carries them: write .kitignore to leave them out, then Start.'
                )
              : trans.__(
                  'Nothing is packed while a layer carries them: write .kitignore to leave them out, then Start.'
                )
          }
          trans={trans}
        />
      )}
      <CheckField
        name="push"
        label={trans.__('Push to a registry after packing')}
        checked={values.push}
        onChange={push => update({ push })}
      />
      {form.text('registry', trans.__('Registry'), {
        placeholder: values.push
          ? trans.__('e.g. %1', 'ghcr.io')
          : trans.__('(local store only)'),
        error: problem('registry')
      })}
      {form.text('repository', trans.__('Repository'), {
        placeholder: trans.__('e.g. %1', 'org/my-model'),
        error: problem('repository')
      })}
      {form.text('tag', trans.__('Tag'), {
        placeholder: trans.__('e.g. %1', 'v1'),
        error: problem('tag')
      })}
      <label className="jp-kitlab-field">
        <span>{trans.__('Layer compression')}</span>
        <select
          className="jp-mod-styled"
          name="compression"
          value={values.compression}
          onChange={event =>
            update({ compression: event.target.value as Compression })
          }
        >
          <option value="none">
            {trans.__('none (kit default, reproducible digests)')}
          </option>
          <option value="gzip">gzip</option>
          <option value="gzip-fastest">{trans.__('gzip (fastest)')}</option>
          <option value="zstd">zstd</option>
        </select>
      </label>
      <CheckField
        name="modelPack"
        label={trans.__(
          'CNCF ModelPack format (kit ≥ 1.10, modctl, Harbor, KServe)'
        )}
        checked={values.modelPack}
        onChange={modelPack => update({ modelPack })}
      />
      {values.push && form.plainHttp()}
      {values.push && (
        <SigningFields values={values} onChange={update} trans={trans} />
      )}
      <p className="jp-kitlab-muted" data-testid="kitlab-pack-reference">
        {trans.__('Reference: %1', buildReference(values) || '—')}
      </p>
      {values.push && props.notebook && (
        <p className="jp-kitlab-muted" data-testid="kitlab-pack-lineage">
          {trans.__(
            'The pushed kit is recorded in %1 (its lineage).',
            props.notebook
          )}
        </p>
      )}
      {props.savesKitfile && (
        <p className="jp-kitlab-note" data-testid="kitlab-pack-saves">
          {trans.__(
            'Start saves your unsaved Kitfile edits first; Cancel leaves the Kitfile as it is.'
          )}
        </p>
      )}
    </div>
  );
}

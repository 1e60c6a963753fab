import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { getPlan } from '../api';
import { formatBytes } from '../format';
import { IKitignoreWritten, IPackPlan } from '../tokens';
import { SecretsNotice } from './Hygiene';

/**
 * What packing will write: one row per layer with its files, marking layers unchanged since the last
 * pack. Files that look like secrets are named first, with "Write .kitignore"; after a write the plan
 * is read again, so it shows what the pack will now carry.
 */
export function PlanView(props: {
  plan: IPackPlan;
  trans: TranslationBundle;
  onKitignoreWritten?: (written: IKitignoreWritten) => void;
}): JSX.Element {
  const { trans } = props;
  const [replanned, setReplanned] = React.useState<IPackPlan | null>(null);
  const [written, setWritten] = React.useState<IKitignoreWritten | null>(null);
  React.useEffect(() => {
    setReplanned(null);
    setWritten(null);
  }, [props.plan]);
  const plan = replanned ?? props.plan;
  const secrets = plan.secrets ?? [];
  const secretPaths = new Set(secrets.map(secret => secret.path));
  const warnings = plan.warnings.filter(w => !secretPaths.has(w.path));
  return (
    <div className="jp-kitlab-plan" data-testid="kitlab-plan">
      <SecretsNotice
        key={plan.folder + secrets.map(secret => secret.path).join('\n')}
        folder={plan.folder}
        secrets={secrets.map(secret => ({
          path: secret.path,
          kinds: secret.kinds,
          where: trans.__('packed by %1', secret.field)
        }))}
        preview={plan.suggestedKitignore}
        consequence={trans.__(
          'Packing stops on them (unless secrets are allowed): leave them out of every layer with .kitignore.'
        )}
        trans={trans}
        onWritten={done => {
          setWritten(done);
          props.onKitignoreWritten?.(done);
          void getPlan(plan.folder).then(setReplanned, () => undefined);
        }}
      />
      {written && secrets.length === 0 && (
        <p
          className="jp-kitlab-note jp-kitlab-note-ok"
          data-testid="kitlab-kitignore-written"
        >
          {trans.__(
            '%1 written: no layer carries a file that looks like a secret now.',
            written.path
          )}
        </p>
      )}
      <p>
        {trans._n('%1 layer', '%1 layers', plan.layers.length)}
        {', '}
        {/* File bytes: the packed kit's size (its layers) adds tar headers, or is smaller compressed. */}
        {trans.__(
          '%1 of files; %2 unchanged since the last pack.',
          formatBytes(plan.totalSize),
          formatBytes(plan.unchangedSize)
        )}
      </p>
      <ul className="jp-kitlab-layers">
        {plan.layers.map(layer => (
          <li key={`${layer.kind}:${layer.path}`} className="jp-kitlab-layer">
            <details>
              <summary>
                <span className="jp-kitlab-chip">{layer.kind}</span>{' '}
                <span className="jp-kitlab-entry-path">{layer.path}</span>{' '}
                <span className="jp-kitlab-muted">
                  {trans._n('%1 file', '%1 files', layer.fileCount)} ·{' '}
                  {formatBytes(layer.size)}
                </span>
                {layer.unchanged && (
                  <span className="jp-kitlab-chip jp-kitlab-chip-ok">
                    {trans.__('unchanged')}
                  </span>
                )}
              </summary>
              <ul className="jp-kitlab-files">
                {layer.files.map(file => (
                  <li key={file} className="jp-kitlab-entry-path">
                    {file}
                  </li>
                ))}
                {layer.fileCount > layer.files.length && (
                  <li className="jp-kitlab-muted">
                    {trans.__(
                      '… and %1 more',
                      layer.fileCount - layer.files.length
                    )}
                  </li>
                )}
              </ul>
            </details>
          </li>
        ))}
      </ul>
      {warnings.length > 0 && (
        <ul className="jp-kitlab-note jp-kitlab-warning">
          {warnings.map((warning, index) => (
            <li key={index}>{warning.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

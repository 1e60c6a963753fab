import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { formatBytes } from '../format';
import { IPackPlan } from '../tokens';

/** What packing will write: one row per layer with its files, marking layers unchanged since the last pack. */
export function PlanView(props: {
  plan: IPackPlan;
  trans: TranslationBundle;
}): JSX.Element {
  const { plan, trans } = props;
  return (
    <div className="jp-kitlab-plan" data-testid="kitlab-plan">
      <p>
        {trans._n('%1 layer', '%1 layers', plan.layers.length)}
        {', '}
        {trans.__(
          '%1 in total; %2 unchanged since the last pack.',
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
                  <li key={file.name}>
                    <span>{file.name}</span>
                    <span className="jp-kitlab-muted">
                      {formatBytes(file.size)}
                    </span>
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
      {plan.warnings.length > 0 && (
        <ul className="jp-kitlab-note jp-kitlab-warning">
          {plan.warnings.map((warning, index) => (
            <li key={index}>{warning.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IDiffLine } from '../draft';

/** A line diff as a dialog shows it: removed lines marked −, added lines +, the rest kept. */
function DiffView(props: {
  lines: readonly IDiffLine[];
  trans: TranslationBundle;
}): JSX.Element {
  const { lines, trans } = props;
  const removed = lines.filter(line => line.kind === 'removed').length;
  const added = lines.filter(line => line.kind === 'added').length;
  return (
    <div className="jp-kitlab-diff-dialog">
      <p>
        {trans.__(
          'The editor will show the scan\u2019s draft: %1 lines removed, %2 added. Nothing is saved until you save.',
          removed,
          added
        )}
      </p>
      <pre className="jp-kitlab-diff" data-testid="kitlab-diff">
        {lines.map((line, index) => (
          <div key={index} className={`jp-kitlab-diff-${line.kind}`}>
            {line.kind === 'removed'
              ? '− '
              : line.kind === 'added'
                ? '+ '
                : '  '}
            {line.text}
          </div>
        ))}
      </pre>
    </div>
  );
}

/** The body of the "Replace with the scan's draft?" dialog. */
export function diffDialogBody(
  lines: readonly IDiffLine[],
  trans: TranslationBundle
): JSX.Element {
  return <DiffView lines={lines} trans={trans} />;
}

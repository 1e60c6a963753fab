import { TranslationBundle } from '@jupyterlab/translation';
import { closeIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ENTRY_KINDS, kindInKitfile } from '../draft';
import { formatBytes } from '../format';
import { EntryKind, IKitfile, IScanEntry, IScanReport } from '../tokens';

/** The English labels of the entry kinds (translated at render time). */
export function kindLabel(kind: EntryKind, trans: TranslationBundle): string {
  switch (kind) {
    case 'model':
      return trans.__('Main model');
    case 'modelpart':
      return trans.__('Model part');
    case 'dataset':
      return trans.__('Dataset');
    case 'code':
      return trans.__('Code');
    case 'docs':
      return trans.__('Docs');
  }
}

const NOT_PACKED = '';

/**
 * What the scan found, each file with its reasons, size and kind. Changing an entry's kind or dropping
 * it edits the draft Kitfile; the hygiene part says what was kept out and what no layer covers.
 */
export function ScanReport(props: {
  report: IScanReport;
  draft: IKitfile;
  trans: TranslationBundle;
  onMove: (entry: IScanEntry, kind: EntryKind) => void;
  onDrop: (entry: IScanEntry) => void;
}): JSX.Element {
  const { report, draft, trans } = props;
  const hygiene = report.hygiene ?? {};
  const secrets = hygiene.secrets ?? [];
  const uncovered = hygiene.uncovered ?? [];
  const uncoveredCount = hygiene.uncoveredCount ?? uncovered.length;
  const warnings = (report.warnings ?? []).map(warningText);
  return (
    <div className="jp-kitlab-scan" data-testid="kitlab-scan-report">
      {report.entries.length === 0 ? (
        <p className="jp-kitlab-muted">
          {trans.__('Nothing to package was found in this folder.')}
        </p>
      ) : (
        <ul className="jp-kitlab-entries" aria-label={trans.__('Found files')}>
          {report.entries.map(entry => {
            const current = kindInKitfile(draft, entry.path);
            return (
              <li
                key={entry.path}
                className="jp-kitlab-entry"
                data-path={entry.path}
                data-kind={current ?? 'dropped'}
              >
                <div className="jp-kitlab-entry-head">
                  <span className="jp-kitlab-entry-path" title={entry.path}>
                    {entry.path}
                  </span>
                  <span className="jp-kitlab-entry-size">
                    {entry.size !== undefined ? formatBytes(entry.size) : ''}
                  </span>
                </div>
                <div className="jp-kitlab-entry-controls">
                  <select
                    className="jp-mod-styled"
                    aria-label={trans.__('Kind of %1', entry.path)}
                    value={current ?? NOT_PACKED}
                    onChange={event => {
                      const kind = event.target.value;
                      if (kind === NOT_PACKED) {
                        props.onDrop(entry);
                      } else {
                        props.onMove(entry, kind as EntryKind);
                      }
                    }}
                  >
                    {ENTRY_KINDS.map(kind => (
                      <option key={kind} value={kind}>
                        {kindLabel(kind, trans)}
                      </option>
                    ))}
                    <option value={NOT_PACKED}>{trans.__('Not packed')}</option>
                  </select>
                  {[entry.framework, entry.format].filter(Boolean).map(tag => (
                    <span key={tag} className="jp-kitlab-chip">
                      {tag}
                    </span>
                  ))}
                  {current !== null && (
                    <ToolbarButtonComponent
                      icon={closeIcon}
                      tooltip={trans.__(
                        'Leave %1 out of the ModelKit',
                        entry.path
                      )}
                      onClick={() => props.onDrop(entry)}
                    />
                  )}
                </div>
                {entry.reasons.length > 0 && (
                  <ul className="jp-kitlab-reasons">
                    {entry.reasons.map(reason => (
                      <li key={reason}>{reason}</li>
                    ))}
                  </ul>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {secrets.length > 0 && (
        <div
          className="jp-kitlab-note jp-kitlab-note-ok"
          data-testid="kitlab-secrets"
        >
          <strong>
            {trans._n(
              '%1 secret kept out of every layer:',
              '%1 secrets kept out of every layer:',
              secrets.length
            )}
          </strong>
          <ul>
            {secrets.map(secret => (
              <li key={`${secret.path}:${secret.line ?? ''}:${secret.kind}`}>
                {secret.line !== undefined
                  ? trans.__(
                      '%1, line %2: %3',
                      secret.path,
                      secret.line,
                      secret.kind
                    )
                  : trans.__('%1: %2', secret.path, secret.kind)}
              </li>
            ))}
          </ul>
        </div>
      )}
      {hygiene.suggestedKitignore && (
        <details className="jp-kitlab-note">
          <summary>{trans.__('Suggested .kitignore')}</summary>
          <pre className="jp-kitlab-kitignore">
            {hygiene.suggestedKitignore}
          </pre>
        </details>
      )}
      {uncoveredCount > 0 && (
        <div
          className="jp-kitlab-note jp-kitlab-warning"
          data-testid="kitlab-uncovered"
        >
          <strong>
            {trans._n(
              '%1 file is in no layer and will not be packed:',
              '%1 files are in no layer and will not be packed:',
              uncoveredCount
            )}
          </strong>
          <ul>
            {uncovered.map(path => (
              <li key={path}>{path}</li>
            ))}
          </ul>
        </div>
      )}
      {warnings.length > 0 && (
        <ul
          className="jp-kitlab-note jp-kitlab-warning"
          aria-label={trans.__('Scan warnings')}
        >
          {warnings.map(text => (
            <li key={text}>{text}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Scan warnings are strings today; accept `{message}` objects too. */
function warningText(warning: unknown): string {
  if (typeof warning === 'string') {
    return warning;
  }
  if (warning && typeof warning === 'object' && 'message' in warning) {
    return String((warning as { message: unknown }).message);
  }
  return JSON.stringify(warning);
}

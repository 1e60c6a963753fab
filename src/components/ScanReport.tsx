import { TranslationBundle } from '@jupyterlab/translation';
import { closeIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import * as React from 'react';

import { coveredBy, ENTRY_KINDS, kindInKitfile, kitfilePaths } from '../draft';
import { formatBytes } from '../format';
import {
  EntryKind,
  IKitfile,
  IScanEntry,
  IScanReport,
  ISecretFinding
} from '../tokens';
import {
  ExcludedNotice,
  ExternalIONotice,
  HugeCodeNotice,
  RequirementsNotice,
  SecretsNotice
} from './Hygiene';

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

/** Where a secret finding is, as the notebook numbers it ("cell 2, line 1": code cells, like [2]). */
function secretWhere(secret: ISecretFinding, trans: TranslationBundle): string {
  if (secret.cell !== undefined && secret.line !== undefined) {
    return trans.__('code cell %1, line %2', secret.cell, secret.line);
  }
  return secret.line !== undefined ? trans.__('line %1', secret.line) : '';
}

/** The contents path of the scanned folder ('.' is the server root). */
function contentsFolder(report: IScanReport): string {
  return report.folder && report.folder !== '.' ? report.folder : '';
}

/**
 * What the scan found, each file with its reasons, size and kind. Changing an entry's kind or dropping
 * it edits the draft Kitfile; the hygiene part says which files hold secrets, what was left out and
 * why, what no layer covers (computed from the current Kitfile, so it follows edits), what the code
 * reads from outside the folder, and the pinned requirements.
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
  // The scan listed the files its own draft left out; the Kitfile has changed since (a file made the
  // model is in a layer now), so coverage is worked out again from the current paths.
  const packed = kitfilePaths(draft);
  const scanned = hygiene.uncovered ?? [];
  const uncovered = scanned.filter(path => !coveredBy(packed, path));
  const uncoveredCount =
    (hygiene.uncoveredCount ?? scanned.length) -
    (scanned.length - uncovered.length);
  const external = [
    ...(hygiene.externalReads ?? []),
    ...(hygiene.externalWrites ?? [])
  ];
  // A file of secrets has its own card (with Write .kitignore): its warning line would repeat it.
  const warnings = (report.warnings ?? [])
    .map(warningText)
    .filter(
      text =>
        !secrets.some(secret =>
          text.startsWith(`${secret.path} holds a possible secret`)
        )
    );
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
                    <span
                      key={tag}
                      className="jp-kitlab-chip jp-kitlab-chip-shrink"
                      title={tag}
                    >
                      {tag}
                    </span>
                  ))}
                  {entry.pickle && (
                    <span
                      className={
                        entry.pickle.verdict === 'safe'
                          ? 'jp-kitlab-chip jp-kitlab-chip-ok'
                          : 'jp-kitlab-chip jp-kitlab-chip-warn'
                      }
                      data-testid="kitlab-pickle-verdict"
                      title={entry.pickle.globals.join(', ')}
                    >
                      {entry.pickle.verdict === 'safe'
                        ? trans.__('safe pickle')
                        : entry.pickle.verdict === 'dangerous'
                          ? trans.__('dangerous pickle')
                          : trans.__('unknown pickle')}
                    </span>
                  )}
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
      <SecretsNotice
        folder={contentsFolder(report)}
        secrets={secrets.map(secret => ({
          path: secret.path,
          kinds: secret.kinds ?? [secret.kind],
          where: secretWhere(secret, trans)
        }))}
        preview=""
        consequence={trans.__(
          "A layer that holds one of them stops the pack. Write .kitignore adds them to the folder's .kitignore (your lines stay)."
        )}
        trans={trans}
      />
      <HugeCodeNotice items={hygiene.hugeCodeLayers ?? []} trans={trans} />
      <ExternalIONotice items={external} trans={trans} />
      <RequirementsNotice
        folder={contentsFolder(report)}
        text={report.requirements ?? ''}
        trans={trans}
      />
      <ExcludedNotice items={hygiene.excluded ?? []} trans={trans} />
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

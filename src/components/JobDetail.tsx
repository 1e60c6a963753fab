import { Clipboard } from '@jupyterlab/apputils';
import { Time } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import { copyIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import * as React from 'react';

import { jobFacts } from '../details';
import { formatBytes, formatDuration } from '../format';
import { isActive, jobNotebook, jobSubject, jobVerb } from '../jobs';
import { IJob } from '../tokens';
import { jobKindLabel } from './JobsList';

/** A value with a Copy button (a reference, a digest). */
export function CopyValue(props: {
  value: string;
  label: string;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <span className="jp-kitlab-copy-value">
      <code>{props.value}</code>
      <ToolbarButtonComponent
        icon={copyIcon}
        tooltip={props.trans.__('Copy %1', props.label)}
        label={props.trans.__('Copy')}
        onClick={() => Clipboard.copyToSystem(props.value)}
      />
    </span>
  );
}

/** Rows of name → value; empty values are left out. */
export function FactsTable(props: {
  rows: [string, React.ReactNode][];
  label: string;
}): JSX.Element {
  return (
    <table className="jp-kitlab-detail-table" aria-label={props.label}>
      <tbody>
        {props.rows
          .filter(([, value]) => value !== '' && value !== null)
          .map(([name, value]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td>{value}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}

function when(seconds: number | null | undefined): string {
  return typeof seconds === 'number'
    ? Time.format(new Date(seconds * 1000))
    : '';
}

/**
 * Everything a job recorded: what it worked on, its outcome (error or digest, size, duration), its
 * warnings (styled as warnings: the job went on), the pickle safety report and the log.
 */
export function JobDetail(props: {
  job: IJob;
  trans: TranslationBundle;
  now: number;
  onOpenNotebook: (path: string) => void;
  onShowKit: (reference: string) => void;
}): JSX.Element {
  const { job, trans } = props;
  const facts = jobFacts(job, props.now);
  const notebook = jobNotebook(job);
  const verb = jobKindLabel(jobVerb(job), trans);
  return (
    <div
      className="jp-kitlab-detail jp-kitlab-job-detail"
      data-job-id={job.id}
      data-state={job.state}
    >
      <h2>
        {verb} {jobSubject(job)}
      </h2>
      <p
        className={`jp-kitlab-job-outcome jp-kitlab-state-${job.state}`}
        data-testid="kitlab-job-detail-state"
      >
        {job.state}
        {isActive(job.state) && job.stage ? ` · ${job.stage}` : ''}
      </p>
      {facts.error && (
        <div className="jp-kitlab-detail-error" role="alert">
          <strong>{trans.__('Error')}</strong>
          <p>{facts.error}</p>
        </div>
      )}
      <FactsTable
        label={trans.__('Job facts')}
        rows={[
          [
            trans.__('Reference'),
            facts.reference ? (
              <CopyValue
                value={facts.reference}
                label={trans.__('reference')}
                trans={trans}
              />
            ) : (
              ''
            )
          ],
          [trans.__('Also tagged'), facts.tags.join(', ')],
          [
            trans.__('Digest'),
            facts.digest ? (
              <CopyValue
                value={facts.digest}
                label={trans.__('digest')}
                trans={trans}
              />
            ) : (
              ''
            )
          ],
          [
            trans.__('Size'),
            facts.size !== null ? formatBytes(facts.size) : ''
          ],
          [
            job.kind === 'push' || job.kind === 'pack-push'
              ? trans.__('Uploaded')
              : trans.__('Downloaded'),
            facts.transferred !== null ? formatBytes(facts.transferred) : ''
          ],
          [trans.__('Duration'), formatDuration(facts.duration)],
          [trans.__('Started'), when(job.startedAt)],
          [trans.__('Finished'), when(job.finishedAt)],
          [
            trans.__('Folder'),
            'path' in job.params && typeof job.params.path === 'string'
              ? job.params.path || '/'
              : ''
          ]
        ]}
      />
      <div className="jp-kitlab-row">
        {facts.reference && job.state === 'succeeded' && (
          <button
            className="jp-mod-styled jp-kitlab-button"
            onClick={() => props.onShowKit(facts.reference)}
          >
            {trans.__('Show the kit')}
          </button>
        )}
        {notebook && (
          <button
            className="jp-mod-styled jp-kitlab-button"
            onClick={() => props.onOpenNotebook(notebook)}
          >
            {trans.__('Open %1', notebook)}
          </button>
        )}
      </div>
      <section aria-label={trans.__('Warnings')}>
        <h3>
          {trans.__('Warnings')} ({facts.warnings.length})
        </h3>
        {facts.warnings.length === 0 ? (
          <p className="jp-kitlab-muted">{trans.__('No warnings.')}</p>
        ) : (
          <ul className="jp-kitlab-detail-warnings">
            {facts.warnings.map(text => (
              <li key={text} className="jp-kitlab-warning">
                {text}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-label={trans.__('Safety report')}>
        <h3>{trans.__('Pickle safety')}</h3>
        {facts.safety.length === 0 ? (
          <p className="jp-kitlab-muted">
            {job.kind === 'push' || job.kind === 'pull'
              ? trans.__('This kind of job does not scan pickles.')
              : job.state === 'succeeded'
                ? trans.__('No pickle that is not proven safe.')
                : trans.__('No safety report.')}
          </p>
        ) : (
          <table className="jp-kitlab-detail-table jp-kitlab-safety">
            <thead>
              <tr>
                <th>{trans.__('File')}</th>
                <th>{trans.__('Verdict')}</th>
                <th>{trans.__('Imports that decided')}</th>
              </tr>
            </thead>
            <tbody>
              {facts.safety.map(finding => (
                <tr key={finding.path} data-verdict={finding.verdict}>
                  <td>
                    <code>{finding.path}</code>
                  </td>
                  <td className={`jp-kitlab-verdict-${finding.verdict}`}>
                    {finding.verdict}
                  </td>
                  <td>{finding.globals.join(', ') || '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-label={trans.__('Log')}>
        <h3>{trans.__('Log')}</h3>
        {job.log.length === 0 ? (
          <p className="jp-kitlab-muted">{trans.__('Nothing logged.')}</p>
        ) : (
          <pre className="jp-kitlab-log" data-testid="kitlab-job-log">
            {job.log.join('\n')}
          </pre>
        )}
      </section>
    </div>
  );
}

import { TranslationBundle } from '@jupyterlab/translation';
import {
  listIcon,
  stopIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { jobFacts } from '../details';
import { formatBytes, formatDuration, formatRate, percent } from '../format';
import {
  isActive,
  jobNotebook,
  jobSignature,
  jobSubject,
  jobVerb
} from '../jobs';
import { IJob, JobKind, JobState } from '../tokens';
import { Breakable, ProgressBar } from './common';

function stateLabel(state: JobState, trans: TranslationBundle): string {
  switch (state) {
    case 'queued':
      return trans.__('queued');
    case 'running':
      return trans.__('running');
    case 'cancelling':
      return trans.__('cancelling');
    case 'succeeded':
      return trans.__('succeeded');
    case 'failed':
      return trans.__('failed');
    case 'cancelled':
      return trans.__('cancelled');
    case 'interrupted':
      return trans.__('interrupted');
  }
}

/** A job kind as a verb for titles and notifications. */
export function jobKindLabel(kind: JobKind, trans: TranslationBundle): string {
  switch (kind) {
    case 'pack':
      return trans.__('Pack');
    case 'push':
      return trans.__('Push');
    case 'pack-push':
      return trans.__('Pack & push');
    case 'pull':
      return trans.__('Pull');
    case 'unpack':
      return trans.__('Unpack');
  }
}

/**
 * Background jobs, newest first: overall and per-item byte progress, speed, time left, and Cancel
 * while a job is active. Jobs keep running on the server when the page closes.
 */
export function JobsList(props: {
  jobs: readonly IJob[];
  trans: TranslationBundle;
  onCancel: (job: IJob) => void;
  onOpenNotebook: (path: string) => void;
  /** Open the job's detail view (log, warnings, safety report, digest, size, duration). */
  onShowDetails: (job: IJob) => void;
  onClearFinished: () => void;
}): JSX.Element {
  const { jobs, trans } = props;
  if (jobs.length === 0) {
    return <p className="jp-kitlab-muted">{trans.__('No jobs yet.')}</p>;
  }
  return (
    <>
      {jobs.some(job => !isActive(job.state)) && (
        <div className="jp-kitlab-row">
          <button
            className="jp-mod-styled jp-kitlab-button"
            onClick={props.onClearFinished}
          >
            {trans.__('Clear finished jobs')}
          </button>
        </div>
      )}
      <ul className="jp-kitlab-jobs" aria-label={trans.__('Jobs')}>
        {jobs.map(job => (
          <JobRow key={job.id} job={job} {...props} />
        ))}
      </ul>
    </>
  );
}

function JobRow(props: {
  job: IJob;
  trans: TranslationBundle;
  onCancel: (job: IJob) => void;
  onOpenNotebook: (path: string) => void;
  onShowDetails: (job: IJob) => void;
}): JSX.Element {
  const { job, trans } = props;
  const { done, total, bytesPerSecond } = job.progress;
  const active = isActive(job.state);
  const value = job.state === 'succeeded' ? 100 : percent(done, total);
  const notebook = jobNotebook(job);
  const facts = jobFacts(job, 0);
  const warnings = facts.warnings.length;
  const signature = jobSignature(job);
  // Once a job made a kit, its size is the kit's (the sum of its layers), the number the Kits list
  // and the kit's view show; the bytes read or sent on the way are a different count.
  const details = [
    !active && facts.size !== null
      ? trans.__('kit %1', formatBytes(facts.size))
      : total > 0
        ? `${formatBytes(done)} / ${formatBytes(total)}`
        : '',
    active ? formatRate(bytesPerSecond) : '',
    active && job.progress.etaSeconds
      ? trans.__('%1 left', formatDuration(job.progress.etaSeconds))
      : ''
  ].filter(Boolean);
  return (
    <li className="jp-kitlab-job" data-job-id={job.id} data-state={job.state}>
      <div className="jp-kitlab-job-head">
        <span className="jp-kitlab-job-title">
          <strong>{jobKindLabel(jobVerb(job), trans)}</strong>{' '}
          <Breakable text={jobSubject(job)} />
        </span>
        {active && (
          <ToolbarButtonComponent
            icon={stopIcon}
            label={trans.__('Cancel')}
            tooltip={trans.__('Cancel this job')}
            enabled={job.state !== 'cancelling'}
            onClick={() => props.onCancel(job)}
          />
        )}
        <ToolbarButtonComponent
          icon={listIcon}
          label={trans.__('Details')}
          tooltip={trans.__('Log, warnings, safety report, digest and size')}
          onClick={() => props.onShowDetails(job)}
        />
      </div>
      <ProgressBar
        done={job.state === 'succeeded' ? 1 : done}
        total={job.state === 'succeeded' ? 1 : total}
        label={trans.__('%1 progress', jobKindLabel(jobVerb(job), trans))}
        state={job.state}
      />
      <div className="jp-kitlab-job-meta">
        <span className="jp-kitlab-job-state" data-testid="kitlab-job-state">
          {stateLabel(job.state, trans)}
        </span>
        <span data-testid="kitlab-job-percent">{value} %</span>
        {job.stage && active && <span>{job.stage}</span>}
        {details.map(text => (
          <span key={text}>{text}</span>
        ))}
      </div>
      {active && job.items.length > 0 && (
        <ul className="jp-kitlab-job-items">
          {job.items.map(item => (
            <li key={`${item.stage}:${item.item}`}>
              <span className="jp-kitlab-entry-path">
                {item.stage} · {item.item}
              </span>
              <ProgressBar
                done={item.done}
                total={item.total}
                label={item.item}
              />
            </li>
          ))}
        </ul>
      )}
      {warnings > 0 && (
        <button
          className="jp-kitlab-link jp-kitlab-warning-text"
          data-testid="kitlab-job-warnings"
          onClick={() => props.onShowDetails(job)}
        >
          {trans._n('%1 warning', '%1 warnings', warnings)}
        </button>
      )}
      {job.error && (
        <p className="jp-kitlab-error-text" role="alert">
          {job.error.message ?? job.error.code}
        </p>
      )}
      {signature && (
        <p
          className="jp-kitlab-job-signature"
          data-testid="kitlab-job-signature"
        >
          {trans.__(
            'Signature verified: %1 (%2)',
            signature.key,
            signature.fingerprint
          )}
        </p>
      )}
      {notebook && (
        <button
          className="jp-mod-styled jp-kitlab-button jp-kitlab-job-open"
          onClick={() => props.onOpenNotebook(notebook)}
        >
          {trans.__('Open %1', notebook)}
        </button>
      )}
    </li>
  );
}

import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { percent } from '../format';
import type { Loadable } from '../tokens';

/** A byte progress bar; `label` names it for screen readers. */
export function ProgressBar(props: {
  done: number;
  total: number;
  label: string;
  state?: string;
}): JSX.Element {
  const value = percent(props.done, props.total);
  return (
    <div
      className="jp-kitlab-progress"
      role="progressbar"
      aria-label={props.label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value}
      data-state={props.state}
    >
      <div className="jp-kitlab-progress-fill" style={{ width: `${value}%` }} />
    </div>
  );
}

/**
 * A reference or path that may wrap between its parts: a line break is allowed after each `/`, `:`
 * and `@` (a <wbr>, so the text copies unchanged). A browser breaks such a string nowhere by itself,
 * and `overflow-wrap: anywhere` alone split it at the edge, inside a word ("te am"); it now applies
 * only to a part longer than the line, such as a digest.
 */
export function Breakable(props: { text: string }): JSX.Element {
  const parts = props.text.split(/(?<=[/:@])/);
  return (
    <>
      {parts.map((part, index) => (
        <React.Fragment key={index}>
          {index > 0 && <wbr />}
          {part}
        </React.Fragment>
      ))}
    </>
  );
}

/** A server error shown where the data would be, with a retry. */
export function ErrorNote(props: {
  message: string;
  trans: TranslationBundle;
  onRetry?: () => void;
}): JSX.Element {
  return (
    <div className="jp-kitlab-error" role="alert">
      <p>{props.message}</p>
      {props.onRetry && (
        <button
          className="jp-mod-styled jp-kitlab-button"
          onClick={props.onRetry}
        >
          {props.trans.__('Retry')}
        </button>
      )}
    </div>
  );
}

/** Render a Loadable: a waiting line, an error with retry, or the value. */
export function LoadableView<T>(props: {
  value: Loadable<T>;
  trans: TranslationBundle;
  onRetry?: () => void;
  idle?: JSX.Element | null;
  children: (value: T) => JSX.Element;
}): JSX.Element | null {
  const { value, trans } = props;
  switch (value.status) {
    case 'idle':
      return props.idle ?? null;
    case 'loading':
      return <div className="jp-kitlab-muted">{trans.__('Loading…')}</div>;
    case 'error':
      return (
        <ErrorNote
          message={value.message}
          trans={trans}
          onRetry={props.onRetry}
        />
      );
    case 'ready':
      return props.children(value.value);
  }
}

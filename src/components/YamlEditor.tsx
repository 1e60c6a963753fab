import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { describeProblemLocation } from '../problems';
import { IProblem } from '../tokens';

/**
 * The Kitfile as raw YAML. Every change is validated by the server shortly after typing stops;
 * problems are listed with their line and field.
 */
export function YamlEditor(props: {
  text: string;
  problems: readonly IProblem[];
  validating: boolean;
  trans: TranslationBundle;
  onChange: (text: string) => void;
}): JSX.Element {
  const { trans } = props;
  return (
    <div className="jp-kitlab-yaml">
      <ProblemList
        problems={props.problems}
        validating={props.validating}
        trans={trans}
      />
      <textarea
        className="jp-mod-styled jp-kitlab-yaml-text"
        aria-label={trans.__('Kitfile YAML')}
        spellCheck={false}
        value={props.text}
        rows={Math.min(30, Math.max(10, props.text.split('\n').length + 1))}
        onChange={event => props.onChange(event.target.value)}
      />
    </div>
  );
}

/** Problems as a list (the YAML tab, and whole-file problems above the form). */
export function ProblemList(props: {
  problems: readonly IProblem[];
  validating: boolean;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  if (props.problems.length === 0) {
    return (
      <p className="jp-kitlab-muted" aria-live="polite">
        {props.validating
          ? trans.__('Checking…')
          : trans.__('No problems found.')}
      </p>
    );
  }
  return (
    <ul
      className="jp-kitlab-problems"
      aria-live="polite"
      aria-label={trans.__('Problems')}
    >
      {props.problems.map((problem, index) => (
        <li
          key={index}
          className={`jp-kitlab-problem jp-mod-${problem.severity}`}
        >
          <span className="jp-kitlab-problem-where">
            {describeProblemLocation(problem)}
          </span>{' '}
          {problem.message}
        </li>
      ))}
    </ul>
  );
}

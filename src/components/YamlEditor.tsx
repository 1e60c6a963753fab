import { Diagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import { EditorView } from '@codemirror/view';
import { CodeEditor } from '@jupyterlab/codeeditor';
import { CodeMirrorEditor } from '@jupyterlab/codemirror';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { describeProblemLocation, problemSpans } from '../problems';
import { IProblem } from '../tokens';

/**
 * The Kitfile as raw YAML, in JupyterLab's own CodeMirror editor (line numbers, the theme's colours,
 * YAML highlighting). Every change is validated by the server shortly after typing stops; problems
 * are listed above the editor and marked on their lines. Without JupyterLab's editor services (the
 * CodeMirror plugin disabled) it falls back to a plain text area.
 */
export function YamlEditor(props: {
  text: string;
  problems: readonly IProblem[];
  validating: boolean;
  trans: TranslationBundle;
  editorFactory: CodeEditor.Factory | null;
  onChange: (text: string) => void;
}): JSX.Element {
  const { trans, editorFactory } = props;
  const label = trans.__('Kitfile YAML');
  return (
    <div className="jp-kitlab-yaml">
      <ProblemList
        problems={props.problems}
        validating={props.validating}
        trans={trans}
      />
      {editorFactory ? (
        <CodeMirrorYaml
          factory={editorFactory}
          text={props.text}
          problems={props.problems}
          label={label}
          onChange={props.onChange}
        />
      ) : (
        <textarea
          className="jp-mod-styled jp-kitlab-yaml-text"
          aria-label={label}
          spellCheck={false}
          value={props.text}
          rows={Math.min(30, Math.max(10, props.text.split('\n').length + 1))}
          onChange={event => props.onChange(event.target.value)}
        />
      )}
    </div>
  );
}

/**
 * A CodeMirror editor bound to `text`: the user's edits go out through `onChange`; a new `text` from
 * outside (a switch from the form, a save) replaces the editor's content without counting as an
 * edit. Problems become CodeMirror lint diagnostics: a marker in the gutter and the span underlined,
 * with the message on hover.
 */
function CodeMirrorYaml(props: {
  factory: CodeEditor.Factory;
  text: string;
  problems: readonly IProblem[];
  label: string;
  onChange: (text: string) => void;
}): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const editor = React.useRef<CodeEditor.IEditor | null>(null);
  const onChange = React.useRef(props.onChange);
  onChange.current = props.onChange;
  /** Set while `text` is written into the editor, so that write is not reported as an edit. */
  const applying = React.useRef(false);
  const initialText = React.useRef(props.text);

  React.useEffect(() => {
    if (host.current === null) {
      return;
    }
    const model = new CodeEditor.Model({ mimeType: 'text/x-yaml' });
    model.sharedModel.setSource(initialText.current);
    const created = props.factory({
      host: host.current,
      model,
      config: { lineNumbers: true },
      extensions: [
        lintGutter(),
        EditorView.contentAttributes.of({ 'aria-label': props.label })
      ]
    });
    const changed = (): void => {
      if (!applying.current) {
        onChange.current(model.sharedModel.getSource());
      }
    };
    model.sharedModel.changed.connect(changed);
    editor.current = created;
    return () => {
      editor.current = null;
      model.sharedModel.changed.disconnect(changed);
      created.dispose();
      model.dispose();
    };
  }, [props.factory, props.label]);

  React.useEffect(() => {
    const current = editor.current;
    if (
      current !== null &&
      current.model.sharedModel.getSource() !== props.text
    ) {
      applying.current = true;
      try {
        current.model.sharedModel.setSource(props.text);
      } finally {
        applying.current = false;
      }
    }
  }, [props.text]);

  React.useEffect(() => {
    const current = editor.current;
    if (!(current instanceof CodeMirrorEditor)) {
      return;
    }
    const view = current.editor;
    const diagnostics: Diagnostic[] = problemSpans(
      props.problems,
      view.state.doc.toString()
    ).map(span => ({
      from: span.from,
      to: span.to,
      severity: span.severity,
      message: span.message
    }));
    view.dispatch(setDiagnostics(view.state, diagnostics));
    // Only on new problems: between validations CodeMirror moves the markers with the user's edits.
  }, [props.problems]);

  return (
    <div
      ref={host}
      className="jp-kitlab-yaml-editor"
      data-testid="kitlab-yaml-editor"
    />
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

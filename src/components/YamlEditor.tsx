import { Diagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import { EditorView } from '@codemirror/view';
import { CodeEditor } from '@jupyterlab/codeeditor';
import { CodeMirrorEditor } from '@jupyterlab/codemirror';

import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { describeProblemLocation, problemSpans } from '../problems';
import { IProblem } from '../tokens';

/** The document's shared text, as JupyterLab's editors hold it. */
type ISharedText = CodeEditor.IModel['sharedModel'];

/**
 * The Kitfile as raw YAML, in JupyterLab's own CodeMirror editor (line numbers, the theme's colours,
 * YAML highlighting), bound to the document's shared text: typing here edits the document itself
 * (undo, other editors of the same file, JupyterLab's save). The server validates the text shortly
 * after typing stops; problems are listed above the editor and marked on their lines. Without
 * JupyterLab's editor services (the CodeMirror plugin disabled) it falls back to a plain text area.
 */
export function YamlEditor(props: {
  sharedModel: ISharedText;
  problems: readonly IProblem[];
  validating: boolean;
  trans: TranslationBundle;
  editorFactory: CodeEditor.Factory | null;
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
          sharedModel={props.sharedModel}
          problems={props.problems}
          label={label}
        />
      ) : (
        <PlainYaml sharedModel={props.sharedModel} label={label} />
      )}
    </div>
  );
}

/** A text area on the shared text, for when JupyterLab's editor services are missing. */
function PlainYaml(props: {
  sharedModel: ISharedText;
  label: string;
}): JSX.Element {
  const { sharedModel } = props;
  const [text, setText] = React.useState(() => sharedModel.getSource());
  React.useEffect(() => {
    const changed = (): void => setText(sharedModel.getSource());
    sharedModel.changed.connect(changed);
    return () => {
      sharedModel.changed.disconnect(changed);
    };
  }, [sharedModel]);
  return (
    <textarea
      className="jp-mod-styled jp-kitlab-yaml-text"
      aria-label={props.label}
      spellCheck={false}
      value={text}
      rows={Math.min(30, Math.max(10, text.split('\n').length + 1))}
      onChange={event => sharedModel.setSource(event.target.value)}
    />
  );
}

/**
 * A CodeMirror editor on the document's shared text. Problems become CodeMirror lint diagnostics: a
 * marker in the gutter and the span underlined, with the message on hover.
 */
function CodeMirrorYaml(props: {
  factory: CodeEditor.Factory;
  sharedModel: ISharedText;
  problems: readonly IProblem[];
  label: string;
}): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const editor = React.useRef<CodeEditor.IEditor | null>(null);

  React.useEffect(() => {
    if (host.current === null) {
      return;
    }
    // The model borrows the document's shared text; disposing the model leaves that text alone.
    const model = new CodeEditor.Model({
      mimeType: 'text/x-yaml',
      sharedModel: props.sharedModel
    });
    const created = props.factory({
      host: host.current,
      model,
      config: { lineNumbers: true },
      extensions: [
        lintGutter(),
        EditorView.contentAttributes.of({ 'aria-label': props.label })
      ]
    });
    editor.current = created;
    return () => {
      editor.current = null;
      created.dispose();
      model.dispose();
    };
  }, [props.factory, props.sharedModel, props.label]);

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
  /** Show nothing (rather than "No problems found.") when there are none. */
  quiet?: boolean;
}): JSX.Element | null {
  const { trans } = props;
  if (props.problems.length === 0) {
    if (props.quiet) {
      return null;
    }
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
      tabIndex={-1}
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

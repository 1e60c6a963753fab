/**
 * The main-area Kitfile editor's layout: the scan with its reasons on one side, the Kitfile (form or
 * YAML) on the other, the layers below, and Save / Pack / Pack & push on top. Pack buttons that
 * cannot pack yet say why and, when pressed, take the user to the first problem.
 */
import type { CodeEditor } from '@jupyterlab/codeeditor';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { LoadableView } from '../components/common';
import { IFormContext } from '../components/FormWidgets';
import { KitfileForm } from '../components/KitfileForm';
import { PlanView } from '../components/PlanView';
import { ScanReport } from '../components/ScanReport';
import { ProblemList, YamlEditor } from '../components/YamlEditor';
import { hasErrors, splitProblemPath } from '../problems';
import { IKitfile, IKitfileSchema } from '../tokens';
import { KitfileSession } from './session';

/** What the editor's buttons do beyond the session (dialogs live in the actions). */
export interface IKitfileEditorCommands {
  save(): void;
  pack(push: boolean): void;
  replaceWithScanDraft(): void;
  /** What would change if the folder were packed now, against a kit (the last one by default). */
  compareWithKit(): void;
  browse: IFormContext['browse'];
}

export function KitfileEditorView(props: {
  session: KitfileSession;
  trans: TranslationBundle;
  editorFactory: CodeEditor.Factory | null;
  commands: IKitfileEditorCommands;
}): JSX.Element {
  const { session, trans, commands } = props;
  const root = React.useRef<HTMLDivElement>(null);
  const [moreOpen, setMoreOpen] = React.useState(false);
  const draft = session.draft;
  const mode = session.mode;
  const errors = hasErrors(session.problems);
  const blocked = draft === null || errors;

  /** Scroll to and focus the first problem: its form field, else its line in the problem list. */
  const showFirstProblem = (): void => {
    const node = root.current;
    if (node === null) {
      return;
    }
    const first = session.problems.find(p => p.severity === 'error');
    if (draft !== null && first && first.path && session.mode === 'form') {
      const id = ['root', ...splitProblemPath(first.path)].join('_');
      const field = node.querySelector<HTMLElement>(`[id="${id}"]`);
      if (field === null && !moreOpen) {
        // The field may be one of the rarely used ones: open "More fields" and look again.
        setMoreOpen(true);
        requestAnimationFrame(showFirstProblem);
        return;
      }
      if (field !== null) {
        field.scrollIntoView({ block: 'center' });
        field.focus();
        return;
      }
    }
    if (draft === null) {
      session.setMode('yaml');
    }
    requestAnimationFrame(() => {
      const list = node.querySelector<HTMLElement>('.jp-kitlab-problems');
      list?.scrollIntoView({ block: 'center' });
      list?.focus();
    });
  };

  const pack = async (push: boolean): Promise<void> => {
    await session.flush();
    if (session.packable) {
      commands.pack(push);
    } else {
      showFirstProblem();
    }
  };

  /** Both parts of the form edit the same Kitfile, with the same problems and Browse… buttons. */
  const formProps = (schema: IKitfileSchema, kitfile: IKitfile) => ({
    schema,
    kitfile,
    problems: session.problems,
    trans,
    browse: commands.browse,
    onChange: (edited: IKitfile) => session.setDraft(edited)
  });

  /** A button that works from the saved Kitfile, so waits for unsaved edits to be saved. */
  const savedKitfileButton = (
    label: string,
    hint: string,
    onClick: () => void
  ): JSX.Element => (
    <button
      className="jp-mod-styled jp-kitlab-button"
      disabled={session.dirty}
      title={session.dirty ? trans.__('Save the Kitfile first') : hint}
      onClick={onClick}
    >
      {label}
    </button>
  );

  const blockedReason =
    draft === null
      ? trans.__('The Kitfile does not parse: fix it in the YAML tab.')
      : errors
        ? trans.__('Fix the Kitfile problems to pack.')
        : '';

  return (
    <div className="jp-kitlab-editor" ref={root}>
      <div className="jp-kitlab-editor-bar">
        <h2 className="jp-kitlab-editor-path" title={session.context.path}>
          {session.context.path}
        </h2>
        <span
          className="jp-kitlab-muted jp-kitlab-grow"
          data-testid="kitlab-kitfile-status"
        >
          {session.validating
            ? trans.__('Checking…')
            : session.dirty
              ? trans.__('Unsaved changes')
              : trans.__('Saved')}
        </span>
        <div className="jp-kitlab-editor-actions">
          <button
            className="jp-mod-styled jp-kitlab-button"
            disabled={!session.dirty}
            onClick={() => commands.save()}
          >
            {trans.__('Save Kitfile')}
          </button>
          <button
            className="jp-mod-styled jp-kitlab-button jp-kitlab-primary"
            aria-disabled={blocked}
            title={blockedReason}
            onClick={() => void pack(false)}
          >
            {trans.__('Pack…')}
          </button>
          <button
            className="jp-mod-styled jp-kitlab-button"
            aria-disabled={blocked}
            title={blockedReason}
            onClick={() => void pack(true)}
          >
            {trans.__('Pack & push…')}
          </button>
        </div>
      </div>
      {blockedReason && (
        <p className="jp-kitlab-note" data-testid="kitlab-pack-blocked">
          {blockedReason}
        </p>
      )}
      {session.diskChanged && (
        <div className="jp-kitlab-note" role="alert">
          {trans.__(
            'The Kitfile changed on disk since it was opened. Saving asks before overwriting it.'
          )}{' '}
          <button
            className="jp-mod-styled jp-kitlab-link"
            onClick={() => void session.revert()}
          >
            {trans.__('Reload from disk (drops your unsaved edits)')}
          </button>
        </div>
      )}
      <div className="jp-kitlab-editor-columns">
        <EditorSection
          name="scan"
          className="jp-kitlab-editor-column"
          title={trans.__('What was found')}
          actions={
            <button
              className="jp-mod-styled jp-kitlab-button"
              onClick={() => void session.scanFolder()}
            >
              {session.scan.status === 'idle'
                ? trans.__('Scan %1', session.folder || '/')
                : trans.__('Scan again')}
            </button>
          }
        >
          <LoadableView
            value={session.scan}
            trans={trans}
            onRetry={() => void session.scanFolder()}
          >
            {report => (
              <>
                <button
                  className="jp-mod-styled jp-kitlab-link"
                  onClick={() => commands.replaceWithScanDraft()}
                >
                  {trans.__("Replace the Kitfile with the scan's draft…")}
                </button>
                {draft === null ? (
                  <p className="jp-kitlab-muted">
                    {trans.__(
                      'Fix the YAML to see which layer each file found goes into, and to move files between layers from here.'
                    )}
                  </p>
                ) : (
                  <ScanReport
                    report={report}
                    draft={draft}
                    trans={trans}
                    onMove={(entry, kind) => session.moveEntry(entry, kind)}
                    onDrop={entry => session.dropEntry(entry)}
                  />
                )}
              </>
            )}
          </LoadableView>
        </EditorSection>
        <EditorSection
          name="kitfile"
          className="jp-kitlab-editor-column"
          title={trans.__('Kitfile')}
          actions={
            <div
              className="jp-kitlab-segmented"
              role="group"
              aria-label={trans.__('Editor')}
            >
              {(
                [
                  ['form', trans.__('Form')],
                  ['yaml', trans.__('YAML')]
                ] as const
              ).map(([value, label]) => (
                <button
                  key={value}
                  className="jp-kitlab-tab"
                  aria-pressed={mode === value}
                  onClick={() => {
                    void session.flush().then(() => session.setMode(value));
                  }}
                >
                  {label}
                </button>
              ))}
            </div>
          }
        >
          {!session.checked ? (
            <div className="jp-kitlab-muted">{trans.__('Loading…')}</div>
          ) : mode === 'yaml' ? (
            <YamlEditor
              sharedModel={session.context.model.sharedModel}
              problems={session.problems}
              validating={session.validating}
              trans={trans}
              editorFactory={props.editorFactory}
            />
          ) : draft === null ? (
            <>
              <ProblemList
                problems={session.problems}
                validating={session.validating}
                trans={trans}
              />
              <p className="jp-kitlab-muted">
                {trans.__(
                  'The form shows the Kitfile once its YAML parses; fix it in the YAML tab.'
                )}
              </p>
            </>
          ) : (
            <LoadableView value={session.schema} trans={trans}>
              {schema => (
                <>
                  <ProblemList
                    problems={session.problems.filter(p => p.path === '')}
                    validating={false}
                    quiet
                    trans={trans}
                  />
                  <KitfileForm part="main" {...formProps(schema, draft)} />
                  <details
                    className="jp-kitlab-more"
                    open={moreOpen}
                    onToggle={event =>
                      setMoreOpen((event.target as HTMLDetailsElement).open)
                    }
                  >
                    <summary>
                      {trans.__(
                        'More fields (prompts, MCP servers, remote paths and hashes, parameters)'
                      )}
                    </summary>
                    {moreOpen && (
                      <KitfileForm part="more" {...formProps(schema, draft)} />
                    )}
                  </details>
                </>
              )}
            </LoadableView>
          )}
        </EditorSection>
      </div>
      <EditorSection
        name="plan"
        title={trans.__('Layers')}
        actions={
          <>
            {savedKitfileButton(
              trans.__('Show what will be packed'),
              '',
              () => void session.loadPlan()
            )}
            {savedKitfileButton(
              trans.__('Compare with a kit…'),
              trans.__(
                'What would change if this folder were packed now, against a kit'
              ),
              () => commands.compareWithKit()
            )}
          </>
        }
      >
        {session.dirty && (
          <p className="jp-kitlab-muted">
            {trans.__('The layers are planned from the saved Kitfile.')}
          </p>
        )}
        <LoadableView
          value={session.plan}
          trans={trans}
          onRetry={() => void session.loadPlan()}
        >
          {plan => <PlanView plan={plan} trans={trans} />}
        </LoadableView>
      </EditorSection>
    </div>
  );
}

/** A titled part of the editor: its heading with the buttons beside it, then its content. */
function EditorSection(props: {
  /** Names the section's class (`jp-kitlab-editor-<name>`) and its heading's id. */
  name: string;
  /** One of the two columns side by side (the layers span both, below them). */
  className?: string;
  title: string;
  actions: React.ReactNode;
  children: React.ReactNode;
}): JSX.Element {
  const titleId = `kitlab-editor-${props.name}-title`;
  return (
    <section
      className={[props.className, `jp-kitlab-editor-${props.name}`]
        .filter(Boolean)
        .join(' ')}
      aria-labelledby={titleId}
    >
      <div className="jp-kitlab-row">
        <h3 id={titleId} className="jp-kitlab-grow">
          {props.title}
        </h3>
        {props.actions}
      </div>
      {props.children}
    </section>
  );
}

import { ReactWidget, UseSignal } from '@jupyterlab/apputils';
import type { CodeEditor } from '@jupyterlab/codeeditor';
import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { KitlabActions, PanelTab } from '../actions';
import { LoadableView } from '../components/common';
import { ConnectionStatus } from '../components/ConnectionStatus';
import { TextField } from '../components/DialogFields';
import { JobsList } from '../components/JobsList';
import { KitfileForm } from '../components/KitfileForm';
import { KitsList, RemoteBrowser } from '../components/KitsList';
import { PlanView } from '../components/PlanView';
import { RegistriesView } from '../components/RegistriesView';
import { ScanReport } from '../components/ScanReport';
import { ProblemList, YamlEditor } from '../components/YamlEditor';
import { modelKitIcon } from '../icons';
import { isActive } from '../jobs';
import { hasErrors } from '../problems';
import { IKitlabModel } from '../tokens';

export const PANEL_ID = 'kitlab-panel';

const TABS: PanelTab[] = ['package', 'jobs', 'kits', 'registries'];

/**
 * The left-sidebar ModelKit panel: Package (scan → Kitfile → plan → pack), Jobs, Kits and
 * Registries, as tabs. All state is in the model; this only renders it and forwards clicks. Each
 * tab listens to its own model signal, so a job's progress redraws the Jobs list, not the form.
 */
export class ModelKitPanel extends ReactWidget {
  private _tab: PanelTab = 'package';
  private _tabChanged = new Signal<this, PanelTab>(this);

  constructor(
    private readonly _model: IKitlabModel,
    private readonly _trans: TranslationBundle,
    private readonly _cwd: () => string,
    /** JupyterLab's editor factory, for the YAML tab (a plain text area without it). */
    private readonly _editorFactory: CodeEditor.Factory | null = null
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-kitlab-panel');
    this.title.icon = modelKitIcon;
    this.title.caption = _trans.__('ModelKit');
  }

  /** Set once the actions exist (they need the panel to switch tabs). */
  actions: KitlabActions | null = null;

  get tab(): PanelTab {
    return this._tab;
  }

  setTab(tab: PanelTab): void {
    this._tab = tab;
    this._tabChanged.emit(tab);
    if (tab === 'kits') {
      void this._model.refreshKits();
    } else if (tab === 'registries') {
      void this._model.refreshRegistries();
    } else if (tab === 'jobs') {
      void this._model.refreshJobs();
    }
  }

  render(): JSX.Element {
    return (
      <div className="jp-kitlab-body">
        <header className="jp-kitlab-header">
          <h2>{this._trans.__('ModelKit')}</h2>
        </header>
        <UseSignal signal={this._model.connectionChanged}>
          {() => (
            <ConnectionStatus
              state={this._model.connection}
              trans={this._trans}
              onRetry={() => void this._model.connect()}
            />
          )}
        </UseSignal>
        <UseSignal signal={this._tabChanged} initialArgs={this._tab}>
          {() => this._renderTabs()}
        </UseSignal>
      </div>
    );
  }

  private _tabLabel(tab: PanelTab): string {
    const trans = this._trans;
    switch (tab) {
      case 'package':
        return trans.__('Package');
      case 'jobs':
        return trans.__('Jobs');
      case 'kits':
        return trans.__('Kits');
      case 'registries':
        return trans.__('Registries');
    }
  }

  private _renderTabs(): JSX.Element {
    const onKeyDown = (event: React.KeyboardEvent): void => {
      const step =
        event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
      if (step !== 0) {
        const next =
          TABS[(TABS.indexOf(this._tab) + step + TABS.length) % TABS.length];
        this.setTab(next);
        const button = this.node.querySelector<HTMLElement>(
          `#kitlab-tab-${next}`
        );
        button?.focus();
      }
    };
    return (
      <>
        <div className="jp-kitlab-tabs" role="tablist" onKeyDown={onKeyDown}>
          {TABS.map(tab => (
            <button
              key={tab}
              id={`kitlab-tab-${tab}`}
              role="tab"
              className="jp-kitlab-tab"
              aria-selected={this._tab === tab}
              aria-controls={`kitlab-tabpanel-${tab}`}
              tabIndex={this._tab === tab ? 0 : -1}
              onClick={() => this.setTab(tab)}
            >
              {this._tabLabel(tab)}
              {tab === 'jobs' && (
                <UseSignal signal={this._model.jobsChanged}>
                  {() => {
                    const running = this._model.jobs.filter(job =>
                      isActive(job.state)
                    ).length;
                    return running > 0 ? (
                      <span className="jp-kitlab-badge">{running}</span>
                    ) : null;
                  }}
                </UseSignal>
              )}
            </button>
          ))}
        </div>
        <div
          className="jp-kitlab-tabpanel"
          role="tabpanel"
          id={`kitlab-tabpanel-${this._tab}`}
          aria-labelledby={`kitlab-tab-${this._tab}`}
        >
          {this._renderTab()}
        </div>
      </>
    );
  }

  private _renderTab(): JSX.Element | null {
    const actions = this.actions;
    if (actions === null) {
      return null;
    }
    const model = this._model;
    /**
     * Re-render `view` when `signal` fires (only that tab's state). Keyed by tab: a UseSignal
     * connects once, when mounted, so each tab needs its own.
     */
    const on = (
      signal: ISignal<IKitlabModel, unknown>,
      view: () => JSX.Element
    ): JSX.Element => (
      <UseSignal key={this._tab} signal={signal}>
        {view}
      </UseSignal>
    );
    switch (this._tab) {
      case 'package':
        return on(model.packageChanged, () => (
          <PackageView
            model={model}
            actions={actions}
            trans={this._trans}
            cwd={this._cwd}
            editorFactory={this._editorFactory}
          />
        ));
      case 'jobs':
        return on(model.jobsChanged, () => (
          <JobsList
            jobs={this._model.jobs}
            trans={this._trans}
            onCancel={job => void actions.cancel(job)}
            onOpenNotebook={path => void actions.openNotebook(path)}
          />
        ));
      case 'kits':
        return on(model.kitsChanged, () => (
          <div className="jp-kitlab-section">
            <div className="jp-kitlab-row">
              <button
                className="jp-mod-styled jp-kitlab-button jp-kitlab-primary"
                onClick={() => void actions.pull()}
              >
                {this._trans.__('Pull ModelKit…')}
              </button>
              <ToolbarButtonComponent
                icon={refreshIcon}
                tooltip={this._trans.__('Refresh the list')}
                onClick={() => void this._model.refreshKits()}
              />
            </div>
            <LoadableView
              value={this._model.kits}
              trans={this._trans}
              onRetry={() => void this._model.refreshKits()}
            >
              {kits => (
                <KitsList kits={kits} actions={actions} trans={this._trans} />
              )}
            </LoadableView>
            <RemoteBrowser actions={actions} trans={this._trans} />
          </div>
        ));
      case 'registries':
        return on(model.registriesChanged, () => (
          <LoadableView
            value={this._model.registries}
            trans={this._trans}
            onRetry={() => void this._model.refreshRegistries()}
          >
            {registries => (
              <RegistriesView
                registries={registries}
                actions={actions}
                trans={this._trans}
              />
            )}
          </LoadableView>
        ));
    }
  }
}

/** The Package tab: choose a folder, then scan → edit the Kitfile → look at the plan → pack. */
function PackageView(props: {
  model: IKitlabModel;
  actions: KitlabActions;
  trans: TranslationBundle;
  cwd: () => string;
  editorFactory: CodeEditor.Factory | null;
}): JSX.Element {
  const { model, actions, trans } = props;
  const [folderInput, setFolderInput] = React.useState(
    model.folder ?? props.cwd()
  );
  React.useEffect(() => {
    if (model.folder !== null) {
      setFolderInput(model.folder);
    }
  }, [model.folder]);
  const folder = model.folder;
  const document = model.document;
  const draft = model.draft;
  const canPack =
    folder !== null && draft !== null && !hasErrors(model.problems);
  return (
    <div className="jp-kitlab-package">
      <form
        className="jp-kitlab-row"
        onSubmit={event => {
          event.preventDefault();
          void actions.packageFolder(folderInput.trim());
        }}
      >
        <TextField
          name="folder"
          className="jp-kitlab-grow"
          label={trans.__('Folder to package')}
          value={folderInput}
          placeholder={trans.__('(server root)')}
          onChange={setFolderInput}
        />
        <button
          type="submit"
          className="jp-mod-styled jp-kitlab-button jp-kitlab-primary"
        >
          {trans.__('Scan')}
        </button>
      </form>
      {folder === null ? (
        <p className="jp-kitlab-muted">
          {trans.__(
            'Choose a folder and scan it, or use "Package as ModelKit" in a notebook toolbar or on a folder in the file browser.'
          )}
        </p>
      ) : (
        <>
          <Step id="scan" title={trans.__('1. What was found')}>
            <LoadableView
              value={model.scan}
              trans={trans}
              onRetry={() => void model.scanFolder()}
              idle={
                <button
                  className="jp-mod-styled jp-kitlab-button"
                  onClick={() => void model.scanFolder()}
                >
                  {trans.__('Scan %1', folder || '/')}
                </button>
              }
            >
              {report =>
                draft ? (
                  <ScanReport
                    report={report}
                    draft={draft}
                    trans={trans}
                    onMove={(entry, kind) => model.moveEntry(entry, kind)}
                    onDrop={entry => model.dropEntry(entry)}
                  />
                ) : (
                  <div className="jp-kitlab-muted">{trans.__('Loading…')}</div>
                )
              }
            </LoadableView>
          </Step>
          <Step id="kitfile" title={trans.__('2. Kitfile')}>
            <KitfileStep
              model={model}
              actions={actions}
              trans={trans}
              editorFactory={props.editorFactory}
            />
          </Step>
          {document.status === 'ready' && (
            <>
              <Step id="plan" title={trans.__('3. Layers')}>
                <LoadableView
                  value={model.plan}
                  trans={trans}
                  onRetry={() => void model.loadPlan()}
                  idle={
                    <button
                      className="jp-mod-styled jp-kitlab-button"
                      disabled={model.dirty || !document.value.exists}
                      title={
                        model.dirty ? trans.__('Save the Kitfile first') : ''
                      }
                      onClick={() => void model.loadPlan()}
                    >
                      {trans.__('Show what will be packed')}
                    </button>
                  }
                >
                  {plan => <PlanView plan={plan} trans={trans} />}
                </LoadableView>
              </Step>
              <Step id="pack" title={trans.__('4. Pack')}>
                <div className="jp-kitlab-row">
                  <button
                    className="jp-mod-styled jp-kitlab-button jp-kitlab-primary"
                    disabled={!canPack}
                    onClick={() => void actions.pack(false)}
                  >
                    {trans.__('Pack…')}
                  </button>
                  <button
                    className="jp-mod-styled jp-kitlab-button"
                    disabled={!canPack}
                    onClick={() => void actions.pack(true)}
                  >
                    {trans.__('Pack & push…')}
                  </button>
                </div>
                {!canPack && hasErrors(model.problems) && (
                  <p className="jp-kitlab-muted">
                    {trans.__('Fix the Kitfile problems to pack.')}
                  </p>
                )}
              </Step>
            </>
          )}
        </>
      )}
    </div>
  );
}

/** One numbered step of the Package tab, labelled by its heading. */
function Step(props: {
  id: string;
  title: string;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <section
      className="jp-kitlab-step"
      aria-labelledby={`kitlab-step-${props.id}`}
    >
      <h3 id={`kitlab-step-${props.id}`}>{props.title}</h3>
      {props.children}
    </section>
  );
}

function KitfileStep(props: {
  model: IKitlabModel;
  actions: KitlabActions;
  trans: TranslationBundle;
  editorFactory: CodeEditor.Factory | null;
}): JSX.Element | null {
  const { model, actions, trans } = props;
  // Stable across renders, so the form's context (and its fields) do not change on every keystroke.
  const browse = React.useCallback(
    (current: string) => actions.browsePath(current),
    [actions]
  );
  const draft = model.draft;
  const document = model.document;
  if (draft === null) {
    if (document.status === 'error') {
      return (
        <LoadableView value={document} trans={trans}>
          {() => <></>}
        </LoadableView>
      );
    }
    if (document.status === 'ready' && model.scan.status === 'idle') {
      return (
        <p className="jp-kitlab-muted">
          {trans.__('This folder has no Kitfile yet: scan it to draft one.')}
        </p>
      );
    }
    return <div className="jp-kitlab-muted">{trans.__('Loading…')}</div>;
  }
  const exists = document.status === 'ready' && document.value.exists;
  const rootProblems = model.problems.filter(problem => problem.path === '');
  const mode = model.editorMode;
  return (
    <div className="jp-kitlab-kitfile">
      <div className="jp-kitlab-row">
        <div
          className="jp-kitlab-segmented"
          role="group"
          aria-label={trans.__('Editor')}
        >
          <button
            className="jp-kitlab-tab"
            aria-pressed={mode === 'form'}
            onClick={() => void model.setEditorMode('form')}
          >
            {trans.__('Form')}
          </button>
          <button
            className="jp-kitlab-tab"
            aria-pressed={mode === 'yaml'}
            onClick={() => void model.setEditorMode('yaml')}
          >
            {trans.__('YAML')}
          </button>
        </div>
        <span
          className="jp-kitlab-muted jp-kitlab-grow"
          data-testid="kitlab-kitfile-status"
        >
          {model.validating
            ? trans.__('Checking…')
            : model.dirty
              ? exists
                ? trans.__('Unsaved changes')
                : trans.__('Not saved yet (no Kitfile in this folder)')
              : trans.__('Saved')}
        </span>
        <button
          className="jp-mod-styled jp-kitlab-button jp-kitlab-primary"
          disabled={!model.dirty}
          onClick={() => void actions.save()}
        >
          {trans.__('Save Kitfile')}
        </button>
      </div>
      {exists && model.scan.status === 'ready' && (
        <button
          className="jp-mod-styled jp-kitlab-link"
          onClick={() => void actions.useScanDraft()}
        >
          {trans.__("Replace with the scan's draft")}
        </button>
      )}
      {mode === 'yaml' ? (
        <YamlEditor
          text={model.yamlText}
          problems={model.problems}
          validating={model.validating}
          trans={trans}
          editorFactory={props.editorFactory}
          onChange={text => model.setYamlText(text)}
        />
      ) : (
        <>
          {rootProblems.length > 0 && (
            <ProblemList
              problems={rootProblems}
              validating={false}
              trans={trans}
            />
          )}
          <LoadableView
            value={model.schema}
            trans={trans}
            onRetry={() => void model.loadSchema()}
          >
            {schema => (
              <KitfileForm
                schema={schema}
                kitfile={draft}
                problems={model.problems}
                trans={trans}
                browse={browse}
                onChange={kitfile => model.setDraft(kitfile)}
              />
            )}
          </LoadableView>
        </>
      )}
    </div>
  );
}

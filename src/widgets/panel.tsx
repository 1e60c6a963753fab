import { ReactWidget, UseSignal } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { KitlabActions, PanelTab } from '../actions';
import { LoadableView } from '../components/common';
import { ConnectionStatus } from '../components/ConnectionStatus';
import { TextField } from '../components/DialogFields';
import { JobsList } from '../components/JobsList';
import { KitsList, RemoteBrowser } from '../components/KitsList';
import { RegistriesView } from '../components/RegistriesView';
import { modelKitIcon } from '../icons';
import { isActive } from '../jobs';
import { IKitlabModel } from '../tokens';

export const PANEL_ID = 'kitlab-panel';

const TABS: PanelTab[] = ['package', 'jobs', 'kits', 'registries'];

/**
 * The left-sidebar ModelKit panel, for what is glanceable: the folder to package (the Kitfile itself
 * is edited in the main area, src/editor), Jobs, Kits and Registries, as tabs. All state is in the model; this only renders it and forwards clicks. Each
 * tab listens to its own model signal, so a job's progress redraws the Jobs list, not the form.
 */
export class ModelKitPanel extends ReactWidget {
  private _tab: PanelTab = 'package';
  private _tabChanged = new Signal<this, PanelTab>(this);

  constructor(
    private readonly _model: IKitlabModel,
    private readonly _trans: TranslationBundle,
    private readonly _cwd: () => string,
    /** Fires when the file browser moves to another folder (the Package tab follows it). */
    private readonly _cwdChanged: ISignal<unknown, unknown> | null = null
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

  /** The user moved to another tab (remembered, so the panel comes back on it). */
  get tabChanged(): ISignal<this, PanelTab> {
    return this._tabChanged;
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
        return this._cwdChanged ? (
          <UseSignal key={this._tab} signal={this._cwdChanged}>
            {() => (
              <FolderView
                folder={this._cwd()}
                actions={actions}
                trans={this._trans}
              />
            )}
          </UseSignal>
        ) : (
          <FolderView
            folder={this._cwd()}
            actions={actions}
            trans={this._trans}
          />
        );
      case 'jobs':
        return on(model.jobsChanged, () => (
          <JobsList
            jobs={this._model.jobs}
            trans={this._trans}
            onCancel={job => void actions.cancel(job)}
            onOpenNotebook={path => void actions.openNotebook(path)}
            onShowDetails={job => void actions.showJob(job.id)}
            onClearFinished={() => void actions.clearFinishedJobs()}
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

/**
 * The Package tab: the folder the file browser shows (it follows the browser), and the way into the
 * main-area Kitfile editor for it. Typing another folder packages that one instead.
 */
function FolderView(props: {
  folder: string;
  actions: KitlabActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { actions, trans } = props;
  const [folderInput, setFolderInput] = React.useState(props.folder);
  React.useEffect(() => setFolderInput(props.folder), [props.folder]);
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
          {trans.__('Open Kitfile editor')}
        </button>
      </form>
      <p className="jp-kitlab-muted">
        {trans.__(
          "The editor opens in the main area with the folder's Kitfile (drafted from a scan when it has none), what the scan found, and the layers to pack. Double-clicking a Kitfile in the file browser opens it too."
        )}
      </p>
    </div>
  );
}

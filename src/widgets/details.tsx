/**
 * The detail views in the main area (a job, a kit, a registry) and what shows running jobs and a
 * notebook's kits outside the ModelKit panel: a status-bar item, a badge on the sidebar tab, a
 * Launcher card and a notebook toolbar item naming the kits the notebook went into.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { MainAreaWidget, ReactWidget, UseSignal } from '@jupyterlab/apputils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { ILauncher } from '@jupyterlab/launcher';
import type { INotebookModel, NotebookPanel } from '@jupyterlab/notebook';
import { IStatusBar } from '@jupyterlab/statusbar';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { LabIcon, listIcon } from '@jupyterlab/ui-components';
import { find } from '@lumino/algorithm';
import { Signal } from '@lumino/signaling';
import * as React from 'react';

import type { KitlabActions } from '../actions';
import * as api from '../api';
import { JobDetail } from '../components/JobDetail';
import { jobKindLabel } from '../components/JobsList';
import { TrustBadge } from '../components/TrustView';
import { KitDetail, IKitDetailHandlers } from '../components/KitDetail';
import {
  IRegistryBrowserHandlers,
  RegistryBrowser
} from '../components/RegistryBrowser';
import {
  ILineageEntry,
  kitSize,
  notebookLineage,
  repositoryOf,
  runningSummary
} from '../details';
import { formatBytes, percent } from '../format';
import { jobNotebook, jobSubject, jobVerb } from '../jobs';
import { registryHost } from '../reference';
import { modelKitIcon } from '../icons';
import { CommandIds, IJob, IKitlabModel } from '../tokens';
import { PANEL_ID } from './panel';

/** A React view in the main area, re-rendered when `signal` fires. */
class DetailView extends ReactWidget {
  constructor(
    private readonly _render: () => JSX.Element,
    private readonly _model: IKitlabModel
  ) {
    super();
    this.addClass('jp-kitlab-detail-view');
  }

  render(): JSX.Element {
    return (
      <UseSignal signal={this._model.jobsChanged}>
        {() => this._render()}
      </UseSignal>
    );
  }
}

/** The commands that open the detail views, and the notebook toolbar's lineage item. */
export function registerDetailViews(
  app: JupyterFrontEnd,
  model: IKitlabModel,
  actions: KitlabActions,
  trans: TranslationBundle
): void {
  const open = new Map<string, MainAreaWidget<DetailView>>();
  const show = (
    id: string,
    label: string,
    icon: LabIcon,
    render: () => JSX.Element
  ): void => {
    let widget = open.get(id);
    if (!widget || widget.isDisposed) {
      widget = new MainAreaWidget({ content: new DetailView(render, model) });
      widget.id = id;
      widget.title.label = label;
      widget.title.caption = label;
      widget.title.icon = icon;
      widget.title.closable = true;
      open.set(id, widget);
      app.shell.add(widget, 'main');
    }
    app.shell.activateById(widget.id);
  };

  app.commands.addCommand(CommandIds.showJob, {
    label: trans.__('Show ModelKit Job Details'),
    execute: args => {
      const id = String(args.id ?? '');
      const job = model.jobs.find(candidate => candidate.id === id);
      show(
        `kitlab-job-${id}`,
        job
          ? `${jobKindLabel(jobVerb(job), trans)} ${jobSubject(job)}`
          : trans.__('Job %1', id),
        listIcon,
        () => {
          const job = model.jobs.find(candidate => candidate.id === id);
          return job ? (
            <JobDetail
              job={job}
              trans={trans}
              now={Date.now() / 1000}
              onOpenNotebook={path => void actions.openNotebook(path)}
              onShowKit={reference =>
                void actions.showKit(
                  reference,
                  job.kind === 'push' || job.kind === 'pack-push'
                )
              }
            />
          ) : (
            <p className="jp-kitlab-muted jp-kitlab-detail">
              {trans.__('This job is no longer kept by the server.')}
            </p>
          );
        }
      );
    }
  });

  app.commands.addCommand(CommandIds.showKit, {
    label: trans.__('Show ModelKit Details'),
    execute: args => {
      const reference = String(args.reference ?? '');
      const remote = args.remote === true;
      const handlers: IKitDetailHandlers = remote
        ? {
            load: () =>
              actions.withLogin(reference, () =>
                api.inspectRemote(
                  reference,
                  actions.remoteOptions(registryHost(reference))
                )
              ),
            pull: () => void actions.pull(reference),
            deleteTag: () => actions.deleteRemoteTag(reference)
          }
        : {
            load: () => api.getKit(reference),
            pull: () => void actions.pull(reference, 'store'),
            pushTags: (repository, tags, signing) =>
              actions.pushTags(reference, repository, tags, signing)
          };
      show(
        `kitlab-kit-${remote ? 'remote' : 'local'}-${reference}`,
        reference,
        modelKitIcon,
        () => (
          <KitDetail
            reference={reference}
            remote={remote}
            handlers={handlers}
            jobs={model.jobs}
            trans={trans}
            trust={detail =>
              remote ? (
                <TrustBadge
                  kit={{
                    repository: repositoryOf(reference),
                    digest: detail.digest,
                    tags: [],
                    size: kitSize(detail.manifest)
                  }}
                  trans={trans}
                />
              ) : null
            }
          />
        )
      );
    }
  });

  app.commands.addCommand(CommandIds.browseRegistry, {
    label: trans.__('Browse a ModelKit Registry'),
    execute: args => {
      const host = String(args.host ?? '');
      const handlers: IRegistryBrowserHandlers = {
        catalog: last =>
          api
            .remoteCatalog(host, last, actions.remoteOptions(host))
            .then(answer => ({
              names: answer.repositories,
              next: answer.next
            })),
        tags: (repository, last) =>
          actions
            .withLogin(repository, () =>
              api.remoteTagsPage(
                repository,
                last,
                actions.remoteOptions(registryHost(repository))
              )
            )
            .then(answer => ({ names: answer.tags, next: answer.next })),
        inspect: reference => void actions.showKit(reference, true),
        pull: reference => void actions.pull(reference)
      };
      show(`kitlab-registry-${host}`, host, modelKitIcon, () => (
        <RegistryBrowser host={host} handlers={handlers} trans={trans} />
      ));
    }
  });

  app.commands.addCommand(CommandIds.clearFinishedJobs, {
    label: trans.__('Clear Finished ModelKit Jobs'),
    execute: () => actions.clearFinishedJobs()
  });

  app.docRegistry.addWidgetExtension(
    'Notebook',
    new LineageExtension(app.commands, model, trans)
  );
}

/** The kits a notebook went into: its metadata, and push jobs of this page that named it. */
function lineageOf(
  notebook: INotebookModel,
  path: string,
  jobs: readonly IJob[]
): ILineageEntry[] {
  const recorded = notebookLineage(notebook.getMetadata('kitlab'));
  const fromJobs = jobs
    .filter(
      job =>
        job.state === 'succeeded' &&
        (job.kind === 'push' || job.kind === 'pack-push') &&
        jobNotebook(job) === path
    )
    .map(job => ({
      reference: job.result?.reference ?? '',
      digest: job.result?.digest ?? '',
      at: ''
    }));
  const seen = new Set<string>();
  return [...fromJobs, ...recorded].filter(entry => {
    const key = `${entry.reference}@${entry.digest}`;
    const fresh = entry.reference !== '' && !seen.has(key);
    seen.add(key);
    return fresh;
  });
}

/** "In kit: …" in a notebook's toolbar, once the notebook was packed and pushed into a kit. */
class LineageExtension implements DocumentRegistry.IWidgetExtension<
  NotebookPanel,
  INotebookModel
> {
  constructor(
    private readonly _commands: JupyterFrontEnd['commands'],
    private readonly _model: IKitlabModel,
    private readonly _trans: TranslationBundle
  ) {}

  createNew(
    panel: NotebookPanel,
    context: DocumentRegistry.IContext<INotebookModel>
  ): ReactWidget {
    const trans = this._trans;
    const item = ReactWidget.create(
      <UseSignal signal={this._model.jobsChanged}>
        {() => {
          const kits = lineageOf(context.model, context.path, this._model.jobs);
          if (kits.length === 0) {
            return null;
          }
          const latest = kits[0];
          return (
            <button
              className="jp-ToolbarButtonComponent jp-kitlab-lineage"
              title={trans.__(
                'This notebook went into %1 (%2); open the kit',
                kits.map(kit => kit.reference).join(', '),
                latest.digest
              )}
              onClick={() =>
                void this._commands.execute(CommandIds.showKit, {
                  reference: latest.reference,
                  remote: true
                })
              }
            >
              <modelKitIcon.react tag="span" />
              <span className="jp-ToolbarButtonComponent-label">
                {trans.__('In kit: %1', latest.reference)}
              </span>
            </button>
          );
        }}
      </UseSignal>
    );
    item.addClass('jp-kitlab-lineage-item');
    // The server writes the lineage into the file: re-render when the metadata is reloaded.
    context.model.metadataChanged.connect(() => item.update());
    panel.toolbar.insertAfter('kitlab-package', 'kitlab-lineage', item);
    return item;
  }
}

/** "ModelKit: 2 jobs · 45 %" in the status bar while jobs run; a click shows them. */
function RunningJobs(props: {
  model: IKitlabModel;
  trans: TranslationBundle;
  onClick: () => void;
}): JSX.Element {
  const { model, trans } = props;
  return (
    <UseSignal signal={model.jobsChanged}>
      {() => {
        const running = runningSummary(model.jobs);
        return (
          <span
            className="jp-kitlab-status-item"
            data-testid="kitlab-status-item"
            title={trans.__('Show the ModelKit jobs')}
            onClick={props.onClick}
          >
            <modelKitIcon.react tag="span" />
            {trans._n('%1 job running', '%1 jobs running', running.count)}
            {running.total > 0
              ? ` · ${percent(running.done, running.total)} % ${trans.__(
                  'of %1',
                  formatBytes(running.total)
                )}`
              : ''}
          </span>
        );
      }}
    </UseSignal>
  );
}

/** Running jobs outside the panel: status bar, sidebar badge, and a Launcher card. */
export const jobsOutsidePlugin: JupyterFrontEndPlugin<void> = {
  id: 'kitlab:jobs-outside-panel',
  description:
    'Shows running ModelKit jobs in the status bar and on the sidebar tab; a Launcher card opens the panel.',
  autoStart: true,
  requires: [IKitlabModel],
  optional: [IStatusBar, ILauncher, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    model: IKitlabModel,
    statusBar: IStatusBar | null,
    launcher: ILauncher | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('kitlab');
    const showJobs = (): void => void app.commands.execute(CommandIds.showJobs);
    const running = (): number => runningSummary(model.jobs).count;

    if (statusBar) {
      const activeStateChanged = new Signal<IKitlabModel, void>(model);
      model.jobsChanged.connect(() => activeStateChanged.emit());
      const item = ReactWidget.create(
        <RunningJobs model={model} trans={trans} onClick={showJobs} />
      );
      statusBar.registerStatusItem('kitlab:running-jobs', {
        item,
        align: 'left',
        rank: 50,
        isActive: () => running() > 0,
        activeStateChanged
      });
    }

    // The sidebar tab shows the count as a badge (its data-running attribute, styled in CSS).
    const updateBadge = (): void => {
      const panel = find(app.shell.widgets('left'), w => w.id === PANEL_ID);
      if (!panel) {
        return;
      }
      const count = running();
      // Keep the tab's other data attributes: JupyterLab's data-id names the sidebar tab.
      const dataset: Record<string, string> = { ...panel.title.dataset };
      delete dataset.running;
      if (count > 0) {
        dataset.running = String(count);
      }
      panel.title.dataset = dataset;
      panel.title.caption =
        count > 0
          ? trans._n(
              'ModelKit: %1 job running',
              'ModelKit: %1 jobs running',
              count
            )
          : trans.__('ModelKit');
    };
    model.jobsChanged.connect(updateBadge);
    void app.restored.then(updateBadge);

    if (launcher) {
      app.commands.addCommand(CommandIds.launcher, {
        label: trans.__('ModelKit'),
        caption: trans.__(
          'Package a folder as a ModelKit, pull kits and follow jobs'
        ),
        icon: modelKitIcon,
        execute: () => app.commands.execute(CommandIds.openPanel)
      });
      launcher.add({
        command: CommandIds.launcher,
        category: trans.__('Other'),
        rank: 10
      });
    }
  }
};

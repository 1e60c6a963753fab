import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';

import { KitlabActions, PanelTab } from './actions';
import { registerCommands } from './commands';
import { KitfileSession } from './editor/session';
import {
  IKitfileEditorHost,
  KITFILE_FACTORY,
  KITFILE_FILE_TYPE,
  KITFILE_PATTERN,
  KitfileEditor,
  KitfileEditorFactory
} from './editor/widget';
import { addFolderContextMenu, PackageButtonExtension } from './entrypoints';
import { modelKitIcon } from './icons';
import { KitlabModel } from './model';
import { SettingsHolder } from './settings';
import { IKitlabModel } from './tokens';
import { jobsOutsidePlugin, registerDetailViews } from './widgets/details';
import { ModelKitPanel, PANEL_ID } from './widgets/panel';

const PLUGIN_ID = 'kitlab:plugin';
const PANEL_TAB_KEY = 'kitlab:panel-tab';

function isPanelTab(tab: string): tab is PanelTab {
  return ['package', 'jobs', 'kits', 'registries'].includes(tab);
}

/**
 * Kitfiles open in the main-area editor: their file type (so the file browser knows them), the
 * widget factory (the default for Kitfiles; "Open With > Editor" still opens the text editor), and
 * the tracker the commands and the layout restorer use.
 */
function registerKitfileEditor(
  app: JupyterFrontEnd,
  editors: WidgetTracker<KitfileEditor>,
  actions: KitlabActions,
  trans: TranslationBundle,
  translator: ITranslator | null,
  options: {
    editorFactory: IKitfileEditorHost['editorFactory'];
    autoScan: () => boolean;
  }
): void {
  app.docRegistry.addFileType({
    name: KITFILE_FILE_TYPE,
    displayName: trans.__('Kitfile'),
    pattern: KITFILE_PATTERN,
    mimeTypes: ['text/x-yaml'],
    extensions: [],
    contentType: 'file',
    fileFormat: 'text',
    icon: modelKitIcon
  });
  const factory = new KitfileEditorFactory(
    {
      name: KITFILE_FACTORY,
      label: trans.__('Kitfile Editor'),
      fileTypes: [KITFILE_FILE_TYPE],
      defaultFor: [KITFILE_FILE_TYPE],
      modelName: 'text',
      translator: translator ?? undefined
    },
    {
      trans,
      contents: app.serviceManager.contents,
      editorFactory: options.editorFactory,
      autoScan: options.autoScan,
      commands: session => ({
        save: () => void actions.saveKitfile(session),
        pack: push => void actions.pack(push, session),
        replaceWithScanDraft: () => void actions.replaceWithScanDraft(session),
        compareWithKit: () => void actions.compareWorkspace(session),
        browse: current => actions.browsePath(session.folder, current)
      })
    }
  );
  factory.widgetCreated.connect((_, widget) => {
    widget.context.pathChanged.connect(() => void editors.save(widget));
    void editors.add(widget);
  });
  app.docRegistry.addWidgetFactory(factory);
}

/** The ModelKit panel, the model with its event subscription, and every command. */
const plugin: JupyterFrontEndPlugin<IKitlabModel> = {
  id: PLUGIN_ID,
  description:
    'Package a workspace as a KitOps ModelKit and pull kits back into notebooks.',
  autoStart: true,
  provides: IKitlabModel,
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    ITranslator,
    ISettingRegistry,
    IStateDB,
    IDefaultFileBrowser,
    IDocumentManager,
    IEditorServices
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    state: IStateDB | null,
    browser: IDefaultFileBrowser | null,
    docManager: IDocumentManager | null,
    editorServices: IEditorServices | null
  ): IKitlabModel => {
    const trans = (translator ?? nullTranslator).load('kitlab');
    const model = new KitlabModel();
    const settings = new SettingsHolder();
    void settings.load(settingRegistry, PLUGIN_ID);
    const cwd = (): string => browser?.model.path ?? '';

    const panel = new ModelKitPanel(
      model,
      trans,
      cwd,
      browser?.model.pathChanged ?? null
    );
    // The panel comes back on the tab the user left.
    panel.tabChanged.connect((_, tab) => void state?.save(PANEL_TAB_KEY, tab));
    const showTab = (tab: PanelTab): void => {
      panel.setTab(tab);
      app.shell.activateById(PANEL_ID);
    };
    const editors = new WidgetTracker<KitfileEditor>({
      namespace: 'kitlab-kitfile'
    });
    const currentKitfile = (): KitfileSession | null =>
      editors.currentWidget?.session ?? null;
    const actions = new KitlabActions({
      app,
      model,
      trans,
      settings: () => settings.current(),
      state,
      cwd,
      showTab,
      docManager,
      translator,
      currentKitfile
    });
    registerKitfileEditor(app, editors, actions, trans, translator, {
      editorFactory: editorServices?.factoryService.newInlineEditor ?? null,
      autoScan: () => settings.current().autoScan
    });
    void restorer?.restore(editors, {
      command: 'docmanager:open',
      args: widget => ({ path: widget.context.path, factory: KITFILE_FACTORY }),
      name: widget => widget.context.path
    });
    panel.actions = actions;
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, PANEL_ID);
    registerCommands(
      app,
      model,
      actions,
      trans,
      showTab,
      cwd,
      palette,
      currentKitfile
    );
    registerDetailViews(app, model, actions, trans);

    // Progress arrives on jupyter_server's event bus; the job list is re-read on load and on finish.
    app.serviceManager.events.stream.connect((_, emission) =>
      model.handleEvent(emission)
    );
    void model.connect();
    void model.refreshJobs();
    void app.restored.then(async () => {
      const tab = await state?.fetch(PANEL_TAB_KEY);
      if (typeof tab === 'string' && isPanelTab(tab)) {
        panel.setTab(tab);
      }
    });
    console.log('kitlab: frontend extension activated');
    return model;
  }
};

/** "Package" in every notebook's toolbar. */
const notebookToolbar: JupyterFrontEndPlugin<void> = {
  id: 'kitlab:notebook-toolbar',
  description: 'Adds a Package as ModelKit button to notebook toolbars.',
  autoStart: true,
  requires: [IKitlabModel],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    _model: IKitlabModel,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('kitlab');
    app.docRegistry.addWidgetExtension(
      'Notebook',
      new PackageButtonExtension(app.commands, trans)
    );
  }
};

/** "Package as ModelKit" on folders in the file browser. */
const fileBrowserMenu: JupyterFrontEndPlugin<void> = {
  id: 'kitlab:file-browser',
  description:
    'Adds Package as ModelKit to the file browser context menu on folders.',
  autoStart: true,
  requires: [IKitlabModel, IDefaultFileBrowser],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    _model: IKitlabModel,
    browser: IDefaultFileBrowser,
    translator: ITranslator | null
  ) => {
    addFolderContextMenu(
      app,
      browser,
      (translator ?? nullTranslator).load('kitlab')
    );
  }
};

export default [plugin, notebookToolbar, fileBrowserMenu, jobsOutsidePlugin];

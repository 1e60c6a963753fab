import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { KitlabActions, PanelTab } from './actions';
import { registerCommands } from './commands';
import { addFolderContextMenu, PackageButtonExtension } from './entrypoints';
import { KitlabModel } from './model';
import { SettingsHolder } from './settings';
import { IKitlabModel } from './tokens';
import { ModelKitPanel, PANEL_ID } from './widgets/panel';

const PLUGIN_ID = 'kitlab:plugin';

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
      editorServices?.factoryService.newInlineEditor ?? null
    );
    const showTab = (tab: PanelTab): void => {
      panel.setTab(tab);
      app.shell.activateById(PANEL_ID);
    };
    const actions = new KitlabActions({
      app,
      model,
      trans,
      settings: () => settings.current(),
      state,
      cwd,
      showTab,
      docManager,
      translator
    });
    panel.actions = actions;
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, PANEL_ID);
    registerCommands(app, model, actions, trans, showTab, cwd, palette);

    // Progress arrives on jupyter_server's event bus; the job list is re-read on load and on finish.
    app.serviceManager.events.stream.connect((_, emission) =>
      model.handleEvent(emission)
    );
    void model.connect();
    void model.refreshJobs();
    void app.restored.then(() => actions.restore());
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

export default [plugin, notebookToolbar, fileBrowserMenu];

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { KitlabModel } from './model';
import { ModelKitPanel, PANEL_ID } from './widgets/panel';

const CommandIds = {
  openPanel: 'kitlab:open-panel'
};

/** Registers the ModelKit sidebar panel and its commands. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'kitlab:plugin',
  description:
    'Package a workspace as a KitOps ModelKit and pull kits back into notebooks.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('kitlab');
    const model = new KitlabModel();
    const panel = new ModelKitPanel(model, trans);
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, PANEL_ID);

    app.commands.addCommand(CommandIds.openPanel, {
      label: trans.__('Show the ModelKit panel'),
      execute: () => app.shell.activateById(PANEL_ID)
    });
    palette?.addItem({
      command: CommandIds.openPanel,
      category: trans.__('ModelKit')
    });

    void model.connect();
    console.log('kitlab: frontend extension activated');
  }
};

export default plugin;

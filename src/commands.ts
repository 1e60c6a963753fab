/**
 * Every user action as a JupyterLab command (palette, menus, shortcuts, other extensions).
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { KitlabActions, PanelTab } from './actions';
import { KitfileSession } from './editor/session';
import { modelKitIcon } from './icons';
import { CommandIds, IKitlabModel } from './tokens';
import { PANEL_ID } from './widgets/panel';

export function registerCommands(
  app: JupyterFrontEnd,
  model: IKitlabModel,
  actions: KitlabActions,
  trans: TranslationBundle,
  showTab: (tab: PanelTab) => void,
  cwd: () => string,
  palette: ICommandPalette | null,
  /** The Kitfile editor last focused: Scan, Save, Layers and Pack act on it. */
  currentKitfile: () => KitfileSession | null
): void {
  const { commands } = app;
  const kitfileOpen = (): boolean => currentKitfile() !== null;

  commands.addCommand(CommandIds.openPanel, {
    label: trans.__('Show the ModelKit panel'),
    execute: () => app.shell.activateById(PANEL_ID)
  });
  commands.addCommand(CommandIds.packageFolder, {
    label: args =>
      typeof args.path === 'string'
        ? trans.__('Package as ModelKit')
        : trans.__('Package the Current Folder as ModelKit'),
    caption: trans.__(
      "Open the folder's Kitfile in the Kitfile editor (drafted from a scan when there is none)"
    ),
    icon: modelKitIcon,
    execute: args => {
      const path = typeof args.path === 'string' ? args.path : cwd();
      // The notebook toolbar names its notebook: it records the pushed kit (lineage) whatever
      // had the focus last.
      const notebook =
        typeof args.notebook === 'string' ? args.notebook : undefined;
      return actions.packageFolder(path, notebook);
    }
  });
  commands.addCommand(CommandIds.scan, {
    label: trans.__('Scan the Folder Again'),
    isEnabled: kitfileOpen,
    execute: () => currentKitfile()?.scanFolder()
  });
  commands.addCommand(CommandIds.saveKitfile, {
    label: trans.__('Save the Kitfile'),
    isEnabled: () => currentKitfile()?.dirty ?? false,
    execute: () => {
      const session = currentKitfile();
      return session ? actions.saveKitfile(session) : undefined;
    }
  });
  commands.addCommand(CommandIds.showPlan, {
    label: trans.__('Show the Layers to Pack'),
    isEnabled: kitfileOpen,
    execute: () => currentKitfile()?.loadPlan()
  });
  commands.addCommand(CommandIds.pack, {
    label: trans.__('Pack ModelKit…'),
    isEnabled: kitfileOpen,
    execute: () => actions.pack(false)
  });
  commands.addCommand(CommandIds.packPush, {
    label: trans.__('Pack & Push ModelKit…'),
    isEnabled: kitfileOpen,
    execute: () => actions.pack(true)
  });
  commands.addCommand(CommandIds.pull, {
    label: trans.__('Pull ModelKit…'),
    caption: trans.__(
      'Pull a ModelKit into a folder and open a notebook that loads it'
    ),
    execute: args =>
      actions.pull(typeof args.reference === 'string' ? args.reference : '')
  });
  commands.addCommand(CommandIds.showJobs, {
    label: trans.__('Show ModelKit Jobs'),
    execute: () => showTab('jobs')
  });
  commands.addCommand(CommandIds.showKits, {
    label: trans.__('Show Local ModelKits'),
    execute: () => showTab('kits')
  });
  commands.addCommand(CommandIds.refreshKits, {
    label: trans.__('Refresh Local ModelKits'),
    execute: () => model.refreshKits()
  });
  commands.addCommand(CommandIds.showRegistries, {
    label: trans.__('Show Registry Logins'),
    execute: () => showTab('registries')
  });
  commands.addCommand(CommandIds.login, {
    label: trans.__('Log In to a Registry…'),
    execute: args =>
      actions.login(typeof args.host === 'string' ? args.host : '')
  });

  if (palette) {
    const category = trans.__('ModelKit');
    for (const command of [
      CommandIds.openPanel,
      CommandIds.packageFolder,
      CommandIds.scan,
      CommandIds.saveKitfile,
      CommandIds.showPlan,
      CommandIds.pack,
      CommandIds.packPush,
      CommandIds.pull,
      CommandIds.showJobs,
      CommandIds.showKits,
      CommandIds.refreshKits,
      CommandIds.showRegistries,
      CommandIds.login
    ]) {
      palette.addItem({ command, category });
    }
  }
}

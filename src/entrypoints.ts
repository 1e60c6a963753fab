/**
 * Where the Package flow starts outside the panel: a notebook toolbar button and the file browser's
 * context menu on folders. Both run the `kitlab:package-folder` command with a folder path.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import type { INotebookModel, NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { ToolbarButton } from '@jupyterlab/ui-components';

import { modelKitIcon } from './icons';
import { CommandIds } from './tokens';
import { parentFolder } from './unpack';

/** Adds "Package as ModelKit" to every notebook's toolbar; it packages the notebook's folder. */
export class PackageButtonExtension implements DocumentRegistry.IWidgetExtension<
  NotebookPanel,
  INotebookModel
> {
  constructor(
    private readonly _commands: JupyterFrontEnd['commands'],
    private readonly _trans: TranslationBundle
  ) {}

  createNew(
    panel: NotebookPanel,
    context: DocumentRegistry.IContext<INotebookModel>
  ): ToolbarButton {
    const button = new ToolbarButton({
      icon: modelKitIcon,
      label: this._trans.__('Package'),
      tooltip: this._trans.__("Package this notebook's folder as a ModelKit"),
      className: 'jp-kitlab-toolbar-package',
      onClick: () =>
        void this._commands.execute(CommandIds.packageFolder, {
          path: parentFolder(context.path)
        })
    });
    panel.toolbar.insertAfter('cellType', 'kitlab-package', button);
    return button;
  }
}

/** The file browser's context menu item on folders, and its command. */
export function addFolderContextMenu(
  app: JupyterFrontEnd,
  browser: IDefaultFileBrowser,
  trans: TranslationBundle
): void {
  const selectedFolder = (): string | null => {
    const item = browser.selectedItems().next();
    return !item.done && item.value.type === 'directory'
      ? item.value.path
      : null;
  };
  app.commands.addCommand(CommandIds.packageSelectedFolder, {
    label: trans.__('Package as ModelKit'),
    caption: trans.__(
      'Scan this folder and draft a Kitfile in the ModelKit panel'
    ),
    icon: modelKitIcon,
    isVisible: () => selectedFolder() !== null,
    execute: () => {
      const path = selectedFolder();
      if (path !== null) {
        return app.commands.execute(CommandIds.packageFolder, { path });
      }
    }
  });
  app.contextMenu.addItem({
    command: CommandIds.packageSelectedFolder,
    selector: '.jp-DirListing-item[data-isdir="true"]',
    rank: 60
  });
}

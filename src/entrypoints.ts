/**
 * Where the Package flow starts outside the panel: a notebook toolbar button and the file browser's
 * context menu on folders and Kitfiles. They run the `kitlab:package-folder` command with a folder
 * path, which opens the folder's Kitfile in the main-area editor.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import type { INotebookModel, NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { ToolbarButton } from '@jupyterlab/ui-components';

import { KITFILE_FILE_TYPE, KITFILE_PATTERN } from './editor/widget';
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
          path: parentFolder(context.path),
          notebook: context.path
        })
    });
    panel.toolbar.insertAfter('cellType', 'kitlab-package', button);
    return button;
  }
}

/** The file browser's context menu items on folders and Kitfiles, and their commands. */
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

  const selectedKitfile = (): string | null => {
    const item = browser.selectedItems().next();
    return !item.done && new RegExp(KITFILE_PATTERN).test(item.value.name)
      ? item.value.path
      : null;
  };
  app.commands.addCommand(CommandIds.packageSelectedKitfile, {
    label: trans.__('Package as ModelKit'),
    caption: trans.__('Open this Kitfile in the Kitfile editor'),
    icon: modelKitIcon,
    isVisible: () => selectedKitfile() !== null,
    execute: () => {
      const path = selectedKitfile();
      if (path !== null) {
        return app.commands.execute(CommandIds.packageFolder, {
          path: parentFolder(path)
        });
      }
    }
  });
  app.contextMenu.addItem({
    command: CommandIds.packageSelectedKitfile,
    selector: `.jp-DirListing-item[data-file-type="${KITFILE_FILE_TYPE}"]`,
    rank: 60
  });
}

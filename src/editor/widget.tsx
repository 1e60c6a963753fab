/**
 * The Kitfile as a JupyterLab document: a widget factory for files named Kitfile (kit's other names
 * too), so double-clicking one in the file browser opens the editor in the main area, as the CSV
 * viewer does for .csv files ("Open With > Editor" still opens the plain text editor). The document
 * model is JupyterLab's text model, shared with any other editor open on the same file.
 */
import { ReactWidget, UseSignal } from '@jupyterlab/apputils';
import type { CodeEditor } from '@jupyterlab/codeeditor';
import {
  ABCWidgetFactory,
  DocumentRegistry,
  DocumentWidget
} from '@jupyterlab/docregistry';
import { Contents } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { modelKitIcon } from '../icons';
import { IKitfileEditorCommands, KitfileEditorView } from './KitfileEditorView';
import { KitfileSession } from './session';

/** The file type of Kitfiles (the names kit looks for in a folder). */
export const KITFILE_FILE_TYPE = 'kitfile';
export const KITFILE_PATTERN = '^(Kitfile|kitfile|\\.kitfile)$';
/** The widget factory's name ("Open With" lists it by its label). */
export const KITFILE_FACTORY = 'Kitfile Editor';

/** The editor's content: re-rendered whenever its session changes. */
class KitfileEditorContent extends ReactWidget {
  constructor(
    readonly session: KitfileSession,
    private readonly _trans: TranslationBundle,
    private readonly _editorFactory: CodeEditor.Factory | null,
    private readonly _commands: IKitfileEditorCommands
  ) {
    super();
    this.addClass('jp-kitlab-editor-content');
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    // Coming back to the editor: show what is on disk now, if it changed meanwhile.
    void this.session.checkDisk();
    this.node.querySelector<HTMLElement>('button, input, textarea')?.focus();
  }

  render(): JSX.Element {
    return (
      <UseSignal signal={this.session.changed}>
        {() => (
          <KitfileEditorView
            session={this.session}
            trans={this._trans}
            editorFactory={this._editorFactory}
            commands={this._commands}
          />
        )}
      </UseSignal>
    );
  }
}

/** A Kitfile open in the main area. */
export class KitfileEditor extends DocumentWidget<
  KitfileEditorContent,
  DocumentRegistry.ICodeModel
> {
  get session(): KitfileSession {
    return this.content.session;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    const session = this.session;
    super.dispose();
    session.dispose();
  }
}

/** What the factory needs from the rest of kitlab. */
export interface IKitfileEditorHost {
  trans: TranslationBundle;
  contents: Contents.IManager;
  editorFactory: CodeEditor.Factory | null;
  autoScan: () => boolean;
  /** The buttons' actions for one session (dialogs, notifications). */
  commands: (session: KitfileSession) => IKitfileEditorCommands;
}

export class KitfileEditorFactory extends ABCWidgetFactory<
  KitfileEditor,
  DocumentRegistry.ICodeModel
> {
  constructor(
    options: DocumentRegistry.IWidgetFactoryOptions<KitfileEditor>,
    private readonly _host: IKitfileEditorHost
  ) {
    super(options);
  }

  protected createNewWidget(
    context: DocumentRegistry.CodeContext
  ): KitfileEditor {
    const host = this._host;
    const session = new KitfileSession(context, host.contents, {
      autoScan: host.autoScan()
    });
    const content = new KitfileEditorContent(
      session,
      host.trans,
      host.editorFactory,
      host.commands(session)
    );
    const widget = new KitfileEditor({ context, content });
    widget.addClass('jp-kitlab-editor-widget');
    widget.title.icon = modelKitIcon;
    return widget;
  }
}

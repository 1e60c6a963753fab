/**
 * What the user can do, in one place: the panel's buttons and the commands both call these. Each
 * action asks what it needs (dialogs), calls the model, and reports the outcome (notifications).
 */
import { JupyterFrontEnd, LabShell } from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  InputDialog,
  Notification,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import type { IDocumentManager } from '@jupyterlab/docmanager';
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import { FileDialog } from '@jupyterlab/filebrowser';
import type { INotebookModel } from '@jupyterlab/notebook';
import { IStateDB } from '@jupyterlab/statedb';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import type { ReadonlyJSONObject } from '@lumino/coreutils';
import type { Widget } from '@lumino/widgets';
import type { FunctionComponent } from 'react';

import { jobKindLabel } from './components/JobsList';
import { compareWorkspaceWith } from './components/CompareDialog';
import {
  FormDialogBody,
  IFormViewProps,
  IRegistryFormProps
} from './components/DialogFields';
import { LoginFormView } from './components/LoginDialog';
import {
  IPackValues,
  PackFormView,
  packValuesValid
} from './components/PackDialog';
import {
  IPullValues,
  PullFormView,
  pullProblem
} from './components/PullDialog';
import { PushFormView } from './components/PushDialog';
import { ISigningValues, signingParams } from './components/KeysView';
import {
  deleteRemoteTag,
  getKitfile,
  getPlan,
  scan as scanFolder,
  validateKitfile
} from './api';
import { lineDiff } from './draft';
import { diffDialogBody } from './editor/DiffView';
import { KitfileSession } from './editor/session';
import { KITFILE_FACTORY } from './editor/widget';
import { finishedJobIds } from './details';
import { jobNotebook, jobReference, jobSubject, jobVerb } from './jobs';
import {
  buildReference,
  kitReference,
  parseReference,
  registryHost,
  repositoryFromName,
  storeRepository
} from './reference';
import { RegistryPolicy } from './registryOptions';
import { KitlabRequestError } from './request';
import {
  CommandIds,
  IJob,
  IKitfile,
  IKitfileDocument,
  IKitlabModel,
  IKitlabSettings,
  IKitSummary,
  ILoginRequest,
  IRemoteParams,
  IRemoteTags,
  JobRequest
} from './tokens';
import {
  defaultDestination,
  uniqueFolder,
  UNPACK_ALL,
  unpackFilters
} from './unpack';

/** The panel's sections; actions switch to the one that shows their outcome. */
export type PanelTab = 'package' | 'jobs' | 'kits' | 'registries';

/** What the actions need from the rest of JupyterLab. */
export interface IActionHost {
  app: JupyterFrontEnd;
  model: IKitlabModel;
  trans: TranslationBundle;
  settings: () => IKitlabSettings;
  state: IStateDB | null;
  /** The file browser's current folder ('' = the server root). */
  cwd: () => string;
  /** Show the panel on a tab. */
  showTab: (tab: PanelTab) => void;
  /** For the form's file dialog; without it the path fields have no Browse… button. */
  docManager: IDocumentManager | null;
  /** The Kitfile editor last focused, for the commands (Pack, Save, Scan) outside it. */
  currentKitfile: () => KitfileSession | null;
  translator: ITranslator | null;
}

/** A job this page started, kept so it can be retried after a login. */
interface IStarted {
  request: JobRequest;
  openNotebook: boolean;
  /** An open notebook with unsaved edits: the pushed kit is recorded in its model, not on disk. */
  lineageInModel?: string;
}

/** The registry a job talks to ('' for a pack into the local store), for a login it may need. */
function jobRegistry(request: JobRequest): string {
  switch (request.kind) {
    case 'pack':
      return '';
    case 'push':
      return registryHost(
        request.params.destination || request.params.reference
      );
    default:
      return registryHost(request.params.reference);
  }
}

const STATE_PREFIX = 'kitlab:pack-reference:';

export class KitlabActions {
  private readonly _started = new Map<string, IStarted>();
  /** Notebooks shown in the main area, most recent last (for a push's lineage). */
  private _recentNotebooks: string[] = [];
  /** Settles when every job start asked for so far has been registered (or failed). */
  private _starting: Promise<unknown> = Promise.resolve();
  /** Plain HTTP and TLS defaults for every registry this talks to. */
  private readonly _policy: RegistryPolicy;

  constructor(private readonly _host: IActionHost) {
    this._policy = new RegistryPolicy(
      () => _host.settings().insecureRegistries
    );
    _host.model.jobFinished.connect((_, job) => void this._onJobFinished(job));
    if (_host.app.shell instanceof LabShell) {
      _host.app.shell.currentChanged.connect((_, change) =>
        this._noteNotebook(change.newValue)
      );
    }
  }

  /**
   * The notebook most recently active in the main area that lies inside `folder` and still exists:
   * the one whose toolbar "Package" was pressed, or the one worked on before the Kitfile.
   */
  private async _notebookFor(folder: string): Promise<string | undefined> {
    const prefix = folder ? `${folder}/` : '';
    for (let i = this._recentNotebooks.length - 1; i >= 0; i--) {
      const path = this._recentNotebooks[i];
      if (path.startsWith(prefix) && (await this._exists(path))) {
        return path;
      }
    }
    return undefined;
  }

  /** The document context of a file open in the main area, if it is. */
  private _openContext(path: string): DocumentRegistry.Context | undefined {
    const manager = this._host.docManager;
    const widget = manager?.findWidget(path);
    return widget ? manager?.contextForWidget(widget) : undefined;
  }

  /**
   * After a push recorded its kit: an open notebook the server wrote to is reloaded (it had no
   * unsaved edits), and one with unsaved edits gets the record in its model, saved with them.
   */
  private _showLineage(
    job: IJob,
    recordedIn: string,
    inModel: string | undefined
  ): void {
    if (recordedIn) {
      const context = this._openContext(recordedIn);
      if (context && !context.model.dirty) {
        void context.revert();
      }
      return;
    }
    const model = inModel
      ? (this._openContext(inModel)?.model as INotebookModel | undefined)
      : undefined;
    const result = job.result;
    if (!model || !result || !('digest' in result)) {
      return;
    }
    const kitlab = model.getMetadata('kitlab');
    const current = typeof kitlab === 'object' && kitlab !== null ? kitlab : {};
    const pushed = Array.isArray((current as { pushed?: unknown }).pushed)
      ? ((current as { pushed: unknown[] }).pushed as unknown[])
      : [];
    model.setMetadata('kitlab', {
      ...current,
      pushed: [
        ...pushed,
        {
          reference: result.reference,
          digest: result.digest,
          at: new Date().toISOString().replace(/\.\d+Z$/, 'Z')
        }
      ]
    });
  }

  /** Remember the notebook a main-area widget shows, most recent last. */
  private _noteNotebook(widget: Widget | null): void {
    const path = widget
      ? this._host.docManager?.contextForWidget(widget)?.path
      : undefined;
    if (path?.endsWith('.ipynb')) {
      this._rememberNotebook(path);
    }
  }

  private _rememberNotebook(path: string): void {
    this._recentNotebooks = [
      ...this._recentNotebooks.filter(p => p !== path).slice(-19),
      path
    ];
  }

  private get _trans(): TranslationBundle {
    return this._host.trans;
  }

  private get _model(): IKitlabModel {
    return this._host.model;
  }

  // ---------------------------------------------------------------------------------- package

  /**
   * Open `folder`'s Kitfile in the main-area editor. A folder without one gets a Kitfile drafted
   * from a scan (a new file: nothing of the user's is replaced), and the editor says so.
   */
  async packageFolder(folder: string, notebook?: string): Promise<void> {
    const { app, trans } = this._host;
    if (notebook) {
      this._rememberNotebook(notebook);
    }
    let document: IKitfileDocument;
    try {
      document = await getKitfile(folder);
    } catch (error) {
      await showErrorMessage(
        trans.__('Cannot package %1', folder || '/'),
        errorText(error)
      );
      return;
    }
    if (!document.exists) {
      try {
        await this._draftKitfile(folder, document.path);
      } catch (error) {
        await showErrorMessage(
          trans.__('No Kitfile was drafted in %1', folder || '/'),
          errorText(error)
        );
        return;
      }
    }
    await app.commands.execute('docmanager:open', {
      path: document.path,
      factory: KITFILE_FACTORY
    });
  }

  /** Write a new Kitfile at `path` from a scan of `folder` (the folder's name when the scan fails). */
  private async _draftKitfile(folder: string, path: string): Promise<void> {
    const { app, trans } = this._host;
    let kitfile: IKitfile;
    try {
      kitfile = (await scanFolder(folder)).kitfile;
    } catch {
      const name = folder.split('/').filter(Boolean).pop() ?? '';
      kitfile = { manifestVersion: '1.0.0', package: name ? { name } : {} };
    }
    const { text } = await validateKitfile(folder, { kitfile });
    if (typeof text !== 'string') {
      throw new Error(
        trans.__('the scan drafted a Kitfile that does not parse')
      );
    }
    if (await this._exists(path)) {
      return; // written meanwhile (another tab): open that one, never replace it
    }
    await app.serviceManager.contents.save(path, {
      type: 'file',
      format: 'text',
      content: text
    });
    Notification.info(
      trans.__(
        '%1 was drafted from a scan of the folder: check it, then pack.',
        path
      ),
      { autoClose: 6000 }
    );
  }

  /** Save a Kitfile editor through JupyterLab (it asks first when the file changed on disk). */
  async saveKitfile(session: KitfileSession): Promise<boolean> {
    try {
      await session.save();
      return true;
    } catch {
      return false; // JupyterLab has said why (or the user cancelled its dialog)
    }
  }

  /**
   * Show what the scan's draft would change in the Kitfile and replace the editor's text only when
   * the user agrees. Nothing is saved; the notification offers an undo (so does Ctrl+Z in YAML).
   */
  /**
   * What would change if the session's folder were packed now: against a kit of the local store, or
   * by default the reference this folder was last packed or pushed under (docs/user-guide.md).
   */
  async compareWorkspace(session: KitfileSession): Promise<void> {
    await this._model.refreshKits();
    const kits = this._model.kits;
    const choices =
      kits.status === 'ready'
        ? kits.value.flatMap(kit => kit.tags.map(tag => kitReference(kit, tag)))
        : [];
    const last = await this._rememberedReference(session.folder);
    await compareWorkspaceWith(
      session.folder,
      choices,
      last && last.repository && last.tag ? buildReference(last) : '',
      this._trans
    );
  }

  async replaceWithScanDraft(session: KitfileSession): Promise<void> {
    const trans = this._trans;
    let text: string | null;
    try {
      await session.flush(); // the diff is against every edit made so far
      text = await session.scanDraftText();
    } catch (error) {
      await showErrorMessage(
        trans.__("The scan's draft is not available"),
        errorText(error)
      );
      return;
    }
    if (text === null) {
      await showErrorMessage(
        trans.__("The scan's draft is not available"),
        trans.__('Scan the folder first.')
      );
      return;
    }
    const diff = lineDiff(session.text, text);
    if (diff.every(line => line.kind === 'same')) {
      Notification.info(trans.__("The Kitfile already is the scan's draft."), {
        autoClose: 4000
      });
      return;
    }
    const result = await showDialog({
      title: trans.__("Replace the Kitfile with the scan's draft?"),
      body: diffDialogBody(diff, trans),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: trans.__('Replace') })
      ]
    });
    if (!result.button.accept) {
      return;
    }
    const previous = session.replaceText(text);
    Notification.info(
      trans.__(
        "The editor shows the scan's draft; the file changes only when you save."
      ),
      {
        autoClose: 10000,
        actions: [
          {
            label: trans.__('Undo'),
            callback: () => void session.replaceText(previous)
          }
        ]
      }
    );
  }

  /**
   * Ask for a reference, then pack (and push) the Kitfile's folder in the background. Unsaved edits
   * are saved only once the user pressed Start (the dialog says so): a cancelled dialog leaves the
   * Kitfile on disk as it was.
   */
  async pack(push: boolean, target?: KitfileSession): Promise<void> {
    const session = target ?? this._host.currentKitfile();
    if (!session) {
      await showErrorMessage(
        this._trans.__('Nothing to pack'),
        this._trans.__(
          'Open a Kitfile (or "Package as ModelKit" on a folder) first.'
        )
      );
      return;
    }
    await session.flush();
    const folder = session.folder;
    // The notebook last worked on in this folder records a pushed kit (lineage, docs/user-guide.md).
    const notebook = await this._notebookFor(folder);
    const values = await this._askPackValues(session, push, notebook);
    if (values === null) {
      return;
    }
    // The server records the kit in the notebook file; an open notebook with unsaved edits gets it
    // in its model instead, so that neither the edits nor the record are lost (and no "file changed
    // on disk" question follows the push).
    const unsaved =
      notebook !== undefined &&
      this._openContext(notebook)?.model.dirty === true;
    if (session.dirty && !(await this.saveKitfile(session))) {
      return;
    }
    const packed = {
      path: folder,
      reference: buildReference(values),
      compression: values.compression,
      ...(values.modelPack ? { useModelPack: true } : {})
    };
    await this._start(
      values.push
        ? {
            kind: 'pack-push',
            params: {
              ...packed,
              ...this._policy.remoteOptions(values.registry, values.plainHttp),
              ...signingParams(values),
              ...(notebook && !unsaved ? { notebook } : {})
            }
          }
        : { kind: 'pack', params: packed },
      false,
      values.push && unsaved ? notebook : undefined
    );
  }

  // ---------------------------------------------------------------------------------- jobs

  async cancel(job: IJob): Promise<void> {
    try {
      await this._model.cancelJob(job.id);
    } catch (error) {
      await showErrorMessage(
        this._trans.__('The job was not cancelled'),
        errorText(error)
      );
    }
  }

  /**
   * Let the user pick a file or folder inside the folder being packed, for a Kitfile path field,
   * starting beside `current` (relative to that folder). Resolves to the pick relative to the
   * folder, or null when cancelled or when the pick is the folder itself.
   */
  async browsePath(folder: string, current: string): Promise<string | null> {
    const { docManager, trans } = this._host;
    if (docManager === null) {
      return null;
    }
    const result = await FileDialog.getOpenFiles({
      manager: docManager,
      translator: this._host.translator ?? undefined,
      title: trans.__('Pick a file or folder'),
      label: trans.__(
        'Select a file or folder, or open a folder and press Select to pick it.'
      ),
      root: folder,
      defaultPath: PathExt.join(folder, PathExt.dirname(current))
    });
    const picked = result.button.accept ? result.value?.[0]?.path : undefined;
    if (picked === undefined) {
      return null;
    }
    const relative = PathExt.relative(folder, picked);
    return relative === '' || relative.startsWith('..') ? null : relative;
  }

  openNotebook(path: string): Promise<unknown> {
    return this._host.app.commands.execute('docmanager:open', { path });
  }

  // ---------------------------------------------------------------------------------- kits

  /**
   * Ask what to pull and where; unpack it with a new notebook that loads it. `from: 'store'` opens the
   * dialog on a kit of the local store (Kits tab → Open in notebook): nothing is downloaded, and the
   * dialog is named for what it does.
   */
  async pull(
    initialReference = '',
    from: 'registry' | 'store' = 'registry'
  ): Promise<void> {
    const inStore = from === 'store';
    const cwd = this._host.cwd();
    let values: IPullValues = {
      reference: initialReference,
      destination: initialReference
        ? defaultDestination(initialReference, cwd)
        : '',
      selection: { ...UNPACK_ALL },
      plainHttp: this._policy.plainHttpByDefault(
        registryHost(initialReference)
      ),
      verify: false
    };
    let problem: string | null = null;
    for (;;) {
      const asked = await this._askForm(
        inStore
          ? this._trans.__('Open ModelKit in a notebook')
          : this._trans.__('Pull ModelKit'),
        inStore
          ? this._trans.__('Open in notebook')
          : this._trans.__('Pull and open'),
        values,
        PullFormView,
        { cwd, problem, inStore }
      );
      if (asked === null) {
        return;
      }
      values = asked;
      problem = pullProblem(values);
      if (problem === null) {
        break;
      }
    }
    const reference = values.reference.trim();
    const target = await this._unpackTarget(values.destination.trim());
    if (target === null) {
      return;
    }
    await this._start(
      {
        kind: 'unpack',
        params: {
          reference,
          ...target,
          filters: unpackFilters(values.selection) ?? [],
          notebook: true,
          ...(values.verify ? { verify: true } : {}),
          ...this._policy.forReference(reference, values.plainHttp)
        }
      },
      true
    );
  }

  /**
   * Where to unpack: `destination` when it is new; when it exists, the user chooses to overwrite the
   * files the kit also has, to keep them (only new files are written), or a new folder beside it
   * (`name-2` …). Null when cancelled.
   */
  private async _unpackTarget(
    destination: string
  ): Promise<{ path: string; overwrite?: true; ignoreExisting?: true } | null> {
    if (!(await this._exists(destination))) {
      return { path: destination };
    }
    const trans = this._trans;
    const fresh = await uniqueFolder(destination, path => this._exists(path));
    const keep = trans.__('Keep existing files');
    const overwrite = trans.__('Overwrite');
    const result = await showDialog({
      title: trans.__('%1 already exists', destination),
      body: trans.__(
        'Unpack into a new folder %1, overwrite the files the kit also has, or keep the existing files (only the files it does not have are written)?',
        fresh
      ),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.createButton({ label: keep }),
        Dialog.warnButton({ label: overwrite }),
        Dialog.okButton({ label: trans.__('Use %1', fresh) })
      ]
    });
    switch (result.button.label) {
      case keep:
        return { path: destination, ignoreExisting: true };
      case overwrite:
        return { path: destination, overwrite: true };
      default:
        return result.button.accept ? { path: fresh } : null;
    }
  }

  /** Push a kit of the local store to a registry, under a reference the user confirms. */
  async push(kit: IKitSummary, tag?: string): Promise<void> {
    const source = kitReference(kit, tag);
    const { repository, tag: sourceTag } = parseReference(source);
    const settings = this._host.settings();
    const target = {
      repository: settings.defaultRepository || repository,
      tag: sourceTag || 'latest'
    };
    // A real default registry is offered as the value; without one the example is only a
    // placeholder, so nothing pushes to a registry that does not exist.
    const values = await this._askForm(
      this._trans.__('Push %1', source),
      this._trans.__('Push'),
      {
        destination: settings.defaultRegistry
          ? buildReference({ registry: settings.defaultRegistry, ...target })
          : '',
        sign: settings.signOnPush
      },
      PushFormView,
      {
        placeholder: this._trans.__(
          'e.g. %1',
          buildReference({ registry: 'ghcr.io', ...target })
        )
      }
    );
    const destination = values?.destination.trim();
    if (!values || !destination) {
      return;
    }
    await this._start(
      {
        kind: 'push',
        params: {
          reference: source,
          destination,
          ...this._policy.forReference(destination),
          ...signingParams(values)
        }
      },
      false
    );
  }

  /** Give a kit another tag (like `kit tag`). */
  async tag(kit: IKitSummary, tag?: string): Promise<void> {
    const source = kitReference(kit, tag);
    const result = await InputDialog.getText({
      title: this._trans.__('Tag %1', source),
      label: this._trans.__('New tag, or a full reference'),
      placeholder: this._trans.__('e.g. %1', 'v2'),
      okLabel: this._trans.__('Tag')
    });
    if (!result.button.accept || !result.value) {
      return;
    }
    const value = result.value.trim();
    const target =
      value.includes(':') || value.includes('/')
        ? value
        : `${storeRepository(kit.repository)}:${value}`;
    try {
      await this._model.tagKit(source, target);
    } catch (error) {
      await showErrorMessage(
        this._trans.__('The kit was not tagged'),
        errorText(error)
      );
    }
  }

  /** Remove a tag (the kit itself goes with its last tag), after confirmation. */
  async remove(kit: IKitSummary, tag?: string): Promise<void> {
    const reference = kitReference(kit, tag);
    const result = await showDialog({
      title: this._trans.__('Remove %1?', reference),
      body: this._trans.__(
        'The tag is removed from the local store; the kit goes too when this is its last tag.'
      ),
      buttons: [
        Dialog.cancelButton({ label: this._trans.__('Cancel') }),
        Dialog.warnButton({ label: this._trans.__('Remove') })
      ]
    });
    if (!result.button.accept) {
      return;
    }
    try {
      await this._model.removeKit(reference);
    } catch (error) {
      await showErrorMessage(
        this._trans.__('The kit was not removed'),
        errorText(error)
      );
    }
  }

  /**
   * Tags of a remote repository; asks for a login when the registry wants one. A loopback registry
   * is spoken to over plain HTTP unless the settings list it as a TLS registry not to verify.
   */
  async remoteTags(repository: string): Promise<IRemoteTags | null> {
    const host = registryHost(repository);
    try {
      return await this._model.remoteTags(
        repository,
        this._policy.remoteOptions(host)
      );
    } catch (error) {
      if (
        error instanceof KitlabRequestError &&
        error.code === 'auth_required'
      ) {
        if (
          await this.login(host, this._trans.__('%1 asks you to log in.', host))
        ) {
          return this.remoteTags(repository);
        }
        return null;
      }
      await showErrorMessage(
        this._trans.__('Could not list the tags'),
        errorText(error)
      );
      return null;
    }
  }

  // ---------------------------------------------------------------------------------- registries

  /** Ask for credentials and log in; true when logged in. */
  async login(host = '', message = ''): Promise<boolean> {
    let prompt = message;
    // After a failure the dialog opens again with what was typed, except the password.
    let entered: ILoginRequest = {
      host,
      username: '',
      password: '',
      plainHttp: this._policy.plainHttpByDefault(host)
    };
    for (;;) {
      const asked = await this._askForm(
        this._trans.__('Log in to a registry'),
        this._trans.__('Log in'),
        { ...entered, password: '' },
        LoginFormView,
        { message: prompt }
      );
      if (asked === null) {
        return false;
      }
      entered = asked;
      const { username, password, plainHttp } = entered;
      const currentHost = entered.host.trim();
      try {
        await this._model.login({
          host: currentHost,
          username,
          password,
          ...this._policy.remoteOptions(currentHost, plainHttp)
        });
        Notification.success(this._trans.__('Logged in to %1', currentHost), {
          autoClose: 3000
        });
        return true;
      } catch (error) {
        prompt = this._trans.__('Login failed: %1', errorText(error));
      }
    }
  }

  async logout(host: string): Promise<void> {
    try {
      await this._model.logout(host);
    } catch (error) {
      await showErrorMessage(
        this._trans.__('Could not log out'),
        errorText(error)
      );
    }
  }

  // ---------------------------------------------------------------------------------- detail views

  /** Network options for a registry host (plain HTTP for loopback, TLS verification per the settings). */
  remoteOptions(host: string): IRemoteParams {
    return this._policy.remoteOptions(host);
  }

  /** Open a job's detail view. */
  showJob(id: string): Promise<unknown> {
    return this._host.app.commands.execute(CommandIds.showJob, { id });
  }

  /** Open a kit's detail view: the local store's kit, or a registry's (`remote`, not pulled). */
  showKit(reference: string, remote = false): Promise<unknown> {
    return this._host.app.commands.execute(CommandIds.showKit, {
      reference,
      remote
    });
  }

  /** Browse a registry's repositories and tags. */
  browseRegistry(host: string): Promise<unknown> {
    return this._host.app.commands.execute(CommandIds.browseRegistry, { host });
  }

  /** Forget every job that has ended (running jobs stay). */
  async clearFinishedJobs(): Promise<void> {
    try {
      await this._model.forgetJobs(finishedJobIds(this._model.jobs));
    } catch (error) {
      await showErrorMessage(
        this._trans.__('Not every finished job was cleared'),
        errorText(error)
      );
    }
  }

  /** Push a local kit to `repository` under every tag in `tags`: one job, one upload. */
  async pushTags(
    source: string,
    repository: string,
    tags: readonly string[],
    signing: ISigningValues
  ): Promise<void> {
    const destination = `${repository}:${tags[0]}`;
    await this._start(
      {
        kind: 'push',
        params: {
          reference: source,
          destination,
          ...(tags.length > 1 ? { tags: tags.slice(1) } : {}),
          ...this._policy.forReference(destination),
          ...signingParams(signing)
        }
      },
      false
    );
  }

  /**
   * Call the registry for a detail view; when it asks for a login, ask the user and try once more.
   * Any other failure is thrown for the view to show.
   */
  async withLogin<T>(reference: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const host = registryHost(reference);
      if (
        error instanceof KitlabRequestError &&
        error.code === 'auth_required' &&
        (await this.login(host, this._trans.__('%1 asks you to log in.', host)))
      ) {
        return call();
      }
      throw error;
    }
  }

  /** Delete a tag from its registry after confirmation; true when it was deleted. */
  async deleteRemoteTag(reference: string): Promise<boolean> {
    const result = await showDialog({
      title: this._trans.__('Delete %1 from the registry?', reference),
      body: this._trans.__(
        'The tag is removed from the registry for everyone. A registry that deletes only whole kits removes it only when no other tag names the same kit.'
      ),
      buttons: [
        Dialog.cancelButton({ label: this._trans.__('Cancel') }),
        Dialog.warnButton({ label: this._trans.__('Delete') })
      ]
    });
    if (!result.button.accept) {
      return false;
    }
    try {
      await this.withLogin(reference, () =>
        deleteRemoteTag(reference, this._policy.forReference(reference))
      );
      return true;
    } catch (error) {
      await showErrorMessage(
        this._trans.__('The tag was not deleted'),
        errorText(error)
      );
      return false;
    }
  }

  // ---------------------------------------------------------------------------------- internals

  /**
   * Show a registry form dialog (Pack, Pull, Log in: `view` with `props`, the translations and the
   * registry policy); what the user entered, or null when cancelled.
   */
  private async _askForm<T, P extends object>(
    title: string,
    okLabel: string,
    values: T,
    view: FunctionComponent<P & IRegistryFormProps & IFormViewProps<T>>,
    props: P
  ): Promise<T | null> {
    const result = await showDialog({
      title,
      body: new FormDialogBody(values, view, {
        ...props,
        trans: this._trans,
        policy: this._policy
      }),
      buttons: [
        Dialog.cancelButton({ label: this._trans.__('Cancel') }),
        Dialog.okButton({ label: okLabel })
      ]
    });
    return result.button.accept && result.value !== null ? result.value : null;
  }

  /** Whether a path exists in the server's contents (a 404 means it does not). */
  private async _exists(path: string): Promise<boolean> {
    try {
      await this._host.app.serviceManager.contents.get(path, {
        content: false
      });
      return true;
    } catch {
      return false;
    }
  }

  private async _askPackValues(
    session: KitfileSession,
    push: boolean,
    notebook: string | undefined
  ): Promise<IPackValues | null> {
    const folder = session.folder;
    const settings = this._host.settings();
    const remembered = await this._rememberedReference(folder);
    const draftName = session.draft?.package?.name;
    const folderName = folder.split('/').filter(Boolean).pop() ?? 'modelkit';
    let values: IPackValues = {
      registry: remembered?.registry ?? settings.defaultRegistry,
      repository:
        remembered?.repository ??
        (settings.defaultRepository ||
          repositoryFromName(draftName || folderName)),
      // Never a silent `latest`: the package version, the last tag used, or the user types one.
      tag: remembered?.tag ?? (session.draft?.package?.version || ''),
      compression: settings.compression,
      push,
      plainHttp: false,
      sign: settings.signOnPush,
      modelPack: false
    };
    values.plainHttp = this._policy.plainHttpByDefault(values.registry);
    // The saved Kitfile's plan names the files of secrets a pack would stop on (null if unknown).
    const plan = await getPlan(folder).catch(() => null);
    // Start is disabled while the dialog shows a problem (targetProblems); what it returns is checked
    // again with the same function, so an invalid reference never becomes a job.
    for (;;) {
      const asked = await this._askForm(
        push
          ? this._trans.__('Pack & push ModelKit')
          : this._trans.__('Pack ModelKit'),
        this._trans.__('Start'),
        values,
        PackFormView,
        { savesKitfile: session.dirty, plan, notebook }
      );
      if (asked === null) {
        return null;
      }
      values = asked;
      if (packValuesValid(values)) {
        break;
      }
    }
    await this._host.state?.save(STATE_PREFIX + folder, {
      registry: values.registry.trim(),
      repository: values.repository.trim(),
      tag: values.tag.trim()
    });
    return values;
  }

  private async _rememberedReference(
    folder: string
  ): Promise<{ registry: string; repository: string; tag: string } | null> {
    const saved = (await this._host.state?.fetch(STATE_PREFIX + folder)) as
      ReadonlyJSONObject | undefined;
    if (
      saved &&
      typeof saved.registry === 'string' &&
      typeof saved.repository === 'string' &&
      typeof saved.tag === 'string'
    ) {
      return {
        registry: saved.registry,
        repository: saved.repository,
        tag: saved.tag
      };
    }
    return null;
  }

  private async _start(
    request: JobRequest,
    openNotebook: boolean,
    lineageInModel?: string
  ): Promise<void> {
    // A short job can end before its POST answers; `_onJobFinished` waits for this registration.
    const registered = this._model.startJob(request).then(job => {
      this._started.set(job.id, { request, openNotebook, lineageInModel });
      return job;
    });
    this._starting = this._starting
      .then(() => registered)
      .catch(() => undefined);
    try {
      await registered;
      this._host.showTab('jobs');
    } catch (error) {
      if (
        error instanceof KitlabRequestError &&
        error.code === 'auth_required'
      ) {
        const host = jobRegistry(request);
        if (
          await this.login(host, this._trans.__('%1 asks you to log in.', host))
        ) {
          await this._start(request, openNotebook);
        }
        return;
      }
      await showErrorMessage(
        this._trans.__('The job did not start'),
        errorText(error)
      );
    }
  }

  private async _onJobFinished(job: IJob): Promise<void> {
    await this._starting;
    const started = this._started.get(job.id);
    this._started.delete(job.id);
    const reference = jobReference(job);
    if (job.state === 'succeeded') {
      void this._model.refreshKits();
      const notebook = jobNotebook(job);
      if (started?.openNotebook && notebook) {
        void this.openNotebook(notebook);
      }
      if (job.kind === 'push' || job.kind === 'pack-push') {
        this._showLineage(job, notebook, started?.lineageInModel);
      }
      const actions: Notification.IAction[] = [];
      if (reference) {
        actions.push({
          label: this._trans.__('Copy reference'),
          callback: () => Clipboard.copyToSystem(reference)
        });
      }
      if (notebook) {
        actions.push({
          label: this._trans.__('Open notebook'),
          callback: () => void this.openNotebook(notebook)
        });
      }
      if (reference && job.kind !== 'unpack') {
        // A pack & push writes nothing locally: its kit is the registry's, shown without pulling.
        const remote = job.kind === 'pack-push' || job.kind === 'push';
        actions.push({
          label: remote
            ? this._trans.__('Show the kit')
            : this._trans.__('Show in kits'),
          callback: () => void this.showKit(reference, remote)
        });
      }
      Notification.success(
        this._trans.__(
          '%1 finished: %2',
          jobKindLabel(jobVerb(job), this._trans),
          jobSubject(job)
        ),
        { autoClose: 8000, actions }
      );
      return;
    }
    if (
      job.state === 'failed' &&
      job.error?.code === 'auth_required' &&
      started
    ) {
      const host = jobRegistry(started.request);
      const loggedIn = await this.login(
        host,
        job.error.message || this._trans.__('%1 asks you to log in.', host)
      );
      if (loggedIn) {
        await this._start(started.request, started.openNotebook);
      }
      return;
    }
    if (job.state === 'failed' || job.state === 'interrupted') {
      Notification.error(
        this._trans.__(
          '%1 %2 failed: %3',
          jobKindLabel(jobVerb(job), this._trans),
          jobSubject(job),
          job.error?.message ?? job.state
        ),
        {
          autoClose: false,
          actions: [
            {
              label: this._trans.__('Details'),
              callback: () => void this.showJob(job.id)
            }
          ]
        }
      );
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

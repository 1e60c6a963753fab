/**
 * One open Kitfile's editing state, behind the main-area Kitfile editor. The document's text, held by
 * JupyterLab's document model (`context.model`), is the only truth: the YAML tab edits it directly,
 * form edits are laid into it by the server (comments kept), and saving is `context.save()`, so
 * JupyterLab's own "file changed on disk" check guards every write. Nothing here writes the file.
 */
import { PathExt } from '@jupyterlab/coreutils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { Contents } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { Debouncer, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import * as api from '../api';
import { dropPath, moveEntry, sameKitfile } from '../draft';
import { hasErrors } from '../problems';
import { failed } from '../model';
import {
  EditorMode,
  EntryKind,
  IKitfile,
  IKitfileSchema,
  IPackPlan,
  IProblem,
  IScanEntry,
  IScanReport,
  IValidation,
  Loadable
} from '../tokens';

/** Validation waits this long after the last keystroke or form edit. */
const VALIDATE_DELAY_MS = 400;
/** While the editor is shown, the file on disk is compared with the one loaded this often. */
const DISK_POLL_MS = 3000;

/**
 * What a newer file on disk means for the editor: nothing when the loaded one is as new; with unsaved
 * edits, a warning (a save asks first); without them, load it.
 */
export function diskAction(
  loaded: string,
  onDisk: string | undefined,
  dirty: boolean
): 'none' | 'warn' | 'reload' {
  if (onDisk === undefined || Date.parse(onDisk) <= Date.parse(loaded)) {
    return 'none';
  }
  return dirty ? 'warn' : 'reload';
}

/** What one check of the editor's text changes (see `KitfileSession._validate`). */
export interface ICheckOutcome {
  /** The text the problems and the form now describe. */
  checkedText: string;
  /** The server's text to put in the editor (a form edit laid into it), or null to keep the text. */
  newText: string | null;
  /** The form's values read from the text; undefined after a form edit (the form already has them). */
  draft?: IKitfile | null;
  /** Show the YAML tab: the file did not parse when it was first opened (it is never replaced). */
  toYaml: boolean;
}

/**
 * A form edit sent as values comes back as text laid into the user's (comments kept), which replaces
 * the editor's when it differs; a text edit is parsed into the form's values.
 */
export function checkOutcome(
  sent: { text: string; fromForm: boolean; firstCheck: boolean },
  result: IValidation
): ICheckOutcome {
  if (sent.fromForm) {
    const laid =
      typeof result.text === 'string' && result.text !== sent.text
        ? result.text
        : null;
    return { checkedText: laid ?? sent.text, newText: laid, toYaml: false };
  }
  return {
    checkedText: sent.text,
    newText: null,
    draft: result.kitfile ?? null,
    toYaml: sent.firstCheck && !result.kitfile
  };
}

/** The schema is the same for every Kitfile: fetched once per page. */
let schemaRequest: Promise<IKitfileSchema> | null = null;

export class KitfileSession implements IDisposable {
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
  private _scan: Loadable<IScanReport> = { status: 'idle' };
  private _schema: Loadable<IKitfileSchema> = { status: 'idle' };
  private _plan: Loadable<IPackPlan> = { status: 'idle' };
  private _draft: IKitfile | null = null;
  private _problems: IProblem[] = [];
  private _validating = true;
  private _mode: EditorMode = 'form';
  /** The text the last validation read (problems and the draft describe it). */
  private _checkedText: string | null = null;
  /** Set from a form edit until it is laid into the text. */
  private _formPending = false;
  private _seq = 0;
  /** The file on disk is newer than the one loaded and there are unsaved edits. */
  private _diskChanged = false;
  private _validateSoon = new Debouncer(
    () => this._validate(),
    VALIDATE_DELAY_MS
  );
  private _diskPoll: Poll;

  constructor(
    readonly context: DocumentRegistry.CodeContext,
    private readonly _contents: Contents.IManager,
    options: { autoScan: boolean }
  ) {
    this.folder = PathExt.dirname(context.path);
    context.model.contentChanged.connect(this._onContentChanged, this);
    context.fileChanged.connect(this._onFileChanged, this);
    this._diskPoll = new Poll({
      auto: false,
      factory: () => this.checkDisk(),
      frequency: { interval: DISK_POLL_MS, backoff: false },
      name: 'kitlab:kitfile-disk',
      standby: 'when-hidden'
    });
    void this._loadSchema();
    void context.ready.then(async () => {
      await this._validate();
      void this._diskPoll.start();
    });
    if (options.autoScan) {
      void this.scanFolder();
    }
  }

  /** The folder the Kitfile is in ('' = the server root): what gets packed. */
  readonly folder: string;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._validateSoon.dispose();
    this._diskPoll.dispose();
    Signal.clearData(this);
  }

  get text(): string {
    return this.context.model.toString();
  }

  /** Unsaved edits (the document model's own flag; a pending form edit counts too). */
  get dirty(): boolean {
    return this.context.model.dirty || this._formPending;
  }

  get scan(): Loadable<IScanReport> {
    return this._scan;
  }

  get schema(): Loadable<IKitfileSchema> {
    return this._schema;
  }

  get plan(): Loadable<IPackPlan> {
    return this._plan;
  }

  /** The Kitfile's values for the form; null while the text does not parse. */
  get draft(): IKitfile | null {
    return this._draft;
  }

  get problems(): readonly IProblem[] {
    return this._problems;
  }

  get validating(): boolean {
    return this._validating;
  }

  get mode(): EditorMode {
    return this._mode;
  }

  /** The text has been checked once: until then the form has nothing to show. */
  get checked(): boolean {
    return this._checkedText !== null;
  }

  get diskChanged(): boolean {
    return this._diskChanged;
  }

  /** Nothing stops a pack: the text parses, was checked as it is, and has no errors. */
  get packable(): boolean {
    return (
      this._draft !== null &&
      !this._validating &&
      !this._formPending &&
      !hasErrors(this._problems)
    );
  }

  setMode(mode: EditorMode): void {
    this._mode = mode;
    this._emit();
  }

  /** The form changed: lay the values into the text shortly (the server keeps the comments). */
  setDraft(kitfile: IKitfile): void {
    // rjsf reports a change when it first fills in defaults; that is not an edit.
    if (sameKitfile(kitfile, this._draft)) {
      this._draft = kitfile;
      return;
    }
    this._draft = kitfile;
    this._formPending = true;
    // A check of the text still on its way describes the text before this edit: drop its answer.
    this._seq++;
    this._plan = { status: 'idle' };
    this._emit();
    this._validateSoon.invoke().catch(() => undefined);
  }

  moveEntry(entry: IScanEntry, kind: EntryKind): void {
    if (this._draft !== null) {
      this.setDraft(moveEntry(this._draft, entry, kind));
    }
  }

  dropEntry(entry: IScanEntry): void {
    if (this._draft !== null) {
      this.setDraft(dropPath(this._draft, entry.path));
    }
  }

  /** Validate now and lay a pending form edit into the text (before a save, a pack, a tab switch). */
  async flush(): Promise<void> {
    void this._validateSoon.stop();
    if (this._formPending || this._checkedText !== this.text) {
      await this._validate();
    }
  }

  /** Save through JupyterLab's document context (it asks when the file changed on disk). */
  async save(): Promise<void> {
    await this.flush();
    await this.context.save();
    this._diskChanged = false;
    this._emit();
  }

  /** Put `text` in the editor (not saved); returns the text it replaced, for an undo. */
  replaceText(text: string): string {
    const previous = this.text;
    this._setText(text);
    return previous;
  }

  /** The text the scan's draft would give, laid into the current text where it parses. */
  async scanDraftText(): Promise<string | null> {
    if (this._scan.status !== 'ready') {
      return null;
    }
    const result = await api.validateKitfile(this.folder, {
      kitfile: this._scan.value.kitfile,
      ...(this._draft !== null ? { original: this.text } : {})
    });
    return result.text ?? null;
  }

  async scanFolder(): Promise<void> {
    this._scan = { status: 'loading' };
    this._emit();
    try {
      this._scan = { status: 'ready', value: await api.scan(this.folder) };
    } catch (error) {
      this._scan = failed(error);
    }
    this._emit();
  }

  /** The layers as packing would write them from the saved Kitfile. */
  async loadPlan(): Promise<void> {
    this._plan = { status: 'loading' };
    this._emit();
    try {
      this._plan = { status: 'ready', value: await api.getPlan(this.folder) };
    } catch (error) {
      this._plan = failed(error);
    }
    this._emit();
  }

  /** Reload from disk (the user chose to drop unsaved edits). */
  async revert(): Promise<void> {
    await this.context.revert();
    this._diskChanged = false;
    this._emit();
  }

  /**
   * Compare the file on disk with the one loaded: without unsaved edits a newer file is loaded (the
   * editor shows what is on disk); with them the editor says so, and a save asks first.
   */
  async checkDisk(): Promise<void> {
    const loaded = this.context.contentsModel?.last_modified;
    if (this._isDisposed || !loaded) {
      return;
    }
    let onDisk: string | undefined;
    try {
      onDisk = (await this._contents.get(this.context.path, { content: false }))
        .last_modified;
    } catch {
      return; // Deleted or unreachable: JupyterLab's save reports it.
    }
    const action = diskAction(loaded, onDisk, this.dirty);
    if (action === 'warn' && !this._diskChanged) {
      this._diskChanged = true;
      this._emit();
    } else if (action === 'reload') {
      await this.context.revert();
    }
  }

  private async _loadSchema(): Promise<void> {
    this._schema = { status: 'loading' };
    try {
      schemaRequest ??= api.getSchema();
      this._schema = { status: 'ready', value: await schemaRequest };
    } catch (error) {
      schemaRequest = null;
      this._schema = failed(error);
    }
    this._emit();
  }

  private _onContentChanged(): void {
    if (this.text === this._checkedText) {
      return; // our own form edit, laid into the text
    }
    this._plan = { status: 'idle' };
    this._validating = true;
    this._emit();
    this._validateSoon.invoke().catch(() => undefined);
  }

  private _onFileChanged(): void {
    // Saved or reloaded: the plan reads the file on disk, so it may have changed.
    this._plan = { status: 'idle' };
    this._emit();
  }

  /**
   * Check what the editor holds. A form edit is sent as values with the current text as the layout
   * to keep; the server's text then replaces the document's. Text edits are parsed into the form.
   */
  private async _validate(): Promise<void> {
    const seq = ++this._seq;
    const text = this.text;
    const fromForm = this._formPending && this._draft !== null;
    this._validating = true;
    this._emit();
    try {
      const result = await api.validateKitfile(
        this.folder,
        fromForm ? { kitfile: this._draft ?? {}, original: text } : { text }
      );
      if (seq !== this._seq || this._isDisposed) {
        return;
      }
      this._problems = result.problems;
      const outcome = checkOutcome(
        { text, fromForm, firstCheck: this._checkedText === null },
        result
      );
      if (fromForm) {
        this._formPending = false;
      }
      if (outcome.toYaml) {
        // A file that does not parse opens where its problems have lines (never replaced).
        this._mode = 'yaml';
      }
      if (outcome.draft !== undefined) {
        this._draft = outcome.draft;
      }
      this._checkedText = outcome.checkedText;
      if (outcome.newText !== null) {
        this._setText(outcome.newText);
      }
    } catch (error) {
      if (seq !== this._seq) {
        return;
      }
      this._problems = [
        { path: '', message: (error as Error).message, severity: 'error' }
      ];
    }
    this._validating = false;
    this._emit();
  }

  /** Replace the document's text as an edit (unsaved): only the editors' own typing sets the flag. */
  private _setText(text: string): void {
    this.context.model.fromString(text);
    this.context.model.dirty = true;
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }
}

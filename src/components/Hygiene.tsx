import { Dialog, showDialog } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { Drive } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { writeKitignore } from '../api';
import { formatBytes } from '../format';
import { IExternalIO, IKitignoreWritten } from '../tokens';

/** A file that looks like a secret: where, and what kinds of secret were found in it. */
export interface ISecretFile {
  path: string;
  kinds: string[];
  /** Where the first one is, e.g. "line 3" or "cell 2, line 1" ('' when the name decided). */
  where: string;
}

type WriteState =
  | { status: 'idle' }
  | { status: 'writing' }
  | { status: 'written'; written: IKitignoreWritten }
  | { status: 'failed'; message: string };

/**
 * Files of secrets a kit would carry (or the folder holds), named, never quoted; one per file however
 * many secrets it holds. "Write .kitignore" adds them to the folder's .kitignore on the server, merged
 * with the file as it is then (every line the user wrote stays), after a preview of the result.
 */
export function SecretsNotice(props: {
  folder: string;
  secrets: ISecretFile[];
  /** The .kitignore the write would leave (the server's preview), or '' when not known. */
  preview: string;
  /** What happens to them if nothing is done. */
  consequence: string;
  trans: TranslationBundle;
  onWritten?: (written: IKitignoreWritten) => void;
}): JSX.Element | null {
  const { trans, secrets } = props;
  const [state, setState] = React.useState<WriteState>({ status: 'idle' });
  const write = async (): Promise<void> => {
    setState({ status: 'writing' });
    try {
      const written = await writeKitignore(
        props.folder,
        secrets.map(secret => secret.path)
      );
      setState({ status: 'written', written });
      props.onWritten?.(written);
    } catch (error) {
      setState({
        status: 'failed',
        message: error instanceof Error ? error.message : String(error)
      });
    }
  };
  return (
    <PathsNote
      testId="kitlab-secrets-warning"
      role="status"
      heading={trans._n(
        '%1 file looks like it holds secrets:',
        '%1 files look like they hold secrets:',
        secrets.length
      )}
      items={secrets}
      note={secret => (
        <>
          {' — '}
          {secret.kinds.join(', ')}
          {secret.where && (
            <span className="jp-kitlab-muted"> ({secret.where})</span>
          )}
        </>
      )}
    >
      <p>{props.consequence}</p>
      {props.preview && (
        <details>
          <summary>{trans.__('Preview of .kitignore after the write')}</summary>
          <pre
            className="jp-kitlab-kitignore"
            data-testid="kitlab-kitignore-preview"
          >
            {props.preview}
          </pre>
        </details>
      )}
      {state.status === 'written' ? (
        <p className="jp-kitlab-note-ok" data-testid="kitlab-kitignore-written">
          {state.written.added.length > 0
            ? trans._n(
                '%2 now leaves out %1 more file.',
                '%2 now leaves out %1 more files.',
                state.written.added.length,
                state.written.path
              )
            : trans.__('%1 already left them out.', state.written.path)}
        </p>
      ) : (
        <button
          className="jp-mod-styled jp-mod-accept jp-kitlab-button"
          disabled={state.status === 'writing'}
          onClick={() => void write()}
        >
          {trans.__('Write .kitignore')}
        </button>
      )}
      {state.status === 'failed' && (
        <p className="jp-kitlab-field-error" role="alert">
          {trans.__('.kitignore was not written: %1', state.message)}
        </p>
      )}
    </PathsNote>
  );
}

/**
 * A note about some paths: its heading, then each path with what is said of it, then `children`.
 * A warning is shown open; a `folded` note (for the curious) opens from its heading. Nothing is shown
 * when there are no paths.
 */
function PathsNote<T extends { path: string }>(props: {
  testId: string;
  role?: string;
  folded?: boolean;
  heading: string;
  items: readonly T[];
  /** The list key, where one path may come more than once. */
  keyOf?: (item: T) => string;
  /** What follows the path in its line. */
  note: (item: T) => React.ReactNode;
  children?: React.ReactNode;
}): JSX.Element | null {
  if (props.items.length === 0) {
    return null;
  }
  const list = (
    <ul>
      {props.items.map(item => (
        <li key={props.keyOf?.(item) ?? item.path} data-path={item.path}>
          <span className="jp-kitlab-entry-path">{item.path}</span>
          {props.note(item)}
        </li>
      ))}
    </ul>
  );
  return props.folded ? (
    <details className="jp-kitlab-note" data-testid={props.testId}>
      <summary>{props.heading}</summary>
      {list}
      {props.children}
    </details>
  ) : (
    <div
      className="jp-kitlab-note jp-kitlab-warning"
      data-testid={props.testId}
      role={props.role}
    >
      <strong>{props.heading}</strong>
      {list}
      {props.children}
    </div>
  );
}

/**
 * The scanner's pinned requirements (versions from the notebooks' kernel), with "Write
 * requirements.txt" into the scanned folder; an existing file is replaced only when the user agrees.
 */
export function RequirementsNotice(props: {
  folder: string;
  text: string;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { trans, text } = props;
  const [message, setMessage] = React.useState('');
  const pins = text
    .split('\n')
    .filter(line => line.trim() && !line.startsWith('#')).length;
  if (!text.trim()) {
    return null;
  }
  const path = PathExt.join(props.folder, 'requirements.txt');
  const write = async (): Promise<void> => {
    const drive = new Drive();
    try {
      const exists = await drive
        .get(path, { content: false })
        .then(() => true)
        .catch(() => false);
      if (exists) {
        const answer = await showDialog({
          title: trans.__('Replace %1?', path),
          body: trans.__(
            'The folder has a requirements.txt already; the pinned one replaces it.'
          ),
          buttons: [
            Dialog.cancelButton({ label: trans.__('Keep mine') }),
            Dialog.warnButton({ label: trans.__('Replace') })
          ]
        });
        if (!answer.button.accept) {
          return;
        }
      }
      await drive.save(path, { type: 'file', format: 'text', content: text });
      setMessage(trans.__('Written to %1.', path));
    } catch (error) {
      setMessage(
        trans.__(
          'Not written: %1',
          error instanceof Error ? error.message : String(error)
        )
      );
    }
  };
  return (
    <details className="jp-kitlab-note" data-testid="kitlab-requirements">
      <summary>
        {trans._n(
          'Pinned requirements (%1 package)',
          'Pinned requirements (%1 packages)',
          pins
        )}
      </summary>
      <pre className="jp-kitlab-kitignore">{text}</pre>
      <button
        className="jp-mod-styled jp-kitlab-button"
        onClick={() => void write()}
      >
        {trans.__('Write requirements.txt')}
      </button>
      {message && <p role="status">{message}</p>}
    </details>
  );
}

/** Reads and writes the code makes outside the folder: they are not packed (a hub model, a URL …). */
export function ExternalIONotice(props: {
  items: IExternalIO[];
  trans: TranslationBundle;
}): JSX.Element | null {
  const { trans } = props;
  return (
    <PathsNote
      testId="kitlab-external"
      heading={trans.__(
        'Used by the code but outside this folder (not packed):'
      )}
      items={props.items}
      keyOf={item => `${item.op}:${item.path}:${item.by}`}
      note={item => (
        <>
          {' '}
          <span className="jp-kitlab-muted">
            {item.op === 'read'
              ? trans.__(
                  '(%1, read by %2)',
                  externalKind(item.kind, trans),
                  item.by
                )
              : trans.__(
                  '(%1, written by %2)',
                  externalKind(item.kind, trans),
                  item.by
                )}
          </span>
        </>
      )}
    />
  );
}

function externalKind(kind: string, trans: TranslationBundle): string {
  switch (kind) {
    case 'hub':
      return trans.__('a Hugging Face hub id');
    case 'url':
      return trans.__('a URL');
    case 'outside':
      return trans.__('outside the folder');
    default:
      return kind;
  }
}

/** What the scan left out and why (caches, environments, run logs, checkpoints). */
export function ExcludedNotice(props: {
  items: { path: string; reason: string }[];
  trans: TranslationBundle;
}): JSX.Element | null {
  return (
    <PathsNote
      testId="kitlab-excluded"
      folded
      heading={props.trans._n(
        '%1 path left out of the draft',
        '%1 paths left out of the draft',
        props.items.length
      )}
      items={props.items}
      note={item => (
        <>
          {' — '}
          <span className="jp-kitlab-muted">{item.reason}</span>
        </>
      )}
    />
  );
}

/** Code layers over 100 MB: usually data or a model that belongs in its own layer. */
export function HugeCodeNotice(props: {
  items: { path: string; size: number }[];
  trans: TranslationBundle;
}): JSX.Element | null {
  const { trans, items } = props;
  if (items.length === 0) {
    return null;
  }
  return (
    <ul
      className="jp-kitlab-note jp-kitlab-warning"
      data-testid="kitlab-huge-code"
    >
      {items.map(item => (
        <li key={item.path}>
          {trans.__(
            'The code layer %1 is %2: move its data or models to a dataset or model entry, or leave them out with .kitignore.',
            item.path,
            formatBytes(item.size)
          )}
        </li>
      ))}
    </ul>
  );
}

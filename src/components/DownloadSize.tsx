import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { getKit, inspectRemote } from '../api';
import { kitSize } from '../details';
import { formatBytes } from '../format';
import { isLocalRegistry, parseReference, registryHost } from '../reference';
import type { RegistryPolicy } from '../registryOptions';

/** Wait this long after the last keystroke before asking the registry. */
const INSPECT_DELAY_MS = 600;

/**
 * What a pull will download, read from the registry's manifest before anything is pulled: the kit's
 * size (the sum of its layers, as everywhere in kitlab). A kit already in the local store is unpacked
 * from there (Kits tab → Open in notebook, or a kit pulled before): nothing to download, and the
 * registry is not asked. `onStored` learns which of the two it is (the dialog hides what only
 * matters for a download).
 */
export function DownloadSize(props: {
  reference: string;
  plainHttp: boolean;
  policy: RegistryPolicy;
  trans: TranslationBundle;
  onStored: (stored: boolean) => void;
}): JSX.Element | null {
  const { trans, policy, plainHttp, onStored } = props;
  const reference = props.reference.trim();
  const parsed = parseReference(reference);
  const named =
    parsed.repository !== '' && (parsed.tag !== '' || parsed.digest !== '');
  const remote = named && !isLocalRegistry(registryHost(reference));
  const [text, setText] = React.useState('');
  React.useEffect(() => {
    setText('');
    if (!named) {
      onStored(false);
      return;
    }
    let current = true;
    const show = (shown: string): void => {
      if (current) {
        setText(shown);
      }
    };
    const askRegistry = (): void => {
      if (current) {
        onStored(false);
      }
      if (!remote) {
        show('');
        return;
      }
      inspectRemote(reference, policy.forReference(reference, plainHttp)).then(
        detail => {
          const layers = detail.manifest.layers?.length ?? 0;
          show(
            trans._n(
              'Download: %2 (%1 layer)',
              'Download: %2 (%1 layers)',
              layers,
              formatBytes(kitSize(detail.manifest))
            )
          );
        },
        (error: unknown) => {
          show(
            trans.__(
              'Size not known yet: %1',
              error instanceof Error ? error.message : String(error)
            )
          );
        }
      );
    };
    const timer = window.setTimeout(() => {
      show(trans.__('Reading the kit’s size…'));
      getKit(reference).then(detail => {
        if (current) {
          onStored(true);
        }
        show(
          trans.__(
            'In the local store: nothing to download (%1)',
            formatBytes(kitSize(detail.manifest))
          )
        );
      }, askRegistry);
    }, INSPECT_DELAY_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [reference, plainHttp, named, remote, policy, trans, onStored]);
  return text ? (
    <p className="jp-kitlab-muted" data-testid="kitlab-pull-size">
      {text}
    </p>
  ) : null;
}

import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { inspectRemote } from '../api';
import { kitSize } from '../details';
import { formatBytes } from '../format';
import { isLocalRegistry, parseReference, registryHost } from '../reference';
import type { RegistryPolicy } from '../registryOptions';

/** Wait this long after the last keystroke before asking the registry. */
const INSPECT_DELAY_MS = 600;

/**
 * What a pull will download, read from the registry's manifest before anything is pulled: the kit's
 * size (the sum of its layers, as everywhere in kitlab). Nothing for a kit of the local store.
 */
export function DownloadSize(props: {
  reference: string;
  plainHttp: boolean;
  policy: RegistryPolicy;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { trans, policy, plainHttp } = props;
  const reference = props.reference.trim();
  const parsed = parseReference(reference);
  const remote =
    !isLocalRegistry(registryHost(reference)) &&
    parsed.repository !== '' &&
    (parsed.tag !== '' || parsed.digest !== '');
  const [text, setText] = React.useState('');
  React.useEffect(() => {
    setText('');
    if (!remote) {
      return;
    }
    let current = true;
    const timer = window.setTimeout(() => {
      setText(trans.__('Reading the kit’s size…'));
      inspectRemote(reference, policy.forReference(reference, plainHttp)).then(
        detail => {
          if (current) {
            const layers = detail.manifest.layers?.length ?? 0;
            setText(
              trans._n(
                'Download: %2 (%1 layer)',
                'Download: %2 (%1 layers)',
                layers,
                formatBytes(kitSize(detail.manifest))
              )
            );
          }
        },
        (error: unknown) => {
          if (current) {
            setText(
              trans.__(
                'Size not known yet: %1',
                error instanceof Error ? error.message : String(error)
              )
            );
          }
        }
      );
    }, INSPECT_DELAY_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [reference, plainHttp, remote, policy, trans]);
  return text ? (
    <p className="jp-kitlab-muted" data-testid="kitlab-pull-size">
      {text}
    </p>
  ) : null;
}

import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { shortDigest } from '../format';
import { registryHost } from '../reference';
import { remoteOptions } from '../registryOptions';
import type { IKitSummary, IRemoteParams } from '../tokens';
import {
  digestReference,
  getVerdict,
  IProvenance,
  ISbom,
  ISbomComponent,
  IVerdict
} from '../trustApi';

/** Verdicts already fetched, per kit digest reference: the badge survives the list's redraws. */
const verdicts = new Map<string, IVerdict>();

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A kit's signature verdict (docs/trust.md, "In JupyterLab"): a Verify action that asks the server
 * (which checks the registry with the trusted keys and your own, and caches per digest), then a badge —
 * verified by KEY, unsigned, or invalid — and, once verified, the SBOM and provenance view.
 */
export function TrustBadge(props: {
  kit: IKitSummary;
  /** The network options for a registry host (plain HTTP, TLS checks), as the dialogs use them;
   * by default the loopback rule alone (plain HTTP for a local test registry). */
  remoteOptions?: (host: string) => IRemoteParams;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { kit, trans } = props;
  const reference = digestReference(kit);
  const [verdict, setVerdict] = React.useState<IVerdict | null>(
    reference ? (verdicts.get(reference) ?? null) : null
  );
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState('');
  if (reference === null) {
    return null;
  }
  const check = async (refresh: boolean): Promise<void> => {
    setBusy(true);
    setError('');
    try {
      const host = registryHost(reference);
      const options = props.remoteOptions
        ? props.remoteOptions(host)
        : remoteOptions(host, []);
      const found = await getVerdict(reference, options, refresh);
      verdicts.set(reference, found);
      setVerdict(found);
    } catch (failure) {
      setError(message(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="jp-kitlab-trust" data-state={verdict?.state ?? 'unknown'}>
      {verdict && <VerdictChip verdict={verdict} trans={trans} />}
      <button
        className="jp-mod-styled jp-kitlab-button"
        disabled={busy}
        onClick={() =>
          verdict?.state === 'verified'
            ? void showTrustReport(verdict, trans)
            : void check(verdict !== null)
        }
      >
        {busy
          ? trans.__('Verifying…')
          : verdict?.state === 'verified'
            ? trans.__('SBOM and provenance…')
            : verdict
              ? trans.__('Verify again')
              : trans.__('Verify signature')}
      </button>
      {error && (
        <span className="jp-kitlab-error-text" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

/** verified by KEY / unsigned / invalid, with why on hover. */
export function VerdictChip(props: {
  verdict: IVerdict;
  trans: TranslationBundle;
}): JSX.Element {
  const { verdict, trans } = props;
  const text =
    verdict.state === 'verified'
      ? trans.__('verified by %1', verdict.key)
      : verdict.state === 'unsigned'
        ? trans.__('unsigned')
        : trans.__('invalid signature');
  return (
    <span
      className={`jp-kitlab-chip jp-kitlab-verdict jp-kitlab-verdict-${verdict.state}`}
      title={
        verdict.state === 'verified'
          ? `${verdict.fingerprint} · ${verdict.digest}`
          : verdict.message
      }
    >
      {text}
    </span>
  );
}

/** The verified view in a dialog. */
export function showTrustReport(
  verdict: IVerdict,
  trans: TranslationBundle
): Promise<unknown> {
  return showDialog({
    title: trans.__('Signed SBOM and provenance'),
    body: <TrustReport verdict={verdict} trans={trans} />,
    buttons: [Dialog.okButton({ label: trans.__('Close') })]
  });
}

function prop(component: ISbomComponent, name: string): string {
  return component.properties?.find(p => p.name === name)?.value ?? '';
}

function sha256(component: ISbomComponent): string {
  return component.hashes?.find(h => h.alg === 'SHA-256')?.content ?? '';
}

/**
 * What a verified kit says about itself, readable: the signer, the model, the layers and every file
 * with its digest, the other components, and what produced it (notebook cells, git commit, Python).
 * Exported so a kit's detail view can embed it.
 */
export function TrustReport(props: {
  verdict: IVerdict;
  trans: TranslationBundle;
}): JSX.Element {
  const { verdict, trans } = props;
  return (
    <div className="jp-kitlab-trust-report">
      <p>
        <VerdictChip verdict={verdict} trans={trans} />{' '}
        <code title={verdict.digest}>{shortDigest(verdict.digest)}</code>
      </p>
      {verdict.state === 'verified' ? (
        <p className="jp-kitlab-muted">
          {trans.__(
            '%1 signature(s) by the key %2 (%3) cover exactly this digest.',
            verdict.signatures,
            verdict.key,
            verdict.fingerprint
          )}
        </p>
      ) : (
        <p className="jp-kitlab-error-text">{verdict.message}</p>
      )}
      {verdict.provenance ? (
        <ProvenanceView provenance={verdict.provenance} trans={trans} />
      ) : (
        <p className="jp-kitlab-muted">
          {trans.__('No provenance signed by this key is attached.')}
        </p>
      )}
      {verdict.sbom ? (
        <SbomView sbom={verdict.sbom} trans={trans} />
      ) : (
        <p className="jp-kitlab-muted">
          {trans.__('No SBOM signed by this key is attached.')}
        </p>
      )}
    </div>
  );
}

function ProvenanceView(props: {
  provenance: IProvenance;
  trans: TranslationBundle;
}): JSX.Element {
  const { provenance, trans } = props;
  const build = provenance.buildDefinition ?? {};
  const internal = build.internalParameters ?? {};
  const git = (build.resolvedDependencies ?? []).find(
    d => 'gitCommit' in d.digest
  );
  const run = provenance.runDetails ?? {};
  return (
    <section aria-label={trans.__('Provenance')}>
      <h3 className="jp-kitlab-section-title">
        {trans.__('What produced it')}
      </h3>
      <ul className="jp-kitlab-facts">
        {git && (
          <li>
            {trans.__('git commit')} <code>{git.digest.gitCommit}</code>{' '}
            {git.annotations?.dirty
              ? trans.__('(with uncommitted changes)')
              : trans.__('(clean tree)')}
          </li>
        )}
        {internal.python && <li>{trans.__('Python %1', internal.python)}</li>}
        {(internal.kernels ?? []).map(kernel => (
          <li key={kernel.name}>
            {trans.__('kernel %1', kernel.name)}
            {kernel.python ? ` (Python ${kernel.python})` : ''}
          </li>
        ))}
        {run.builder?.id && (
          <li>
            {trans.__('packed by %1', run.builder.id)}
            {run.metadata?.startedOn ? ` · ${run.metadata.startedOn}` : ''}
          </li>
        )}
      </ul>
      {(internal.artifacts ?? []).length > 0 && (
        <table className="jp-kitlab-table" aria-label={trans.__('Produced by')}>
          <thead>
            <tr>
              <th>{trans.__('Artifact')}</th>
              <th>{trans.__('Written by')}</th>
            </tr>
          </thead>
          <tbody>
            {(internal.artifacts ?? []).map(artifact => (
              <tr key={artifact.path}>
                <td>
                  <code>{artifact.path}</code>
                </td>
                <td>
                  {artifact.producedBy.map((by, index) => (
                    <div key={index} title={by.code}>
                      <code>{by.source}</code>{' '}
                      {by.cell !== undefined
                        ? by.executionCount !== undefined
                          ? trans.__('cell %1 [%2]', by.cell, by.executionCount)
                          : trans.__('cell %1', by.cell)
                        : trans.__('line %1', by.line ?? 0)}{' '}
                      <span className="jp-kitlab-muted">
                        sha256 {by.sha256.slice(0, 12)}…
                      </span>
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function SbomView(props: {
  sbom: ISbom;
  trans: TranslationBundle;
}): JSX.Element {
  const { sbom, trans } = props;
  const components = sbom.components ?? [];
  const model = components.find(c => c.type === 'machine-learning-model');
  const layers = components.filter(
    c => c.name.startsWith('layer ') && !c['bom-ref']?.startsWith('file:')
  );
  const files = components.filter(c => c['bom-ref']?.startsWith('file:'));
  const others = components.filter(
    c =>
      c.type === 'data' ||
      c.type === 'library' ||
      (c.type === 'file' && !layers.includes(c) && !files.includes(c))
  );
  const facts = model
    ? [
        'framework',
        'format',
        'precision',
        'paramSize',
        'quantization',
        'architecture'
      ]
        .map(key => [key, prop(model, `kitops:${key}`)])
        .filter(([, value]) => value)
    : [];
  return (
    <section aria-label={trans.__('SBOM')}>
      <h3 className="jp-kitlab-section-title">{trans.__('Model')}</h3>
      {model ? (
        <p>
          <span className="jp-kitlab-kit-name">{model.name}</span>{' '}
          {facts.map(([key, value]) => (
            <span key={key} className="jp-kitlab-chip" title={key}>
              {value}
            </span>
          ))}
        </p>
      ) : (
        <p className="jp-kitlab-muted">{trans.__('No model entry.')}</p>
      )}
      <h3 className="jp-kitlab-section-title">{trans.__('Layers')}</h3>
      <table className="jp-kitlab-table" aria-label={trans.__('Layers')}>
        <tbody>
          {layers.map(layer => (
            <tr key={layer.name}>
              <td>{layer.name}</td>
              <td className="jp-kitlab-muted">
                {prop(layer, 'kitops:layer-size')} B
              </td>
              <td>
                <code title={sha256(layer)}>
                  sha256:{sha256(layer).slice(0, 12)}…
                </code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <details>
        <summary>
          {trans.__('%1 files with their SHA-256', files.length)}
        </summary>
        <table className="jp-kitlab-table" aria-label={trans.__('Files')}>
          <tbody>
            {files.map(file => (
              <tr key={file['bom-ref']}>
                <td>
                  <code>{file.name}</code>
                </td>
                <td>
                  <code title={sha256(file)}>{sha256(file).slice(0, 16)}…</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      {others.length > 0 && (
        <>
          <h3 className="jp-kitlab-section-title">{trans.__('Components')}</h3>
          <ul className="jp-kitlab-facts">
            {others.map(component => (
              <li key={component['bom-ref'] ?? component.name}>
                <span className="jp-kitlab-chip">{component.type}</span>{' '}
                {component.name}
                {component.version ? ` ${component.version}` : ''}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

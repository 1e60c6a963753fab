/**
 * The panel's model against a real Jupyter server with kitlab: the job, kit and registry lists
 * (a pack of a scanned folder's drafted Kitfile), observed through the model's state and signals as
 * the views see them. The Kitfile editor's own flow is driven in Chromium (ui-tests/tests/editor.spec.ts).
 */
import * as fs from 'fs';
import * as path from 'path';

import * as api from '../api';
import { failed, KitlabModel } from '../model';
import { IJob } from '../tokens';
import { safetensors, useJupyterServer } from './support/jupyterServer';

const server = useJupyterServer({
  'iris/model.safetensors': safetensors([0.25, 0.5, 0.75]),
  'iris/data/train.csv': 'sepal,petal,label\n5.1,1.4,setosa\n',
  'iris/README.md': '# Iris\n'
});
let model: KitlabModel;

/** Resolve once `predicate` holds, re-checked on every signal of the model. */
function until(
  predicate: () => boolean,
  what: string,
  timeoutMs = 30_000
): Promise<void> {
  const signals = [
    model.connectionChanged,
    model.jobsChanged,
    model.kitsChanged,
    model.registriesChanged
  ];
  return new Promise((resolve, reject) => {
    const stop = () => {
      signals.forEach(signal => signal.disconnect(check));
      clearTimeout(timer);
    };
    const check = () => {
      if (predicate()) {
        stop();
        resolve();
      }
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    signals.forEach(signal => signal.connect(check));
    check();
  });
}

beforeAll(async () => {
  // Older than the stat cache's window for files that may still be changing (1 s), as a user's
  // files are: a re-plan after packing can then tell them unchanged.
  await new Promise(resolve => setTimeout(resolve, 1100));
});

beforeEach(() => {
  model = new KitlabModel();
});

afterEach(() => {
  // Stops the model's job poll and validation timers.
  model.dispose();
});

describe('the kitlab model', () => {
  it('connects and reports no version mismatch', async () => {
    await model.connect();
    expect(model.connection.status).toBe('ready');
    if (model.connection.status === 'ready') {
      expect(model.connection.mismatch).toBe(null);
    }
  });

  it("writes the scan's draft, plans the layers and packs the folder", async () => {
    const { kitfile } = await api.scan('iris');
    const { text } = await api.validateKitfile('iris', { kitfile });
    fs.writeFileSync(path.join(server.root, 'iris', 'Kitfile'), text ?? '');

    const plan = await api.getPlan('iris');
    {
      expect(plan.layers.map(layer => layer.kind)).toEqual([
        'model',
        'dataset',
        'docs'
      ]);
      expect(plan.layers.every(l => !l.unchanged)).toBe(true);
    }

    const ended = new Promise<IJob>(resolve =>
      model.jobFinished.connect((_, job) => resolve(job))
    );
    const job = await model.startJob({
      kind: 'pack',
      params: { path: 'iris', reference: 'model/iris:v1' }
    });
    expect(model.jobs[0].id).toBe(job.id);
    // Without the event bus (no browser here), the model polls the running job.
    const done = await ended;
    expect(done.id).toBe(job.id);
    expect(done.state).toBe('succeeded');
    expect(done.result?.reference).toMatch(/model\/iris:v1$/);

    await model.refreshKits();
    expect(model.kits.status).toBe('ready');
    if (model.kits.status === 'ready') {
      expect(model.kits.value).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            repository: 'localhost/model/iris',
            tags: ['v1'],
            digest: done.result?.digest
          })
        ])
      );
    }

    // A second plan knows the layers are unchanged since that pack.
    const again = await api.getPlan('iris');
    expect(again.layers.every(l => l.unchanged)).toBe(true);
  });

  it('applies job events from the event bus and ignores other schemas', async () => {
    // The event may arrive after the job ended (it is a small pack): the model's poll of the job's
    // resource then brings the row back to the server's state, as it does for a late event.
    await model.refreshJobs();
    const before = model.jobs.length;
    model.handleEvent({ schema_id: 'https://example.org/other', id: 'x' });
    expect(model.jobs.length).toBe(before);
    const job = await model.startJob({
      kind: 'pack',
      params: { path: 'iris', reference: 'model/iris:v2' }
    });
    // A progress event is news for the job list only: the kit and registry lists are not told to
    // re-render.
    const emitted: string[] = [];
    model.jobsChanged.connect(() => emitted.push('jobs'));
    model.kitsChanged.connect(() => emitted.push('kits'));
    model.registriesChanged.connect(() => emitted.push('registries'));
    model.connectionChanged.connect(() => emitted.push('connection'));
    model.handleEvent({
      schema_id: 'https://events.kitlab.dev/job',
      id: job.id,
      kind: 'pack',
      state: 'running',
      stage: 'pack',
      done: 1,
      total: 4
    });
    expect(emitted).toEqual(['jobs']);
    const shown = model.jobs.find(j => j.id === job.id);
    expect(shown?.state).toBe('running');
    expect(shown?.progress.total).toBe(4);
    await until(
      () => model.jobs.find(j => j.id === job.id)?.state === 'succeeded',
      'the job to end'
    );
  });

  it('lists registries and keeps a failed login out of them', async () => {
    await model.refreshRegistries();
    expect(model.registries).toEqual({ status: 'ready', value: [] });
    await expect(
      model.login({
        host: '127.0.0.1:9',
        username: 'u',
        password: 'p',
        plainHttp: true
      })
    ).rejects.toThrow();
    await model.refreshRegistries();
    expect(model.registries).toEqual({ status: 'ready', value: [] });
  });

  it('reports a folder outside the root with its code', async () => {
    const outcome = await api.getKitfile('../elsewhere').then(
      () => failed<never>(new Error('read a folder outside the root')),
      error => failed<never>(error)
    );
    expect(outcome).toEqual(
      expect.objectContaining({ status: 'error', code: 'forbidden_path' })
    );
  });
});

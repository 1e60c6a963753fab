/**
 * The REST client against a real Jupyter server with kitlab (token authentication on): every call
 * goes over HTTP to the real handlers, which read and write a real workspace and kit store.
 */
import * as fs from 'fs';
import * as path from 'path';

import { PageConfig } from '@jupyterlab/coreutils';

import * as api from '../api';
import { IJob } from '../tokens';
import {
  safetensors,
  useJupyterServer,
  writeTree
} from './support/jupyterServer';
import { rejection } from './support/rejection';

const server = useJupyterServer({
  'iris/model.safetensors': safetensors([0.5, 1.5, 2.5, 3.5]),
  'iris/data/train.csv':
    'sepal,petal,label\n5.1,1.4,setosa\n6.2,4.5,versicolor\n',
  'iris/README.md': '# Iris\n\nA tiny classifier.\n'
});

const KITFILE = `# hand-written
manifestVersion: 1.0.0
package:
  name: iris
model:
  name: iris
  path: model.safetensors
datasets:
  - name: train
    path: data/train.csv
`;

async function finished(job: IJob): Promise<IJob> {
  let current = job;
  while (['queued', 'running', 'cancelling'].includes(current.state)) {
    await new Promise(resolve => setTimeout(resolve, 100));
    current = await api.getJob(job.id);
  }
  return current;
}

describe('the kitlab REST client', () => {
  it('reads the server version and the store it shares with kit', async () => {
    const info = await api.getVersion();
    expect(info.apiVersion).toBeGreaterThanOrEqual(1);
    expect(info.store).toBe(path.join(info.kitopsHome, 'storage'));
    expect(info.kitopsHome).toMatch(/kitlab-jest-.*kitops-home$/);
  });

  it('is refused without the right token', async () => {
    const token = PageConfig.getToken();
    PageConfig.setOption('token', 'not-the-token');
    try {
      const error = await rejection(api.getVersion());
      expect(error.status).toBe(403);
    } finally {
      PageConfig.setOption('token', token);
    }
  });

  it('scans a folder and finds the model by its content', async () => {
    const report = await api.scan('iris');
    const model = report.entries.find(entry => entry.kind === 'model');
    expect(model?.path).toBe('model.safetensors');
    expect(model?.reasons.join(' ')).toMatch(/safetensors/i);
    expect(report.kitfile.model?.path).toBe('model.safetensors');
    expect(report.entries.map(entry => [entry.kind, entry.path])).toEqual(
      expect.arrayContaining([
        ['dataset', 'data/train.csv'],
        ['docs', 'README.md']
      ])
    );
  });

  it('validates without writing, each problem on its field', async () => {
    const result = await api.validateKitfile('iris', {
      kitfile: {
        manifestVersion: '1.0.0',
        package: { name: 'iris' },
        model: { path: 'missing.bin' }
      }
    });
    expect(result.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'model.path', severity: 'error' })
      ])
    );
    expect(fs.existsSync(path.join(server.root, 'iris', 'Kitfile'))).toBe(
      false
    );
  });

  it('saves a Kitfile and reads it back with its comments', async () => {
    const saved = await api.saveKitfile('iris', { text: KITFILE });
    expect(saved.exists).toBe(true);
    expect(saved.path).toBe('iris/Kitfile');
    const read = await api.getKitfile('iris');
    expect(read.text).toBe(KITFILE);
    expect(read.kitfile?.datasets).toEqual([
      { name: 'train', path: 'data/train.csv' }
    ]);
  });

  it('refuses a Kitfile with an unknown field, naming its line', async () => {
    const error = await rejection(
      api.saveKitfile('iris', { text: `${KITFILE}    licence: MIT\n` })
    );
    expect(error.status).toBe(400);
    const problems = (
      error.details as { problems: { path: string; line: number }[] }
    ).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'datasets[0].licence', line: 11 })
      ])
    );
    expect(
      fs.readFileSync(path.join(server.root, 'iris', 'Kitfile'), 'utf8')
    ).toBe(KITFILE);
  });

  it('refuses paths outside the server root with their code', async () => {
    const error = await rejection(api.getKitfile('../outside'));
    expect(error.status).toBe(403);
    expect(error.code).toBe('forbidden_path');
  });

  it('packs in a background job, then lists, tags and removes the kit', async () => {
    const plan = await api.getPlan('iris');
    // The Kitfile saved above names no docs: README.md is in no layer.
    expect(plan.layers.map(layer => [layer.kind, layer.path])).toEqual([
      ['model', 'model.safetensors'],
      ['dataset', 'data/train.csv']
    ]);
    const job = await finished(
      await api.createJob({
        kind: 'pack',
        params: { path: 'iris', reference: 'jest/iris:v1' }
      })
    );
    expect(job.state).toBe('succeeded');
    expect(job.progress.done).toBe(job.progress.total);
    expect((await api.listJobs()).map(j => j.id)).toContain(job.id);

    const digest = job.result?.digest as string;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    let kits = await api.listKits();
    const kit = kits.find(k => k.repository === 'localhost/jest/iris');
    expect(kit).toEqual(expect.objectContaining({ tags: ['v1'], digest }));
    // Dated by its arrival in the store: between the job's start and end.
    expect(kit?.storedAt).toBeGreaterThanOrEqual((job.startedAt ?? 0) - 1);
    expect(kit?.storedAt).toBeLessThanOrEqual((job.finishedAt ?? 0) + 1);

    await api.tagKit('jest/iris:v1', 'jest/iris:stable');
    kits = await api.listKits();
    expect(
      kits.find(k => k.repository === 'localhost/jest/iris')?.tags.sort()
    ).toEqual(['stable', 'v1']);

    await api.removeKit('jest/iris:stable');
    await api.removeKit('jest/iris:v1');
    kits = await api.listKits();
    expect(kits.find(k => k.repository === 'localhost/jest/iris')).toBe(
      undefined
    );
  });

  it('cancels a job, and a cancelled pack leaves no kit', async () => {
    writeTree(path.join(server.root, 'big'), {
      Kitfile: 'manifestVersion: 1.0.0\nmodel:\n  path: model.bin\n',
      'model.bin': Buffer.alloc(512 << 20, 7)
    });
    const job = await api.createJob({
      kind: 'pack',
      params: { path: 'big', reference: 'jest/big:v1' }
    });
    const cancelling = await api.cancelJob(job.id);
    expect(['cancelling', 'cancelled']).toContain(cancelling.state);
    expect((await finished(cancelling)).state).toBe('cancelled');
    expect(
      (await api.listKits()).find(k => k.repository === 'localhost/jest/big')
    ).toBe(undefined);
  });

  it('lists tags through the paged remote/tags route', async () => {
    // No registry here: the route's own refusals show the request reached the paged handler.
    const local = await rejection(api.remoteTags('jest/model', {}));
    expect(local.status).toBe(400);
    expect(local.message).toContain('cannot list tags of');
    const down = await rejection(
      api.remoteTags('127.0.0.1:9/jest/model', { plainHttp: true })
    );
    expect(down.status).toBeGreaterThanOrEqual(500);
  });

  it('reports an unreachable registry at login and saves nothing', async () => {
    const error = await rejection(
      api.login({
        host: '127.0.0.1:9',
        username: 'someone',
        password: 'secret',
        plainHttp: true
      })
    );
    expect(error.message).not.toContain('secret');
    expect(await api.listRegistries()).toEqual([]);
  });

  it('compares a kit with a ModelPack packed after a data change', async () => {
    const packed = async (reference: string, useModelPack: boolean) =>
      finished(
        await api.createJob({
          kind: 'pack',
          params: { path: 'iris', reference, useModelPack }
        })
      );
    await api.saveKitfile('iris', { text: KITFILE });
    expect((await packed('jest/cmp:a', false)).state).toBe('succeeded');
    fs.appendFileSync(
      path.join(server.root, 'iris/data/train.csv'),
      '4.9,1.5,setosa\n'
    );
    expect((await packed('jest/cmp:b', true)).state).toBe('succeeded');
    const diff = await api.compareKits('jest/cmp:a', 'jest/cmp:b', {});
    expect([diff.a.format, diff.b.format]).toEqual(['kit', 'modelpack']);
    expect(diff.layers.map(l => [l.kind, l.path, l.status])).toEqual([
      ['model', 'model.safetensors', 'unchanged'],
      ['dataset', 'data/train.csv', 'changed']
    ]);
    expect(diff.summary).toEqual({
      added: 0,
      removed: 0,
      changed: 1,
      unchanged: 1
    });
  });
});

describe('remoteQuery', () => {
  it('sets only the network options that differ from the defaults', () => {
    expect(api.remoteQuery({ reference: 'reg.io/a:v1' }, {})).toBe(
      'reference=reg.io%2Fa%3Av1'
    );
    expect(
      api.remoteQuery(
        { repository: 'r' },
        { plainHttp: true, tlsVerify: false }
      )
    ).toBe('repository=r&plainHttp=true&tlsVerify=false');
    expect(
      api.remoteQuery(
        { repository: 'r' },
        { plainHttp: false, tlsVerify: true }
      )
    ).toBe('repository=r');
  });
});

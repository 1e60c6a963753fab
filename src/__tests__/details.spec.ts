import {
  finishedJobIds,
  jobFacts,
  kitSize,
  layerKind,
  layerPath,
  layerPaths,
  notebookLineage,
  pushedReferences,
  repositoryOf,
  runningSummary,
  splitTags
} from '../details';
import type { IJob } from '../tokens';

const LAYER = 'application/vnd.kitops.modelkit';

function packJob(extra: Partial<Extract<IJob, { kind: 'pack' }>> = {}): IJob {
  return {
    id: 'p',
    kind: 'pack',
    params: { path: 'demo', reference: 'demo:v1' },
    state: 'succeeded',
    createdAt: 1,
    startedAt: 10,
    finishedAt: 13.5,
    stage: '',
    progress: { done: 0, total: 0, bytesPerSecond: 0 },
    items: [],
    log: [
      'warning: models/model.pkl is a dangerous pickle (posix.system)',
      'packed'
    ],
    result: {
      reference: 'demo:v1',
      digest: 'sha256:abc',
      layers: [
        {
          kind: 'model',
          path: 'm.pkl',
          mediaType: 'application/vnd.kitops.modelkit.model.v1.tar',
          digest: 'sha256:1',
          size: 20480,
          unchanged: false
        },
        {
          kind: 'code',
          path: '.',
          mediaType: 'application/vnd.kitops.modelkit.code.v1.tar',
          digest: 'sha256:2',
          size: 8192,
          unchanged: true
        }
      ],
      warnings: [
        'models/model.pkl is a dangerous pickle (posix.system): whoever loads it runs what it imports'
      ],
      safety: [
        {
          path: 'models/model.pkl',
          verdict: 'dangerous',
          globals: ['posix.system']
        }
      ]
    },
    ...extra
  };
}

function pushJob(
  state: IJob['state'],
  digest: string,
  tags: string[] = []
): IJob {
  return {
    id: `push-${digest}-${state}`,
    kind: 'push',
    params: {
      reference: 'demo:v1',
      destination: 'reg:5000/team/demo:v1',
      tags
    },
    state,
    createdAt: 2,
    stage: '',
    progress: { done: 0, total: 0, bytesPerSecond: 0 },
    items: [],
    log: [
      'warning: .env looks like a secret; pushed because secrets are allowed'
    ],
    result:
      state === 'succeeded'
        ? {
            reference: 'reg:5000/team/demo:v1',
            digest,
            kitSize: 28672,
            uploadedBytes: 30000,
            skippedBlobs: 0,
            mountedBlobs: 0,
            warnings: [],
            notebook: null
          }
        : null,
    error:
      state === 'failed' ? { code: 'denied', message: 'access denied' } : null
  };
}

describe('kit size', () => {
  it('is the sum of the layers, the same number for a stored kit, a remote kit and a pack job', () => {
    const manifest = {
      config: { mediaType: 'c', digest: 'sha256:c', size: 900 },
      layers: [
        { mediaType: `${LAYER}.model.v1.tar`, digest: 'sha256:1', size: 20480 },
        { mediaType: `${LAYER}.code.v1.tar`, digest: 'sha256:2', size: 8192 }
      ]
    };
    expect(kitSize(manifest)).toBe(28672);
    expect(jobFacts(packJob(), 20).size).toBe(kitSize(manifest));
    // A push reports the kit's size too; what it sent (config included) is another number.
    expect(jobFacts(pushJob('succeeded', 'sha256:k'), 20).size).toBe(
      kitSize(manifest)
    );
    expect(jobFacts(pushJob('succeeded', 'sha256:k'), 20).transferred).toBe(
      30000
    );
    expect(kitSize({})).toBe(0);
  });

  it('names a layer by its media type and path annotation', () => {
    const layer = {
      mediaType: `${LAYER}.dataset.v1.tar+gzip`,
      digest: 'sha256:1',
      size: 1,
      annotations: { 'org.cncf.model.filepath': 'data/train.csv' }
    };
    expect(layerKind(layer)).toBe('dataset');
    expect(layerPath(layer, new Map())).toBe('data/train.csv');
    const paths = layerPaths({
      model: {
        path: 'm.pkl',
        digest: 'sha256:1',
        parts: [{ path: 'tok', digest: 'sha256:3' }]
      },
      code: [{ path: '.', digest: 'sha256:2' }],
      datasets: 'not a list'
    });
    expect(
      layerPath({ mediaType: '', digest: 'sha256:1', size: 0 }, paths)
    ).toBe('m.pkl');
    expect(
      layerPath({ mediaType: '', digest: 'sha256:2', size: 0 }, paths)
    ).toBe('.');
    expect(
      layerPath({ mediaType: '', digest: 'sha256:3', size: 0 }, paths)
    ).toBe('tok');
    expect(
      layerPath({ mediaType: '', digest: 'sha256:9', size: 0 }, paths)
    ).toBe('');
    expect(
      layerKind({
        mediaType: 'application/vnd.cncf.model.weight.v1.tar',
        digest: '',
        size: 0
      })
    ).toBe('weight');
  });
});

describe('job facts', () => {
  it('takes a pack job warnings from its result (not twice from the log), and its duration', () => {
    const facts = jobFacts(packJob(), 20);
    expect(facts.warnings).toEqual([
      'models/model.pkl is a dangerous pickle (posix.system): whoever loads it runs what it imports'
    ]);
    expect(facts.error).toBe('');
    expect(facts.duration).toBe(3.5);
    expect(facts.digest).toBe('sha256:abc');
    expect(facts.safety[0].verdict).toBe('dangerous');
  });

  it('takes other jobs warnings from the log, and names the destination whether it failed or not', () => {
    const failed = jobFacts(pushJob('failed', ''), 20);
    expect(failed.warnings).toEqual([
      '.env looks like a secret; pushed because secrets are allowed'
    ]);
    expect(failed.error).toBe('access denied');
    expect(failed.reference).toBe('reg:5000/team/demo:v1');
    expect(jobFacts(pushJob('succeeded', 'sha256:d'), 20).reference).toBe(
      failed.reference
    );
    expect(jobFacts(pushJob('succeeded', 'sha256:d'), 20).transferred).toBe(
      30000
    );
  });

  it('measures a running job up to now', () => {
    const running = packJob({
      state: 'running',
      finishedAt: null,
      result: null
    });
    expect(jobFacts(running, 25).duration).toBe(15);
  });
});

describe('running jobs and clearing', () => {
  it('counts active jobs and their bytes; clears only ended ones', () => {
    const running = packJob({
      id: 'r',
      state: 'running',
      progress: { done: 40, total: 100, bytesPerSecond: 1 }
    });
    const jobs = [running, packJob(), pushJob('failed', '')];
    expect(runningSummary(jobs)).toEqual({ count: 1, done: 40, total: 100 });
    expect(finishedJobIds(jobs)).toEqual(['p', 'push--failed']);
  });
});

describe('lineage and tags', () => {
  it('reads the kits a notebook went into, newest first, skipping malformed entries', () => {
    expect(
      notebookLineage({
        pushed: [
          {
            reference: 'r/a:v1',
            digest: 'sha256:1',
            at: '2026-01-01T00:00:00Z'
          },
          { reference: 42 },
          { reference: 'r/a:v2', digest: 'sha256:2' }
        ]
      })
    ).toEqual([
      { reference: 'r/a:v2', digest: 'sha256:2', at: '' },
      { reference: 'r/a:v1', digest: 'sha256:1', at: '2026-01-01T00:00:00Z' }
    ]);
    expect(notebookLineage(undefined)).toEqual([]);
    expect(notebookLineage({ pushed: 'x' })).toEqual([]);
  });

  it('splits typed tags once each, and lists where a kit was pushed', () => {
    expect(splitTags(' v1, v2 latest,,v1 ')).toEqual(['v1', 'v2', 'latest']);
    expect(repositoryOf('reg:5000/team/demo:v1')).toBe('reg:5000/team/demo');
    expect(repositoryOf(`reg:5000/team/demo@sha256:${'a'.repeat(64)}`)).toBe(
      'reg:5000/team/demo'
    );
    const jobs = [
      pushJob('succeeded', 'sha256:d', ['latest']),
      pushJob('failed', 'sha256:d'),
      pushJob('succeeded', 'sha256:other')
    ];
    expect(pushedReferences(jobs, 'sha256:d')).toEqual([
      'reg:5000/team/demo:v1',
      'reg:5000/team/demo:latest'
    ]);
  });
});

import {
  applyJobEvent,
  asJobEvent,
  isActive,
  jobReference,
  jobSignature,
  jobSubject,
  jobVerb,
  JOB_EVENT_SCHEMA,
  jobsToAnnounce,
  mergeJobs,
  upsertJob
} from '../jobs';
import type { IJob, IJobEvent } from '../tokens';

type PackJob = Extract<IJob, { kind: 'pack' }>;

function job(
  id: string,
  createdAt: number,
  extra: Partial<PackJob> = {}
): PackJob {
  return {
    id,
    kind: 'pack',
    params: { path: 'demo', reference: 'demo:v1' },
    state: 'running',
    createdAt,
    stage: 'pack',
    progress: { done: 0, total: 100, bytesPerSecond: 0 },
    items: [],
    log: [],
    ...extra
  };
}

describe('the job list', () => {
  it('keeps jobs newest first and replaces by id', () => {
    let jobs = upsertJob([], job('a', 1));
    jobs = upsertJob(jobs, job('b', 2));
    jobs = upsertJob(jobs, job('a', 1, { state: 'succeeded' }));
    expect(jobs.map(j => [j.id, j.state])).toEqual([
      ['b', 'running'],
      ['a', 'succeeded']
    ]);
  });

  it('never moves a running bar backwards for a stale REST snapshot', () => {
    const progress = (done: number, total = 100) => ({
      done,
      total,
      bytesPerSecond: 10
    });
    let jobs = upsertJob([], job('a', 1, { progress: progress(60) }));
    // A read that left before the last event: older progress, same stage.
    jobs = upsertJob(jobs, job('a', 1, { progress: progress(40) }));
    expect(jobs[0].progress.done).toBe(60);
    // Newer progress is taken as it is.
    jobs = upsertJob(jobs, job('a', 1, { progress: progress(80) }));
    expect(jobs[0].progress.done).toBe(80);
    // A new stage (pack, then push) starts its own count from zero.
    jobs = upsertJob(
      jobs,
      job('a', 1, { stage: 'push', progress: progress(5, 50) })
    );
    expect(jobs[0].progress).toEqual(progress(5, 50));
    // An ended job is shown as the server says.
    jobs = upsertJob(
      jobs,
      job('a', 1, {
        state: 'cancelled',
        stage: 'push',
        progress: progress(1, 50)
      })
    );
    expect(jobs[0].progress.done).toBe(1);
  });

  it('merges a full list without moving a bar back or dropping newer jobs', () => {
    const progress = (done: number) => ({
      done,
      total: 100,
      bytesPerSecond: 10
    });
    const shown = [
      job('new', 3, { progress: progress(0) }),
      job('a', 2, { progress: progress(80) }),
      job('b', 1, { state: 'succeeded', progress: progress(100) })
    ];
    // Read before 'new' was started and before 'a' reached 80 %.
    const list = [
      job('a', 2, { progress: progress(79) }),
      job('b', 1, { state: 'succeeded', progress: progress(100) })
    ];
    const merged = mergeJobs(shown, list);
    expect(merged.map(j => [j.id, j.progress.done])).toEqual([
      ['new', 0],
      ['a', 80],
      ['b', 100]
    ]);
    // A newer read does move it on.
    expect(
      mergeJobs(merged, [job('a', 2, { progress: progress(90) })]).find(
        j => j.id === 'a'
      )?.progress.done
    ).toBe(90);
  });

  it('applies progress from an event and derives the ETA', () => {
    const event: IJobEvent = {
      id: 'a',
      kind: 'pack',
      state: 'running',
      stage: 'model',
      done: 40,
      total: 100,
      bytesPerSecond: 20,
      items: [
        {
          item: 'model',
          index: 0,
          count: 1,
          stage: 'model',
          done: 40,
          total: 100
        }
      ]
    };
    const [updated] = applyJobEvent([job('a', 1)], event, 10);
    expect(updated.progress).toEqual({
      done: 40,
      total: 100,
      bytesPerSecond: 20,
      etaSeconds: 3
    });
    expect(updated.items).toHaveLength(1);
    expect(updated.params).toEqual({ path: 'demo', reference: 'demo:v1' });
  });

  it('adds a stub for a job started elsewhere', () => {
    const jobs = applyJobEvent(
      [job('a', 1)],
      { id: 'z', kind: 'pull', state: 'queued' },
      50
    );
    expect(jobs[0]).toMatchObject({
      id: 'z',
      kind: 'pull',
      createdAt: 50,
      state: 'queued'
    });
  });

  it('records the end of a job and its error', () => {
    const [failed] = applyJobEvent(
      [job('a', 1)],
      {
        id: 'a',
        kind: 'pack',
        state: 'failed',
        error: { code: 'auth_required', message: 'log in' }
      },
      99
    );
    expect(failed.state).toBe('failed');
    expect(failed.error?.code).toBe('auth_required');
    expect(failed.finishedAt).toBe(99);
    expect(failed.progress.etaSeconds).toBeNull();
  });

  it('ignores a late progress tick after the job ended', () => {
    const ended = [job('a', 1, { state: 'succeeded' })];
    const jobs = applyJobEvent(
      ended,
      { id: 'a', kind: 'pack', state: 'running', done: 5 },
      2
    );
    expect(jobs[0].state).toBe('succeeded');
  });

  it('announces a job once, only after this page saw it active', () => {
    const jobs = [
      job('a', 1, { state: 'succeeded' }),
      job('b', 2, { state: 'failed' }),
      job('c', 3, { state: 'running' })
    ];
    const seen = new Set(['a', 'c']);
    expect(jobsToAnnounce(jobs, seen, new Set()).map(j => j.id)).toEqual(['a']);
    expect(jobsToAnnounce(jobs, seen, new Set(['a']))).toEqual([]);
  });
});

describe('job helpers', () => {
  it('knows active states', () => {
    expect(isActive('cancelling')).toBe(true);
    expect(isActive('interrupted')).toBe(false);
  });

  it('reads only kitlab job events', () => {
    expect(
      asJobEvent({ schema_id: 'other', id: 'a', kind: 'x', state: 'running' })
    ).toBeNull();
    expect(asJobEvent({ schema_id: JOB_EVENT_SCHEMA, id: 1 })).toBeNull();
    expect(
      asJobEvent({
        schema_id: JOB_EVENT_SCHEMA,
        id: 'a',
        kind: 'pack',
        state: 'running'
      })?.id
    ).toBe('a');
  });

  it('prefers the result reference, then params', () => {
    expect(
      jobReference(
        job('a', 1, {
          result: {
            reference: 'localhost/demo:v1',
            digest: `sha256:${'0'.repeat(64)}`,
            layers: [],
            warnings: [],
            safety: []
          }
        })
      )
    ).toBe('localhost/demo:v1');
    expect(jobReference(job('a', 1))).toBe('demo:v1');
    expect(jobSubject(job('a', 1, { params: { path: 'demo' } }))).toBe('demo');
  });
});

describe('how a job is named', () => {
  const base = {
    state: 'failed' as const,
    createdAt: 1,
    stage: 'push',
    progress: { done: 0, total: 0, bytesPerSecond: 0 },
    items: [],
    log: []
  };

  it('names a push by where it goes, also when it failed', () => {
    const push: IJob = {
      ...base,
      id: 'p',
      kind: 'push',
      params: { reference: 'churn:v1', destination: 'ghcr.io/org/churn:v1' },
      error: { code: 'auth_required', message: 'log in' }
    };
    expect(jobReference(push)).toBe('ghcr.io/org/churn:v1');
    expect(jobSubject(push)).toBe('ghcr.io/org/churn:v1');
    expect(jobReference({ ...push, params: { reference: 'churn:v1' } })).toBe(
      'churn:v1'
    );
  });

  it('shows an unpack of a registry kit as a pull, of a local kit as an unpack', () => {
    const unpack = (reference: string): IJob => ({
      ...base,
      id: 'u',
      kind: 'unpack',
      params: { reference, path: 'iris' }
    });
    expect(jobVerb(unpack('127.0.0.1:5000/team/iris:v1'))).toBe('pull');
    expect(jobVerb(unpack('ghcr.io/team/iris:v1'))).toBe('pull');
    expect(jobVerb(unpack('iris:v1'))).toBe('unpack');
    expect(jobVerb(job('a', 1))).toBe('pack');
  });

  it('claims a verified signature only for a succeeded job whose result proves one', () => {
    const signature = {
      verified: true as const,
      digest: 'sha256:' + 'a'.repeat(64),
      signatures: 1,
      key: 'team.pub',
      fingerprint: 'SHA256:abc'
    };
    const unpack = (state: IJob['state'], result: unknown): IJob =>
      ({
        ...job('u', 1),
        kind: 'unpack',
        params: { reference: 'ghcr.io/team/iris:v1', path: 'iris' },
        state,
        result
      }) as IJob;
    const proven = { reference: 'r', digest: 'd', path: 'iris', signature };
    expect(jobSignature(unpack('succeeded', proven))).toEqual(signature);
    expect(jobSignature(unpack('failed', proven))).toBeNull();
    expect(
      jobSignature(unpack('succeeded', { ...proven, signature: null }))
    ).toBeNull();
    // A push result's signature (the tag it wrote) is not a verification.
    expect(
      jobSignature(
        unpack('succeeded', { ...proven, signature: { tag: 'sha256-x.sig' } })
      )
    ).toBeNull();
  });
});

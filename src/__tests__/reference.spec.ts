import {
  buildReference,
  isLoopbackRegistry,
  kitFolderName,
  kitReference,
  parseReference,
  referenceProblems,
  repositoryFromName,
  targetProblems
} from '../reference';

describe('buildReference', () => {
  it('leaves the registry out for the local store', () => {
    expect(
      buildReference({ registry: '', repository: 'churn', tag: 'v1' })
    ).toBe('churn:v1');
    expect(
      buildReference({ registry: 'localhost', repository: 'churn', tag: 'v1' })
    ).toBe('churn:v1');
  });

  it('prefixes a remote registry', () => {
    expect(
      buildReference({
        registry: '127.0.0.1:5000',
        repository: 'org/churn',
        tag: 'v1'
      })
    ).toBe('127.0.0.1:5000/org/churn:v1');
  });

  it('round-trips through parseReference', () => {
    const parts = { registry: 'ghcr.io', repository: 'me/churn', tag: '1.0' };
    const parsed = parseReference(buildReference(parts));
    expect(parsed).toEqual({ ...parts, digest: '' });
  });
});

describe('parseReference', () => {
  it('treats a first segment without . or : as part of the repository, like kit', () => {
    expect(parseReference('org/churn:v1')).toEqual({
      registry: 'localhost',
      repository: 'org/churn',
      tag: 'v1',
      digest: ''
    });
  });

  it('reads a digest and drops a tag given with it', () => {
    const digest = `sha256:${'0'.repeat(64)}`;
    expect(parseReference(`reg.io/churn:v1@${digest}`)).toEqual({
      registry: 'reg.io',
      repository: 'churn',
      tag: '',
      digest
    });
  });

  it('ignores extra tags after a comma', () => {
    expect(parseReference('churn:v1,latest').tag).toBe('v1');
  });
});

describe('referenceProblems', () => {
  it('accepts a valid reference', () => {
    expect(
      referenceProblems({
        registry: 'localhost:5000',
        repository: 'a/b-c',
        tag: 'v1.0'
      })
    ).toEqual({});
  });

  it('names each wrong field', () => {
    const problems = referenceProblems({
      registry: 'http://x',
      repository: 'Churn',
      tag: '-bad'
    });
    expect(Object.keys(problems).sort()).toEqual([
      'registry',
      'repository',
      'tag'
    ]);
    expect(problems.repository).toContain('lower-case');
  });

  it('requires repository and tag', () => {
    const problems = referenceProblems({
      registry: '',
      repository: ' ',
      tag: ''
    });
    expect(problems.repository).toContain('required');
    expect(problems.tag).toContain('required');
  });
});

describe('targetProblems', () => {
  it('packs into the local store without a registry, but a push needs one', () => {
    const local = { registry: '', repository: 'churn', tag: 'v1' };
    expect(targetProblems(local, false)).toEqual({});
    expect(targetProblems(local, true).registry).toContain('needs a registry');
    expect(
      targetProblems({ ...local, registry: 'localhost' }, true).registry
    ).toContain('needs a registry');
    expect(
      targetProblems({ ...local, registry: '127.0.0.1:5000' }, true)
    ).toEqual({});
  });

  it('reports what referenceProblems does, field by field', () => {
    const parts = { registry: 'http://x', repository: 'Churn', tag: '' };
    expect(targetProblems(parts, false)).toEqual(referenceProblems(parts));
    expect(Object.keys(targetProblems(parts, true)).sort()).toEqual([
      'registry',
      'repository',
      'tag'
    ]);
    expect(targetProblems(parts, true).registry).toContain('host name');
  });

  it('checks a typed reference once split into its parts', () => {
    expect(
      targetProblems(parseReference('ghcr.io/org/churn:v1'), true)
    ).toEqual({});
    const untagged = targetProblems(parseReference('ghcr.io/org/churn'), true);
    expect(Object.keys(untagged)).toEqual(['tag']);
    expect(
      targetProblems(parseReference('org/churn:v1'), true).registry
    ).toContain('needs a registry');
  });
});

describe('names', () => {
  it('derives folder and repository names', () => {
    expect(kitFolderName('reg.io/org/churn:v1')).toBe('churn');
    expect(kitFolderName(`sha256:${'1'.repeat(64)}`)).toBe('modelkit');
    expect(repositoryFromName('My Churn Project!')).toBe('my-churn-project');
    expect(repositoryFromName('???')).toBe('modelkit');
  });

  it('knows loopback registries', () => {
    expect(isLoopbackRegistry('127.0.0.1:5000')).toBe(true);
    expect(isLoopbackRegistry('localhost:5000')).toBe(true);
    expect(isLoopbackRegistry('ghcr.io')).toBe(false);
    // A bare localhost is kit's local store, not a registry to reach over HTTP.
    expect(isLoopbackRegistry('localhost')).toBe(false);
  });
});

describe('kitReference', () => {
  const kit = {
    repository: 'localhost/churn',
    tags: ['v1', 'latest'],
    digest: `sha256:${'a'.repeat(64)}`,
    size: 1
  };

  it('names a local kit without the localhost prefix kit would misread', () => {
    expect(kitReference(kit)).toBe('churn:v1');
    expect(parseReference(kitReference(kit)).repository).toBe('churn');
    expect(kitReference(kit, 'latest')).toBe('churn:latest');
  });

  it('falls back to the digest and keeps real registries', () => {
    expect(kitReference({ ...kit, tags: [] })).toBe(`churn@${kit.digest}`);
    expect(kitReference({ ...kit, repository: 'reg.io:5000/org/churn' })).toBe(
      'reg.io:5000/org/churn:v1'
    );
  });
});

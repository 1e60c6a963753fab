import {
  defaultDestination,
  parentFolder,
  UNPACK_ALL,
  uniqueFolder,
  unpackFilters
} from '../unpack';

describe('unpackFilters', () => {
  it('unpacks everything without a filter', () => {
    expect(unpackFilters(UNPACK_ALL)).toEqual([]);
  });

  it('builds one kit filter that keeps the Kitfile', () => {
    expect(
      unpackFilters({ model: true, datasets: false, code: false, docs: true })
    ).toEqual(['kitfile,model,docs']);
  });

  it('refuses an empty selection', () => {
    expect(
      unpackFilters({ model: false, datasets: false, code: false, docs: false })
    ).toBeNull();
  });
});

describe('destinations', () => {
  it('names a folder after the kit, in kits/ of the current folder', () => {
    expect(defaultDestination('127.0.0.1:5000/org/churn:v1', '')).toBe(
      'kits/churn'
    );
    expect(defaultDestination('churn:v1', '/work/')).toBe('work/kits/churn');
  });

  it('finds the parent folder of a path', () => {
    expect(parentFolder('a/b/train.ipynb')).toBe('a/b');
    expect(parentFolder('train.ipynb')).toBe('');
  });
});

describe('uniqueFolder', () => {
  it('keeps a free name and numbers a taken one', async () => {
    const taken = new Set(['churn', 'churn-2']);
    const exists = async (path: string): Promise<boolean> => taken.has(path);
    expect(await uniqueFolder('models', exists)).toBe('models');
    expect(await uniqueFolder('churn', exists)).toBe('churn-3');
  });
});

import {
  dropPath,
  kindInKitfile,
  lineDiff,
  moveEntry,
  pruneEmpty,
  sameKitfile
} from '../draft';
import type { IKitfile, IScanEntry } from '../tokens';

const draft: IKitfile = {
  manifestVersion: '1.0.0',
  package: { name: 'demo' },
  model: {
    name: 'churn',
    path: 'models/churn.joblib',
    framework: 'scikit-learn',
    license: 'MIT',
    parts: [{ name: 'scaler', path: 'models/scaler.joblib', type: 'scaler' }]
  },
  datasets: [{ name: 'churn', path: 'data/churn.csv' }],
  code: [{ path: 'train.ipynb' }],
  docs: [{ path: 'README.md' }]
};

const entry = (path: string, extra: Partial<IScanEntry> = {}): IScanEntry => ({
  kind: 'code',
  path,
  reasons: [],
  ...extra
});

describe('kindInKitfile', () => {
  it('finds each kind', () => {
    expect(kindInKitfile(draft, 'models/churn.joblib')).toBe('model');
    expect(kindInKitfile(draft, 'models/scaler.joblib')).toBe('modelpart');
    expect(kindInKitfile(draft, 'data/churn.csv')).toBe('dataset');
    expect(kindInKitfile(draft, 'train.ipynb')).toBe('code');
    expect(kindInKitfile(draft, 'README.md')).toBe('docs');
    expect(kindInKitfile(draft, 'nope')).toBeNull();
  });
});

describe('dropPath', () => {
  it('removes an entry and an emptied list, without mutating the input', () => {
    const next = dropPath(draft, 'README.md');
    expect(next.docs).toBeUndefined();
    expect(draft.docs).toHaveLength(1);
  });

  it('promotes the first part when the main model is dropped, keeping the license', () => {
    const next = dropPath(draft, 'models/churn.joblib');
    expect(next.model).toEqual({
      name: 'scaler',
      path: 'models/scaler.joblib',
      license: 'MIT'
    });
  });

  it('removes the model section when nothing is left of it', () => {
    const once = dropPath(draft, 'models/scaler.joblib');
    expect(once.model?.parts).toBeUndefined();
    expect(dropPath(once, 'models/churn.joblib').model).toBeUndefined();
  });
});

describe('moveEntry', () => {
  it('moves a dataset to code', () => {
    const next = moveEntry(
      draft,
      entry('data/churn.csv', { name: 'churn' }),
      'code'
    );
    expect(next.datasets).toBeUndefined();
    expect(next.code).toEqual([
      { path: 'train.ipynb' },
      { path: 'data/churn.csv' }
    ]);
  });

  it('turns the old model into a part when another file becomes the model', () => {
    const next = moveEntry(
      draft,
      entry('models/scaler.joblib', {
        name: 'scaler',
        framework: 'scikit-learn',
        format: 'joblib'
      }),
      'model'
    );
    expect(next.model?.path).toBe('models/scaler.joblib');
    expect(next.model?.format).toBe('joblib');
    expect(next.model?.license).toBe('MIT');
    expect(next.model?.parts).toEqual([
      { name: 'churn', path: 'models/churn.joblib' }
    ]);
  });

  it('adds a part with its type and a name from the file name', () => {
    const next = moveEntry(
      draft,
      entry('tok/vocab.json', { type: 'tokenizer' }),
      'modelpart'
    );
    expect(next.model?.parts?.[1]).toEqual({
      name: 'vocab',
      path: 'tok/vocab.json',
      type: 'tokenizer'
    });
  });

  it('creates a model section when there is none', () => {
    const next = moveEntry(
      { manifestVersion: '1.0.0' },
      entry('m.onnx', { format: 'onnx' }),
      'model'
    );
    expect(next.model).toEqual({ name: 'm', path: 'm.onnx', format: 'onnx' });
  });
});

describe('sameKitfile', () => {
  it('ignores the empty values a form adds and key order', () => {
    const filled: IKitfile = {
      package: { name: 'demo', authors: [], description: '' },
      manifestVersion: '1.0.0',
      code: [],
      model: { parts: [] }
    };
    expect(
      sameKitfile(filled, {
        manifestVersion: '1.0.0',
        package: { name: 'demo' }
      })
    ).toBe(true);
    expect(
      sameKitfile(filled, {
        manifestVersion: '1.0.0',
        package: { name: 'other' }
      })
    ).toBe(false);
  });

  it('keeps meaningful falsy values', () => {
    expect(pruneEmpty({ a: 0, b: false, c: '', d: [{}] })).toEqual({
      a: 0,
      b: false
    });
  });
});

describe('lineDiff', () => {
  it('marks the lines a replacement removes and adds, keeping the rest', () => {
    const before =
      '# my comment\npackage:\n  name: churn\nmodel:\n  path: m.pkl';
    const after = 'package:\n  name: churn\nmodel:\n  path: m.joblib';
    expect(lineDiff(before, after)).toEqual([
      { kind: 'removed', text: '# my comment' },
      { kind: 'same', text: 'package:' },
      { kind: 'same', text: '  name: churn' },
      { kind: 'same', text: 'model:' },
      { kind: 'removed', text: '  path: m.pkl' },
      { kind: 'added', text: '  path: m.joblib' }
    ]);
  });

  it('gives up on the alignment, not the diff, past its size limit', () => {
    expect(lineDiff('a\nb', 'b\nc', 3)).toEqual([
      { kind: 'removed', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'added', text: 'b' },
      { kind: 'added', text: 'c' }
    ]);
  });
});

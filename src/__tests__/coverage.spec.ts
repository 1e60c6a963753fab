import { coveredBy, kitfilePaths } from '../draft';

describe('coveredBy', () => {
  it('follows the Kitfile as it is now: a path, a folder holding it, or the whole folder', () => {
    expect(coveredBy(['models/model.pkl'], 'models/model.pkl')).toBe(true);
    expect(coveredBy(['models/'], 'models/model.pkl')).toBe(true);
    expect(coveredBy(['./models'], 'models/model.pkl')).toBe(true);
    expect(coveredBy(['.'], 'notes/todo.txt')).toBe(true);
    expect(coveredBy(['model'], 'models/model.pkl')).toBe(false);
    expect(coveredBy(['models/model.pk'], 'models/model.pkl')).toBe(false);
    expect(coveredBy([], 'notes/todo.txt')).toBe(false);
  });

  it('reads every path a Kitfile packs', () => {
    const paths = kitfilePaths({
      manifestVersion: '1.0.0',
      model: {
        path: 'models/model.pkl',
        parts: [{ path: 'models/scaler.pkl' }]
      },
      datasets: [{ path: 'data/' }],
      code: [{ path: '.' }],
      docs: [{ path: 'README.md' }]
    });
    expect(paths).toEqual([
      'models/model.pkl',
      'models/scaler.pkl',
      'data/',
      '.',
      'README.md'
    ]);
    expect(coveredBy(paths, 'notes/todo.txt')).toBe(true);
  });
});

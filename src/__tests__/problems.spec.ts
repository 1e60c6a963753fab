import {
  describeProblemLocation,
  hasErrors,
  problemsToErrorTree,
  splitProblemPath
} from '../problems';
import type { IProblem } from '../tokens';

const error = (path: string, message: string): IProblem => ({
  path,
  message,
  severity: 'error'
});

describe('splitProblemPath', () => {
  it.each([
    ['', []],
    ['package.name', ['package', 'name']],
    ['datasets[1].license', ['datasets', '1', 'license']],
    ['model.parts[0].type', ['model', 'parts', '0', 'type']],
    ['datasets[2]', ['datasets', '2']]
  ])('%s', (path, segments) => {
    expect(splitProblemPath(path)).toEqual(segments);
  });
});

describe('problemsToErrorTree', () => {
  it('puts each message on its field, like rjsf extraErrors', () => {
    const tree = problemsToErrorTree([
      error('datasets[1].license', 'not an SPDX license'),
      error('datasets[1].path', 'does not exist'),
      error('package.name', 'required')
    ]);
    expect(tree).toEqual({
      datasets: {
        1: {
          license: { __errors: ['not an SPDX license'] },
          path: { __errors: ['does not exist'] }
        }
      },
      package: { name: { __errors: ['required'] } }
    });
  });

  it('keeps several messages on one field and whole-file problems at the root', () => {
    const tree = problemsToErrorTree([
      error('model.path', 'a'),
      error('model.path', 'b'),
      error('', 'YAML syntax error')
    ]);
    expect(tree.__errors).toEqual(['YAML syntax error']);
    expect(tree.model).toEqual({ path: { __errors: ['a', 'b'] } });
  });

  it('leaves warnings out unless asked, then marks them', () => {
    const warning: IProblem = {
      path: 'model.license',
      message: 'no license',
      severity: 'warning'
    };
    expect(problemsToErrorTree([warning])).toEqual({});
    expect(
      problemsToErrorTree([warning], {
        includeWarnings: true,
        warningPrefix: '⚠ '
      })
    ).toEqual({ model: { license: { __errors: ['⚠ no license'] } } });
  });
});

describe('problem helpers', () => {
  it('tells errors from warnings', () => {
    expect(hasErrors([{ path: '', message: 'x', severity: 'warning' }])).toBe(
      false
    );
    expect(hasErrors([error('', 'x')])).toBe(true);
  });

  it('describes a location with 1-based list positions', () => {
    expect(
      describeProblemLocation({
        ...error('datasets[0].license', 'x'),
        line: 7,
        column: 3
      })
    ).toBe('7:3 datasets › 1 › license');
  });
});

import {
  describeProblemLocation,
  fieldPosition,
  hasErrors,
  problemSpans,
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

describe('problem spans in the YAML text', () => {
  const text = 'manifestVersion: 1.0.0\npackage:\n  licence: MIT\n';

  it('marks from the column to the end of the line', () => {
    expect(
      problemSpans(
        [
          {
            path: 'package',
            message: 'did you mean license?',
            severity: 'error',
            line: 3,
            column: 3
          }
        ],
        text
      )
    ).toEqual([
      {
        from: text.indexOf('licence'),
        to: text.indexOf('MIT') + 3,
        severity: 'error',
        message: 'did you mean license?'
      }
    ]);
  });

  it('marks the whole line without a column, and skips problems without a line', () => {
    const spans = problemSpans(
      [
        { path: 'package', message: 'a', severity: 'warning', line: 2 },
        { path: 'model', message: 'b', severity: 'error' },
        { path: '', message: 'c', severity: 'error', line: 99 },
        { path: '', message: 'd', severity: 'error', line: 1, column: 500 }
      ],
      text
    );
    expect(spans).toEqual([
      { from: 23, to: 31, severity: 'warning', message: 'a' },
      { from: 0, to: 22, severity: 'error', message: 'd' }
    ]);
  });
});

describe('a field path in the YAML text', () => {
  const lines = [
    '# a comment',
    'manifestVersion: 1.0.0',
    'package:',
    '  name: churn',
    '  license: not a license',
    'model:',
    '  path: models/churn.joblib',
    '  parts:',
    '    - path: tokenizer.json',
    '      type: tokenizer',
    'datasets:',
    '- name: train',
    '  path: data/train.csv',
    '',
    '- name: test',
    '  path: data/test.csv',
    '  license: MIT'
  ];

  it('finds keys by indentation, in mappings and sequences', () => {
    expect(fieldPosition(lines, 'package.license')).toEqual({
      line: 5,
      column: 3
    });
    expect(fieldPosition(lines, 'model.path')).toEqual({ line: 7, column: 3 });
    expect(fieldPosition(lines, 'model.parts[0].type')).toEqual({
      line: 10,
      column: 7
    });
    expect(fieldPosition(lines, 'datasets[1].license')).toEqual({
      line: 17,
      column: 3
    });
    expect(fieldPosition(lines, 'datasets[0].path')).toEqual({
      line: 13,
      column: 3
    });
  });

  it('falls back to the deepest part that exists', () => {
    expect(fieldPosition(lines, 'datasets[0].license')).toEqual({
      line: 12,
      column: 1
    });
    expect(fieldPosition(lines, 'code[0].path')).toBe(null);
    // `name` under package, not the datasets' names.
    expect(fieldPosition(lines, 'package.name')).toEqual({
      line: 4,
      column: 3
    });
  });

  it('places validator problems (no line) on their field', () => {
    const text = lines.join('\n');
    const spans = problemSpans(
      [{ path: 'package.license', message: 'x', severity: 'warning' }],
      text
    );
    expect(text.slice(spans[0].from, spans[0].to)).toBe(
      'license: not a license'
    );
  });
});

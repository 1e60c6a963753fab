/**
 * Kitfile problems from the server, mapped onto the form. Pure functions (unit-tested by jest).
 *
 * The server names each problem's field with a path in the Kitfile's own keys (`datasets[1].license`,
 * `model.parts[0].type`, '' for the whole file); rjsf shows errors from an `extraErrors` tree of the
 * same shape as the form data, with messages under `__errors`.
 */
import type { IProblem } from './tokens';

/** rjsf's ErrorSchema, structurally: `{__errors?: string[], <field>: ErrorTree}`. */
export interface IErrorTree {
  __errors?: string[];
  [field: string]: IErrorTree | string[] | undefined;
}

/** `datasets[1].license` → `['datasets', '1', 'license']`; '' → `[]`. */
export function splitProblemPath(path: string): string[] {
  const segments: string[] = [];
  for (const part of path.split('.')) {
    if (!part) {
      continue;
    }
    // `parts[0][1]` style indices follow a key; a bare `[2]` is an index at the root.
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) {
      segments.push(part);
      continue;
    }
    if (match[1]) {
      segments.push(match[1]);
    }
    for (const index of match[2].matchAll(/\[(\d+)\]/g)) {
      segments.push(index[1]);
    }
  }
  return segments;
}

/**
 * The `extraErrors` tree for rjsf. Warnings are included with a "Warning: " prefix when
 * `includeWarnings` is set (they never block saving, but belong next to their field).
 */
export function problemsToErrorTree(
  problems: readonly IProblem[],
  options: { includeWarnings?: boolean; warningPrefix?: string } = {}
): IErrorTree {
  const tree: IErrorTree = {};
  for (const problem of problems) {
    if (problem.severity === 'warning' && !options.includeWarnings) {
      continue;
    }
    const message =
      problem.severity === 'warning'
        ? `${options.warningPrefix ?? 'Warning: '}${problem.message}`
        : problem.message;
    let node = tree;
    for (const segment of splitProblemPath(problem.path)) {
      const child = node[segment];
      if (child === undefined || Array.isArray(child)) {
        const fresh: IErrorTree = {};
        node[segment] = fresh;
        node = fresh;
      } else {
        node = child;
      }
    }
    node.__errors = [...(node.__errors ?? []), message];
  }
  return tree;
}

/** Problems that are errors (they block packing); warnings only inform. */
export function hasErrors(problems: readonly IProblem[]): boolean {
  return problems.some(problem => problem.severity === 'error');
}

/** `datasets[1].license` → `datasets › 2 › license`, for a list next to the YAML editor. */
export function describeProblemLocation(problem: IProblem): string {
  const where: string[] = [];
  if (problem.line !== null && problem.line !== undefined) {
    where.push(
      problem.column !== null && problem.column !== undefined
        ? `${problem.line}:${problem.column}`
        : `${problem.line}`
    );
  }
  if (problem.path) {
    where.push(
      splitProblemPath(problem.path)
        .map(segment =>
          /^\d+$/.test(segment) ? `${Number(segment) + 1}` : segment
        )
        .join(' › ')
    );
  }
  return where.join(' ');
}

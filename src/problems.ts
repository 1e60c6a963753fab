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

/** A problem placed in the YAML text: character offsets of the span to mark. */
export interface IProblemSpan {
  from: number;
  to: number;
  severity: IProblem['severity'];
  message: string;
}

/**
 * Where each problem sits in `text`: from its column to the end of its line (the whole line when the
 * column is past the text). The parser's problems carry a line (1-based, with an optional 1-based
 * column); the validator's name a field, which is looked up in the text (`fieldPosition`). Problems
 * found in neither way (a field the text does not have) are left to the problem list.
 */
export function problemSpans(
  problems: readonly IProblem[],
  text: string
): IProblemSpan[] {
  const lines = text.split('\n');
  const starts: number[] = [];
  let offset = 0;
  for (const line of lines) {
    starts.push(offset);
    offset += line.length + 1;
  }
  const spans: IProblemSpan[] = [];
  for (const problem of problems) {
    const position =
      problem.line !== null && problem.line !== undefined
        ? { line: problem.line, column: problem.column ?? 1 }
        : fieldPosition(lines, problem.path);
    if (
      position === null ||
      position.line < 1 ||
      position.line > lines.length
    ) {
      continue;
    }
    const start = starts[position.line - 1];
    const end = start + lines[position.line - 1].length;
    const column = Math.max(1, position.column);
    const from = start + column - 1 < end ? start + column - 1 : start;
    spans.push({
      from,
      to: end,
      severity: problem.severity,
      message: problem.message
    });
  }
  return spans;
}

/** A line of block YAML as `fieldPosition` needs it. */
interface IYamlLine {
  /** Where the content starts (0-based); -1 for a blank or comment line. */
  indent: number;
  /** A sequence item (`- …`). */
  item: boolean;
  /** The mapping key on the line (after a `- `), if any, and where it starts. */
  key: string | null;
  keyIndent: number;
}

const YAML_LINE = /^( *)(- +)?(?:(["']?)([^\s"'#:][^:#]*?)\3 *:(?: |$))?/;

function yamlLine(raw: string): IYamlLine {
  const trimmed = raw.trim();
  if (trimmed === '' || trimmed.startsWith('#')) {
    return { indent: -1, item: false, key: null, keyIndent: -1 };
  }
  const match = YAML_LINE.exec(raw);
  const indent = match?.[1].length ?? 0;
  const dash = match?.[2]?.length ?? 0;
  return {
    indent,
    item: dash > 0,
    key: match?.[4] ?? null,
    keyIndent: indent + dash
  };
}

/**
 * The line and column (1-based) of a field path (`datasets[1].license`) in block YAML, found by
 * indentation the way the Kitfile is written (by kit, by kitlab, or by hand); the deepest part of
 * the path that exists (a dataset whose `license` is missing: the dataset's line). Null when not
 * even the first key is there. Flow style (`{…}`, `[…]`) is not looked into.
 */
export function fieldPosition(
  lines: readonly string[],
  path: string
): { line: number; column: number } | null {
  const parsed = lines.map(yamlLine);
  let from = 0;
  let to = parsed.length;
  let found: { line: number; column: number } | null = null;
  for (const segment of splitProblemPath(path)) {
    let index = -1;
    if (/^\d+$/.test(segment)) {
      const items = range(from, to).filter(i => parsed[i].item);
      const itemIndent = Math.min(...items.map(i => parsed[i].indent));
      const siblings = items.filter(i => parsed[i].indent === itemIndent);
      index = siblings[Number(segment)] ?? -1;
      if (index >= 0) {
        found = { line: index + 1, column: parsed[index].indent + 1 };
        from = index;
        to = blockEnd(parsed, index, to, parsed[index].indent, true);
      }
    } else {
      const keys = range(from, to).filter(i => parsed[i].key !== null);
      const keyIndent = Math.min(...keys.map(i => parsed[i].keyIndent));
      index =
        keys.find(
          i => parsed[i].keyIndent === keyIndent && parsed[i].key === segment
        ) ?? -1;
      if (index >= 0) {
        found = { line: index + 1, column: parsed[index].keyIndent + 1 };
        from = index + 1;
        to = blockEnd(parsed, index, to, parsed[index].keyIndent, false);
      }
    }
    if (index < 0) {
      break;
    }
  }
  return found;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/**
 * Where the block that line `start` opens ends: at the next line indented at most `indent` (for a
 * key, a sequence at the key's own indent still belongs to it, as YAML allows).
 */
function blockEnd(
  lines: readonly IYamlLine[],
  start: number,
  limit: number,
  indent: number,
  item: boolean
): number {
  for (let i = start + 1; i < limit; i++) {
    const line = lines[i];
    if (line.indent < 0) {
      continue;
    }
    if (
      line.indent < indent ||
      (line.indent === indent && (item || !line.item))
    ) {
      return i;
    }
  }
  return limit;
}

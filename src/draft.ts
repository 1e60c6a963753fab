/**
 * Editing the draft Kitfile from the scan report: move a found file to another kind, or drop it.
 * Pure functions (unit-tested by jest); they return a new Kitfile and never mutate their input.
 */
import type { EntryKind, IKitfile, IKitfileModel, IScanEntry } from './tokens';

export const ENTRY_KINDS: readonly EntryKind[] = [
  'model',
  'modelpart',
  'dataset',
  'code',
  'docs'
];

/** Which kind a path has in the Kitfile now, or null when no entry names it. */
export function kindInKitfile(
  kitfile: IKitfile,
  path: string
): EntryKind | null {
  if (kitfile.model?.path === path) {
    return 'model';
  }
  if (kitfile.model?.parts?.some(part => part.path === path)) {
    return 'modelpart';
  }
  if (kitfile.datasets?.some(entry => entry.path === path)) {
    return 'dataset';
  }
  if (kitfile.code?.some(entry => entry.path === path)) {
    return 'code';
  }
  if (kitfile.docs?.some(entry => entry.path === path)) {
    return 'docs';
  }
  return null;
}

/** The Kitfile without any entry for `path` (an emptied list or model is removed altogether). */
export function dropPath(kitfile: IKitfile, path: string): IKitfile {
  const next: IKitfile = { ...kitfile };
  if (kitfile.model) {
    next.model = withoutModelPath(kitfile.model, path);
    if (next.model === undefined) {
      delete next.model;
    }
  }
  for (const key of ['datasets', 'code', 'docs'] as const) {
    const list = kitfile[key];
    if (list) {
      const kept = (list as { path?: string }[]).filter(
        entry => entry.path !== path
      );
      if (kept.length > 0) {
        next[key] = kept;
      } else {
        delete next[key];
      }
    }
  }
  return next;
}

/**
 * Make `entry` a `kind` entry of the Kitfile, replacing wherever its path is now. Moving a file to
 * `model` while another file is the model turns that one into a part, so nothing is silently lost.
 */
export function moveEntry(
  kitfile: IKitfile,
  entry: IScanEntry,
  kind: EntryKind
): IKitfile {
  const next = dropPath(kitfile, entry.path);
  const name = entry.name || baseName(entry.path);
  switch (kind) {
    case 'model': {
      const previous = next.model;
      const parts = [...(previous?.parts ?? [])];
      if (previous?.path) {
        parts.unshift({
          name: previous.name || baseName(previous.path),
          path: previous.path
        });
      }
      const model: IKitfileModel = {
        ...(previous ?? {}),
        name,
        path: entry.path,
        framework: entry.framework ?? '',
        format: entry.format ?? '',
        description: entry.description ?? ''
      };
      stripEmpty(model);
      if (parts.length > 0) {
        model.parts = parts;
      } else {
        delete model.parts;
      }
      next.model = model;
      break;
    }
    case 'modelpart': {
      const part = { name, path: entry.path, type: entry.type ?? '' };
      stripEmpty(part);
      next.model = {
        ...(next.model ?? {}),
        parts: [...(next.model?.parts ?? []), part]
      };
      break;
    }
    case 'dataset': {
      const dataset = {
        name,
        path: entry.path,
        description: entry.description ?? ''
      };
      stripEmpty(dataset);
      next.datasets = [...(next.datasets ?? []), dataset];
      break;
    }
    case 'code': {
      const code = { path: entry.path, description: entry.description ?? '' };
      stripEmpty(code);
      next.code = [...(next.code ?? []), code];
      break;
    }
    case 'docs': {
      const docs = { path: entry.path, description: entry.description ?? '' };
      stripEmpty(docs);
      next.docs = [...(next.docs ?? []), docs];
      break;
    }
  }
  return next;
}

function withoutModelPath(
  model: IKitfileModel,
  path: string
): IKitfileModel | undefined {
  const parts = (model.parts ?? []).filter(part => part.path !== path);
  if (model.path !== path) {
    const next: IKitfileModel = { ...model, parts };
    if (parts.length === 0) {
      delete next.parts;
    }
    return next;
  }
  // The main model goes: its first part (if any) takes its place, keeping the model's metadata
  // that is not about the file (license, version, parameters).
  if (parts.length === 0) {
    return undefined;
  }
  const [promoted, ...rest] = parts;
  const next: IKitfileModel = {
    ...model,
    name: promoted.name || baseName(promoted.path ?? ''),
    path: promoted.path,
    framework: undefined,
    format: undefined,
    description: undefined,
    parts: rest
  };
  stripEmpty(next);
  if (rest.length === 0) {
    delete next.parts;
  }
  return next;
}

function baseName(path: string): string {
  const last = path.replace(/\/+$/, '').split('/').pop() ?? path;
  const dot = last.lastIndexOf('.');
  return dot > 0 ? last.slice(0, dot) : last;
}

/** Remove keys whose value is undefined or '' (the Kitfile omits empty strings). */
function stripEmpty(object: object): void {
  const record = object as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (record[key] === undefined || record[key] === '') {
      delete record[key];
    }
  }
}

/**
 * The Kitfile without empty values ('', [], {}, undefined), recursively: what the Kitfile means. The
 * form adds empty lists and objects as it renders; they are not edits.
 */
export function pruneEmpty(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(pruneEmpty).filter(item => item !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .map(([key, item]) => [key, pruneEmpty(item)] as const)
      .filter(([, item]) => item !== undefined);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  return value === '' ? undefined : value;
}

/** True when two Kitfiles say the same thing (ignoring empty values and key order). */
export function sameKitfile(a: IKitfile | null, b: IKitfile | null): boolean {
  return stableJson(pruneEmpty(a)) === stableJson(pruneEmpty(b));
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(
          Object.entries(item).sort(([x], [y]) => x.localeCompare(y))
        )
      : item
  );
}

/** One line of a line diff: kept, only in the old text, or only in the new one. */
export interface IDiffLine {
  kind: 'same' | 'removed' | 'added';
  text: string;
}

/**
 * The lines of `before` and `after` as a diff (longest common subsequence), for showing what a
 * replacement would change before the user agrees to it. Kitfiles are small (at most 1 MiB, usually
 * a few dozen lines), so the quadratic table is fine; past `maxCells` the diff is "all removed, all
 * added" rather than a long computation.
 */
export function lineDiff(
  before: string,
  after: string,
  maxCells = 4_000_000
): IDiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length * b.length > maxCells) {
    return [
      ...a.map(text => ({ kind: 'removed' as const, text })),
      ...b.map(text => ({ kind: 'added' as const, text }))
    ];
  }
  // common[i][j]: length of the longest common subsequence of a[i:] and b[j:].
  const common = Array.from({ length: a.length + 1 }, () =>
    new Array<number>(b.length + 1).fill(0)
  );
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i][j] =
        a[i] === b[j]
          ? common[i + 1][j + 1] + 1
          : Math.max(common[i + 1][j], common[i][j + 1]);
    }
  }
  const lines: IDiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      lines.push({ kind: 'same', text: a[i] });
      i++;
      j++;
    } else if (common[i + 1][j] >= common[i][j + 1]) {
      lines.push({ kind: 'removed', text: a[i++] });
    } else {
      lines.push({ kind: 'added', text: b[j++] });
    }
  }
  for (; i < a.length; i++) {
    lines.push({ kind: 'removed', text: a[i] });
  }
  for (; j < b.length; j++) {
    lines.push({ kind: 'added', text: b[j] });
  }
  return lines;
}

/** Every path the Kitfile packs (model, parts, datasets, code, docs). */
export function kitfilePaths(kitfile: IKitfile): string[] {
  return [
    kitfile.model?.path,
    ...(kitfile.model?.parts ?? []).map(part => part.path),
    ...(kitfile.datasets ?? []).map(entry => entry.path),
    ...(kitfile.code ?? []).map(entry => entry.path),
    ...(kitfile.docs ?? []).map(entry => entry.path)
  ].filter((path): path is string => typeof path === 'string' && path !== '');
}

/** Whether a draft entry path covers `path` (the path itself, a folder holding it, or '.'). */
export function coveredBy(paths: string[], path: string): boolean {
  return paths.some(raw => {
    const entry = raw.replace(/^\.\/+/, '').replace(/\/+$/, '');
    return (
      entry === '' ||
      entry === '.' ||
      path === entry ||
      path.startsWith(entry + '/')
    );
  });
}

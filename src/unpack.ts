/**
 * Parameters of an unpack job (pull into a folder, optionally with a new notebook). Pure functions
 * (unit-tested by jest).
 */
import { kitFolderName } from './reference';

/** The parts of a kit a user can choose to unpack. */
export interface IUnpackSelection {
  model: boolean;
  datasets: boolean;
  code: boolean;
  docs: boolean;
}

export const UNPACK_ALL: IUnpackSelection = {
  model: true,
  datasets: true,
  code: true,
  docs: true
};

/**
 * kit's `--filter` list for a selection: everything selected → no filter (unpack all); otherwise one
 * `TYPES` filter that always includes the Kitfile (the generated notebook reads it). Null when nothing
 * is selected.
 */
export function unpackFilters(selection: IUnpackSelection): string[] | null {
  const types = (Object.keys(selection) as (keyof IUnpackSelection)[]).filter(
    key => selection[key]
  );
  if (types.length === 0) {
    return null;
  }
  if (types.length === Object.keys(UNPACK_ALL).length) {
    return [];
  }
  return [['kitfile', ...types].join(',')];
}

/** Where pulled kits go by default, inside the current folder. */
export const KITS_FOLDER = 'kits';

/**
 * Default destination: `kits/<name>` inside `cwd` ('' = the server root). An unpacked kit holds its
 * own Kitfile, which is how a scan of `cwd` knows to leave it out (it is a kit, not the model trained
 * here), so pulling never changes what packing `cwd` drafts.
 */
export function defaultDestination(reference: string, cwd: string): string {
  const name = kitFolderName(reference);
  const base = cwd.replace(/^\/+|\/+$/g, '');
  return [base, KITS_FOLDER, name].filter(Boolean).join('/');
}

/** The parent folder of a contents path (`a/b/train.ipynb` → `a/b`; `x.ipynb` → ''). */
export function parentFolder(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return slash >= 0 ? trimmed.slice(0, slash) : '';
}

/**
 * `base`, or `base-2`, `base-3` … : the first folder name `exists` says is free, so a default
 * destination is always a new folder and never mixes two kits.
 */
export async function uniqueFolder(
  base: string,
  exists: (path: string) => Promise<boolean>
): Promise<string> {
  if (!(await exists(base))) {
    return base;
  }
  for (let n = 2; n < 1000; n++) {
    const candidate = `${base}-${n}`;
    if (!(await exists(candidate))) {
      return candidate;
    }
  }
  return `${base}-${Date.now()}`;
}

/**
 * The runs table's layout (chosen columns in order, sort, grouping, collapsed groups), kept in localStorage per
 * data folder. A stored layout is checked field by field: unknown column ids are dropped, anything malformed falls
 * back to the default, so a stale or hand-edited entry can never break the table.
 */
import { DEFAULT_COLUMNS, parseColumn } from './columns.js';

export interface RunsTableLayout {
  columns: string[];
  sort: { column: string; dir: 'asc' | 'desc' };
  /** A config key (`config:<key>` column id) or a fixed column (algo, env, status) to group rows by; null: none. */
  groupBy: string | null;
  /** Group values collapsed (as shown in the group row). */
  collapsed: string[];
}

export function defaultLayout(): RunsTableLayout {
  return { columns: [...DEFAULT_COLUMNS], sort: { column: 'createdAt', dir: 'desc' }, groupBy: null, collapsed: [] };
}

const MAX_COLUMNS = 200;

/** A layout from stored JSON (any value): what is valid in it, defaults for the rest. */
export function parseLayout(value: unknown): RunsTableLayout {
  const out = defaultLayout();
  if (value === null || typeof value !== 'object') return out;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v.columns)) {
    const cols = v.columns.filter((c): c is string => typeof c === 'string' && parseColumn(c) !== null);
    const unique = [...new Set(cols)].slice(0, MAX_COLUMNS);
    if (unique.length > 0) out.columns = unique;
  }
  const sort = v.sort as Record<string, unknown> | undefined;
  if (sort && typeof sort === 'object' && typeof sort.column === 'string' && parseColumn(sort.column) && (sort.dir === 'asc' || sort.dir === 'desc')) {
    out.sort = { column: sort.column, dir: sort.dir };
  }
  if (typeof v.groupBy === 'string' && parseColumn(v.groupBy)) out.groupBy = v.groupBy;
  if (Array.isArray(v.collapsed)) out.collapsed = v.collapsed.filter((c): c is string => typeof c === 'string').slice(0, 1000);
  return out;
}

export function layoutStorageKey(home: string | null | undefined): string {
  return `policylab.runsTable.layout.v1:${home ?? ''}`;
}

/** The part of the Web Storage API used (declared here so this module type-checks without the DOM library). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}
function browserStorage(): KeyValueStorage | undefined {
  try {
    return (globalThis as { localStorage?: KeyValueStorage }).localStorage;
  } catch {
    return undefined; // reading localStorage throws where storage is disabled
  }
}

export function loadLayout(home: string | null | undefined, storage: KeyValueStorage | undefined = browserStorage()): RunsTableLayout {
  try {
    const text = storage?.getItem(layoutStorageKey(home));
    return text ? parseLayout(JSON.parse(text)) : defaultLayout();
  } catch {
    return defaultLayout(); // not JSON, or storage disabled
  }
}

/**
 * The layout of data folder `home` once it is known. A page that was changed and closed (or reloaded) before it
 * learned its data folder left its layout under the unkeyed entry; when `home` has none of its own, that one is
 * taken, saved under `home` and the unkeyed entry emptied (so it is not handed to another folder later).
 */
export function loadLayoutOf(home: string, storage: KeyValueStorage | undefined = browserStorage()): RunsTableLayout {
  try {
    if (storage?.getItem(layoutStorageKey(home))) return loadLayout(home, storage);
    const unkeyed = storage?.getItem(layoutStorageKey(null));
    if (!unkeyed) return defaultLayout();
    const layout = loadLayout(null, storage);
    saveLayout(home, layout, storage);
    storage?.setItem(layoutStorageKey(null), '');
    return layout;
  } catch {
    return defaultLayout();
  }
}

export function saveLayout(home: string | null | undefined, layout: RunsTableLayout, storage: KeyValueStorage | undefined = browserStorage()): void {
  try {
    storage?.setItem(layoutStorageKey(home), JSON.stringify(layout));
  } catch {
    // Storage full or disabled: the layout just does not persist.
  }
}

/** Moves a column one place left (−1) or right (+1); unchanged at the ends or when absent. */
export function moveColumn(columns: readonly string[], id: string, by: -1 | 1): string[] {
  const i = columns.indexOf(id);
  const j = i + by;
  if (i < 0 || j < 0 || j >= columns.length) return [...columns];
  const out = [...columns];
  [out[i], out[j]] = [out[j]!, out[i]!];
  return out;
}

/**
 * The layout of one view's chart grid (issue 11): the metric-key search, pinned charts (shown first, in pin order),
 * hidden charts (restorable from a menu) and whether the charts' x axes move together. Pure functions over a plain
 * object, kept in localStorage per data folder and view. A stored layout is checked field by field; anything
 * malformed falls back to the default, so a stale or hand-edited entry can never break a view.
 */

export interface ChartLayout {
  /** Substring or glob (`train/*`, `*loss*`), case-insensitive; several terms separated by commas match any. */
  search: string;
  /** Metric keys pinned, in pin order. */
  pinned: string[];
  /** Metric keys hidden, in hide order. */
  hidden: string[];
  /** Crosshair and x zoom/pan shared by every chart of the view. */
  syncX: boolean;
}

export function defaultChartLayout(): ChartLayout {
  return { search: '', pinned: [], hidden: [], syncX: true };
}

const MAX_KEYS = 2000;
const MAX_KEY_LENGTH = 500;
const MAX_SEARCH_LENGTH = 500;

function keyList(value: unknown): string[] | null {
  if (!Array.isArray(value)) return null;
  const keys = value.filter((k): k is string => typeof k === 'string' && k.length > 0 && k.length <= MAX_KEY_LENGTH);
  return [...new Set(keys)].slice(0, MAX_KEYS);
}

/** A layout from stored JSON (any value): the valid fields kept, defaults for the rest. */
export function parseChartLayout(value: unknown): ChartLayout {
  const out = defaultChartLayout();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return out;
  const v = value as Record<string, unknown>;
  if (typeof v.search === 'string') out.search = v.search.slice(0, MAX_SEARCH_LENGTH);
  out.pinned = keyList(v.pinned) ?? out.pinned;
  out.hidden = keyList(v.hidden) ?? out.hidden;
  if (typeof v.syncX === 'boolean') out.syncX = v.syncX;
  // A key is either pinned or hidden; a hand-edited entry with both keeps it pinned (visible is the safer side).
  const pinned = new Set(out.pinned);
  out.hidden = out.hidden.filter((k) => !pinned.has(k));
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** A predicate over metric keys for a search text; an empty search matches every key. */
export function keyMatcher(search: string): (key: string) => boolean {
  const terms = search
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t.length > 0);
  if (terms.length === 0) return () => true;
  const tests = terms.map((term): ((key: string) => boolean) => {
    if (!/[*?]/.test(term)) return (key) => key.toLowerCase().includes(term);
    // A glob matches the whole key: `*` any run of characters (slashes included), `?` one character.
    const pattern = new RegExp(`^${escapeRegExp(term).replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
    return (key) => pattern.test(key);
  });
  return (key) => tests.some((t) => t(key));
}

export interface ArrangedCharts {
  /** Pinned keys that exist and match the search, in pin order. */
  pinned: string[];
  /** The other shown keys, in the order given. */
  rest: string[];
  /** Hidden keys that exist, in hide order (whatever the search). */
  hidden: string[];
  /** Charts shown (pinned + rest) and keys in all. */
  shown: number;
  total: number;
}

/** Which charts a view shows, in what order: pinned first, then the rest; hidden ones aside; all filtered by search. */
export function arrangeCharts(keys: readonly string[], layout: ChartLayout): ArrangedCharts {
  const present = new Set(keys);
  const match = keyMatcher(layout.search);
  const hidden = new Set(layout.hidden);
  const pinnedSet = new Set(layout.pinned);
  const pinned = layout.pinned.filter((k) => present.has(k) && !hidden.has(k) && match(k));
  const rest = keys.filter((k) => !pinnedSet.has(k) && !hidden.has(k) && match(k));
  return {
    pinned,
    rest,
    hidden: layout.hidden.filter((k) => present.has(k)),
    shown: pinned.length + rest.length,
    total: present.size,
  };
}

/** Pins a key (last in pin order) or unpins it; pinning a hidden key shows it. */
export function togglePin(layout: ChartLayout, key: string): ChartLayout {
  if (layout.pinned.includes(key)) return { ...layout, pinned: layout.pinned.filter((k) => k !== key) };
  return { ...layout, pinned: [...layout.pinned, key], hidden: layout.hidden.filter((k) => k !== key) };
}

/** Hides a key (and unpins it). */
export function hideChart(layout: ChartLayout, key: string): ChartLayout {
  return {
    ...layout,
    pinned: layout.pinned.filter((k) => k !== key),
    hidden: layout.hidden.includes(key) ? layout.hidden : [...layout.hidden, key],
  };
}

/** Shows a hidden key again (in its usual place: restoring does not pin). */
export function restoreChart(layout: ChartLayout, key: string): ChartLayout {
  return { ...layout, hidden: layout.hidden.filter((k) => k !== key) };
}

export function restoreAll(layout: ChartLayout): ChartLayout {
  return { ...layout, hidden: [] };
}

/** Storage key of a view's layout in a data folder (`view`: e.g. `run:ppo`, `compare`). */
export function chartLayoutKey(home: string | null | undefined, view: string): string {
  return `policylab.charts.layout.v1:${home ?? ''}:${view}`;
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

export function loadChartLayout(
  home: string | null | undefined,
  view: string,
  storage: KeyValueStorage | undefined = browserStorage(),
): ChartLayout {
  try {
    // A layout changed before the app knew its data folder (system:info can take long on a busy machine) is kept
    // under no folder; a folder with no layout of its own takes that one.
    const text = storage?.getItem(chartLayoutKey(home, view)) ?? (home ? storage?.getItem(chartLayoutKey(null, view)) : null);
    return text ? parseChartLayout(JSON.parse(text)) : defaultChartLayout();
  } catch {
    return defaultChartLayout(); // not JSON, or storage disabled
  }
}

export function saveChartLayout(
  home: string | null | undefined,
  view: string,
  layout: ChartLayout,
  storage: KeyValueStorage | undefined = browserStorage(),
): void {
  try {
    storage?.setItem(chartLayoutKey(home, view), JSON.stringify(layout));
  } catch {
    // Storage full or disabled: the layout just does not persist.
  }
}

/**
 * Flattened run configs and the keys on which selected runs differ. Nested objects become dotted paths
 * (`optimizer.lr`); arrays are leaves compared as a whole (`hiddenSizes: [64, 64]`).
 */

export type ConfigLeaf = string | number | boolean | null | readonly unknown[] | Record<string, never>;

export interface ConfigSource {
  id: string;
  config: Record<string, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{a: {b: 1}, c: [1, 2]}` → `{'a.b': 1, c: [1, 2]}`. Undefined values are skipped; `{}` is a leaf. */
export function flattenConfig(config: Record<string, unknown>, prefix = ''): Record<string, ConfigLeaf> {
  const out: Record<string, ConfigLeaf> = {};
  const walk = (value: unknown, path: string): void => {
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return;
    if (isPlainObject(value)) {
      const entries = Object.entries(value);
      if (entries.length === 0 && path !== '') out[path] = {};
      for (const [k, v] of entries) walk(v, path === '' ? k : `${path}.${k}`);
      return;
    }
    if (typeof value === 'bigint') out[path] = value.toString();
    else out[path] = value as ConfigLeaf;
  };
  walk(config, prefix);
  return out;
}

/** JSON with sorted object keys, so equal values compare equal regardless of key order. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Display form of a config value: strings bare, the rest as JSON, a missing key as `—`. */
export function formatConfigValue(value: unknown): string {
  if (value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return stableStringify(value).replaceAll(',', ', ');
}

export interface ConfigDiff {
  /** Run ids, in the order given. */
  runIds: string[];
  /** Flattened keys whose values are not all equal (a key missing from some run counts as different), sorted. */
  keys: string[];
  /** values[key][i] is run i's value (undefined when the run lacks the key). */
  values: Record<string, (ConfigLeaf | undefined)[]>;
  /** Keys on which every run agrees, with that value. */
  shared: Record<string, ConfigLeaf>;
}

/** The config keys on which `runs` differ. One run (or none) differs on nothing. */
export function configDiff(runs: readonly ConfigSource[]): ConfigDiff {
  const flats = runs.map((r) => flattenConfig(r.config));
  const allKeys = new Set<string>();
  for (const f of flats) for (const k of Object.keys(f)) allKeys.add(k);
  const diff: ConfigDiff = { runIds: runs.map((r) => r.id), keys: [], values: {}, shared: {} };
  for (const key of [...allKeys].sort()) {
    const column = flats.map((f) => (Object.hasOwn(f, key) ? f[key] : undefined));
    const first = stableStringify(column[0]);
    const same = column.every((v) => v !== undefined && stableStringify(v) === first);
    if (same && column[0] !== undefined) diff.shared[key] = column[0];
    else {
      diff.keys.push(key);
      diff.values[key] = column;
    }
  }
  return diff;
}

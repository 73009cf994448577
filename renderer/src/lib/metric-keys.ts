/** Metric keys are namespaced (`rollout/episodeReturn`): charts are grouped by namespace, in this order. */
export const NAMESPACE_ORDER = ['rollout', 'eval', 'train', 'time'];

export function namespaceOf(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? 'other' : key.slice(0, slash);
}

/** Keys grouped by namespace, namespaces in NAMESPACE_ORDER then alphabetically, keys in the given order. */
export function groupByNamespace(keys: readonly string[]): [string, string[]][] {
  const groups: Record<string, string[]> = {};
  for (const key of keys) (groups[namespaceOf(key)] ??= []).push(key);
  const rank = (ns: string) => (NAMESPACE_ORDER.includes(ns) ? NAMESPACE_ORDER.indexOf(ns) : NAMESPACE_ORDER.length);
  return Object.entries(groups).sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
}

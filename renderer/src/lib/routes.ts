/**
 * Hash routes (`#/runs`, `#/launch[/<id>]`, `#/run/<id>[/replay]`, `#/compare/<id>,<id>…`, `#/sweeps[/<id>]`,
 * `#/prefs/frontier[/<id>,<id>…]`, `#/prefs/samples[/<id>,…]`): they keep the page URL
 * (and browser mode's `?token=`) untouched, survive reloads, and need nothing from the server. Pure functions, so
 * they are unit-tested in Node; state/router.svelte.ts follows `location.hash` with them.
 */
export type RunTab = 'overview' | 'replay' | 'samples';
export type DatasetTab = 'label' | 'browse' | 'transfer';
const DATASET_TABS: readonly string[] = ['label', 'browse', 'transfer'];
/** The Preferences view (renderer/src/prefs): the reward–KL frontier of chosen runs, and the sample viewer. */
export type PrefsTab = 'frontier' | 'samples';

export type Route =
  | { name: 'runs' }
  | { name: 'launch'; from: string | null }
  | { name: 'run'; id: string; tab?: RunTab }
  | { name: 'compare'; ids: string[] }
  | { name: 'sweeps'; id: string | null }
  | { name: 'datasets'; id: string | null; tab?: DatasetTab }
  | { name: 'prefs'; tab: PrefsTab; ids: string[] };

/** Most runs a compare URL carries (a longer selection is cut, not refused). */
export const MAX_COMPARE_RUNS = 64;

function decode(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [head, arg, sub] = path.split('/', 3);
  if (head === 'run' && arg) {
    const id = decode(arg);
    if (id) return { name: 'run', id, tab: sub === 'replay' || sub === 'samples' ? sub : 'overview' };
  }
  if (head === 'launch') return { name: 'launch', from: arg ? decode(arg) : null };
  if (head === 'sweeps') return { name: 'sweeps', id: arg ? decode(arg) : null };
  if (head === 'datasets') return { name: 'datasets', id: arg ? decode(arg) : null, tab: DATASET_TABS.includes(sub ?? '') ? (sub as DatasetTab) : 'label' };
  if (head === 'prefs') {
    const ids = (sub ?? '').split(',').map(decode).filter((id): id is string => !!id);
    return { name: 'prefs', tab: arg === 'samples' ? 'samples' : 'frontier', ids: [...new Set(ids)].slice(0, MAX_COMPARE_RUNS) };
  }
  if (head === 'compare') {
    const ids = (arg ?? '')
      .split(',')
      .map(decode)
      .filter((id): id is string => !!id);
    return { name: 'compare', ids: [...new Set(ids)].slice(0, MAX_COMPARE_RUNS) };
  }
  return { name: 'runs' };
}

export function routeHref(route: Route): string {
  switch (route.name) {
    case 'run':
      return `#/run/${encodeURIComponent(route.id)}${route.tab === 'replay' || route.tab === 'samples' ? `/${route.tab}` : ''}`;
    case 'launch':
      return route.from ? `#/launch/${encodeURIComponent(route.from)}` : '#/launch';
    case 'compare':
      return `#/compare/${route.ids.map(encodeURIComponent).join(',')}`;
    case 'datasets':
      return route.id ? `#/datasets/${encodeURIComponent(route.id)}/${route.tab ?? 'label'}` : '#/datasets';
    case 'prefs':
      return `#/prefs/${route.tab}${route.ids.length ? `/${route.ids.map(encodeURIComponent).join(',')}` : ''}`;
    case 'sweeps':
      return route.id ? `#/sweeps/${encodeURIComponent(route.id)}` : '#/sweeps';
    default:
      return '#/runs';
  }
}

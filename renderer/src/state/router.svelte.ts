/**
 * Hash routes (`#/runs`, `#/launch`, `#/run/<id>`): they keep the page URL (and browser mode's `?token=`)
 * untouched, survive reloads, and need nothing from the server.
 */
export type Route = { name: 'runs' } | { name: 'launch'; from: string | null } | { name: 'run'; id: string };

function parse(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [head, arg] = path.split('/', 2);
  if (head === 'run' && arg) return { name: 'run', id: decodeURIComponent(arg) };
  if (head === 'launch') return { name: 'launch', from: arg ? decodeURIComponent(arg) : null };
  return { name: 'runs' };
}

export class Router {
  route = $state<Route>(parse(location.hash));

  constructor() {
    window.addEventListener('hashchange', () => (this.route = parse(location.hash)));
  }

  go(route: Route): void {
    location.hash = Router.href(route);
  }

  static href(route: Route): string {
    if (route.name === 'run') return `#/run/${encodeURIComponent(route.id)}`;
    if (route.name === 'launch') return route.from ? `#/launch/${encodeURIComponent(route.from)}` : '#/launch';
    return '#/runs';
  }
}

export const router = new Router();

/** The current route, following `location.hash` (see lib/routes.ts for the URL shapes). */
import { parseRoute, routeHref, type Route } from '../lib/routes.js';

export type { PrefsTab, Route, RunTab } from '../lib/routes.js';

export class Router {
  route = $state<Route>(parseRoute(location.hash));

  constructor() {
    window.addEventListener('hashchange', () => (this.route = parseRoute(location.hash)));
  }

  go(route: Route): void {
    location.hash = Router.href(route);
  }

  static href(route: Route): string {
    return routeHref(route);
  }
}

export const router = new Router();

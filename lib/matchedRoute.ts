/**
 * The route a request matched, as a template (`/api/products/:id`), never the raw path, so ids stay
 * out of metric labels and span names: the express route that matched, the mount path when only a
 * mounted app or middleware answered, or the route a plain node:http handler named with
 * setMatchedRoute() (the gateway's front door serves /graphql without express).
 */
import type { IncomingMessage } from 'node:http';

const named = new WeakMap<IncomingMessage, string>();

export function setMatchedRoute(req: IncomingMessage, route: string): void {
  named.set(req, route);
}

/** Undefined when nothing matched (a 404, or a request still under way). */
export function matchedRoute(req: IncomingMessage): string | undefined {
  const route = named.get(req);
  if (route !== undefined) return route;
  // Set by express on its own request object.
  const routed = req as IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };
  const path = routed.route?.path;
  if (typeof path === 'string') return `${routed.baseUrl ?? ''}${path}`;
  return routed.baseUrl || undefined;
}

/** The path of a request URL, without its query string. */
export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

// Hash routing: #/inbox/<id> → the route whose path is the longest prefix, with the
// rest as params. Pages are loaded on first use.

import { routes, DEFAULT } from './routes.js';
import { atLeast } from './orgs.js';

/** The route and params of the fragment now (the default page when none matches). */
export function resolve(hash, role) {
  const segments = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  let best = null;
  for (const route of routes) {
    const parts = route.path.split('/');
    const matches = parts.every((p, i) => segments[i] === p);
    if (matches && (!best || parts.length > best.path.split('/').length)) best = route;
  }
  if (!best || !atLeast(role, best.role)) {
    return { route: routes.find((r) => r.path === DEFAULT), params: [], redirected: true };
  }
  return { route: best, params: segments.slice(best.path.split('/').length) };
}

/** Goes to `#/path`. */
export function navigate(path) {
  const target = `#/${path}`;
  if (location.hash !== target) location.hash = target;
}

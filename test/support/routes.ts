// The route list the route-by-route suites (isolation, hostile input) walk: each fails when the app
// gains a route it has no case for. Parsed from Fastify's printRoutes tree, then checked with
// hasRoute so a change in the tree's format fails loudly instead of listing nothing.
import type { App } from '../../src/platform/http.js';

/** Every "METHOD /path" the app serves (HEAD only where it is not GET's automatic twin). */
export function appRoutes(app: App): string[] {
  const found = new Map<string, Set<string>>();
  const stack: string[] = [];
  for (const line of app.printRoutes().split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    stack.length = (m[1] ?? '').length / 4;
    stack.push(m[2] ?? '');
    if (!m[3]) continue;
    const path = stack.join('');
    const methods = found.get(path) ?? new Set<string>();
    for (const method of m[3].split(', ')) methods.add(method);
    found.set(path, methods);
  }
  const out: string[] = [];
  for (const [path, methods] of found) {
    for (const method of methods) {
      if (method === 'HEAD' && methods.has('GET')) continue;
      if (!app.hasRoute({ method: method as 'GET', url: path })) throw new Error(`route list parse error: ${method} ${path}`);
      out.push(`${method} ${path}`);
    }
  }
  return out.sort();
}

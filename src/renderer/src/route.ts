// The screen shown, kept in the URL's #fragment (#/search, #/package/<name>, …) so Back and reload work.
import { useEffect, useState } from 'react';

export type Route =
  | { screen: 'overview' }
  | { screen: 'search' }
  | { screen: 'package'; name: string }
  | { screen: 'publish' }
  | { screen: 'tokens' }
  | { screen: 'mirror' }
  | { screen: 'policy' }
  | { screen: 'graph'; name?: string }
  | { screen: 'registries' }
  | { screen: 'activity' }
  | { screen: 'settings' };

export function parseRoute(hash: string): Route {
  // A screen may keep its own state after '?' (the graph's source, focus and filters): not part of the route.
  const [screen = '', ...rest] = hash.replace(/^#\/?/, '').split('?')[0]!.split('/');
  const arg = rest.length ? decodeURIComponent(rest.join('/')) : undefined;
  switch (screen) {
    case 'search':
    case 'publish':
    case 'tokens':
    case 'mirror':
    case 'policy':
    case 'registries':
    case 'activity':
    case 'settings':
      return { screen };
    case 'package':
      return arg ? { screen: 'package', name: arg } : { screen: 'search' };
    case 'graph':
      return { screen: 'graph', name: arg };
    default:
      return { screen: 'overview' };
  }
}

export function href(route: Route): string {
  if (route.screen === 'package') return `#/package/${encodeURIComponent(route.name)}`;
  if (route.screen === 'graph' && route.name) return `#/graph/${encodeURIComponent(route.name)}`;
  return `#/${route.screen === 'overview' ? '' : route.screen}`;
}

export function navigate(route: Route): void {
  globalThis.location.hash = href(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(globalThis.location?.hash ?? ''));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(globalThis.location.hash));
    globalThis.addEventListener('hashchange', onChange);
    return () => globalThis.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

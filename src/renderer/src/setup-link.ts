// Takes the one-time setup token out of the page address (`#setup=<token>`), once, so it is not left in history or on screen.
export function takeSetupToken(location: Location = window.location, history: History = window.history): string | undefined {
  const match = /^#setup=([^&]+)$/.exec(location.hash);
  if (!match) return undefined;
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  return decodeURIComponent(match[1]!);
}

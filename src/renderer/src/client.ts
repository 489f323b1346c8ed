// The typed client for the UI contract: the desktop preload's bridge when present, else HTTP RPC to the serving registry.
import {
  CALL_NAMES,
  EVENTS_PATH,
  RPC_PATH,
  ShelfEvent,
  type CallArgs,
  type CallFailure,
  type CallName,
  type CallResult,
  type ShelfBridge,
} from '../../shared/contract';

/** A failed call: the server's message, for people, and its code, for code. */
export class CallError extends Error implements CallFailure {
  override name = 'CallError';
  readonly code: string;
  constructor(failure: CallFailure) {
    super(failure.message);
    this.code = failure.code;
  }
}

function isFailure(value: unknown): value is CallFailure {
  const v = value as Partial<CallFailure> | null;
  return typeof v === 'object' && v !== null && typeof v.message === 'string' && typeof v.code === 'string';
}

/** The preload rejects with plain `{code, message}` data (contextBridge would strip `code` off an Error); make it an Error. */
export function ipcClient(bridge: ShelfBridge): ShelfBridge {
  const client = {} as Record<CallName, (args: unknown) => Promise<unknown>>;
  for (const name of CALL_NAMES) {
    const call = (bridge as unknown as Record<string, (args: unknown) => Promise<unknown>>)[name]!;
    client[name] = (args) =>
      call(args).catch((error: unknown) => {
        if (error instanceof CallError) throw error;
        throw new CallError(
          isFailure(error) ? error : { code: 'internal', message: error instanceof Error ? error.message : String(error) },
        );
      });
  }
  return client as ShelfBridge;
}

/** Browser mode: POST `${RPC_PATH}/<name>` on the origin that served the page (the server refuses other origins). */
export function httpClient(fetchImpl: typeof fetch = (input, init) => fetch(input, init), base = ''): ShelfBridge {
  const client = {} as Record<CallName, (args: unknown) => Promise<unknown>>;
  for (const name of CALL_NAMES) {
    client[name] = async (args) => {
      let response: Response;
      try {
        response = await fetchImpl(`${base}${RPC_PATH}/${encodeURIComponent(name)}`, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify(args ?? {}),
        });
      } catch {
        throw new CallError({
          code: 'unreachable',
          message: 'Shelf did not answer; check that `shelf serve` is still running, then retry',
        });
      }
      const body: unknown = await response.json().catch(() => undefined);
      if (response.ok) return body;
      const error = (body as { error?: unknown; code?: unknown } | undefined) ?? {};
      throw new CallError({
        code: typeof error.code === 'string' ? error.code : `http_${response.status}`,
        message: typeof error.error === 'string' ? error.error : `Shelf answered ${response.status} ${response.statusText}`.trim(),
      });
    };
  }
  return client as ShelfBridge;
}

export type Transport = 'ipc' | 'http';

/** `window.shelf`, put there by the desktop preload; read through globalThis so this module also loads in Node tests. */
const bridge = (globalThis as { shelf?: ShelfBridge }).shelf;

/** Which way calls travel; the desktop window (IPC) is the machine's owner, a browser tab is not. */
export const transport: Transport = bridge ? 'ipc' : 'http';

export const client: ShelfBridge = bridge ? ipcClient(bridge) : httpClient();
/** The desktop app's native folder picker; undefined in browser mode, where the page uploads a folder instead. */
export const folderPicker = bridge?.pickFolder;

/** Where `call` sends: `client`, unless `setClient` pointed the stores elsewhere. */
let active: ShelfBridge = client;

/**
 * Sends every store's calls through another client (undefined restores the default). Node tests use it to run the real
 * stores over `httpClient` against a real server, with a fetch that carries the session cookie and the page's Origin.
 */
export function setClient(next: ShelfBridge | undefined): void {
  active = next ?? client;
}

/** One call, typed from the contract; stores use this rather than holding the client themselves. */
export function call<N extends CallName>(name: N, args: CallArgs<N>): Promise<CallResult<N>> {
  return (active[name] as unknown as (args: CallArgs<N>) => Promise<CallResult<N>>)(args);
}

/**
 * Hears main-process events (job progress): over IPC in the desktop app, over server-sent events in browser mode (the
 * stream needs the session cookie, so subscribe after signing in). Malformed events are dropped.
 */
export function subscribeEvents(listener: (event: ShelfEvent) => void): () => void {
  const accept = (raw: unknown) => {
    const parsed = ShelfEvent.safeParse(raw);
    if (parsed.success) listener(parsed.data);
  };
  if (bridge?.onEvent) return bridge.onEvent(accept);
  if (typeof EventSource === 'undefined') return () => undefined;
  const source = new EventSource(EVENTS_PATH);
  for (const type of ['job', 'packages', 'policy'])
    source.addEventListener(type, (message) => {
      try {
        accept(JSON.parse((message as unknown as { data: string }).data));
      } catch {
        /* not JSON: ignore */
      }
    });
  return () => source.close();
}

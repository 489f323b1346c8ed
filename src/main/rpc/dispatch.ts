// Runs one contract call: checks the name, validates the arguments against the contract's schema, requires a signed-in
// session for calls that need one, then calls the handler. Both transports (Electron IPC and browser-mode HTTP) go
// through here, so neither validation nor the session check can be skipped by either.
import { contract, type CallName, type CallResult, type ParsedArgs } from '../../shared/contract';
import { ShelfError, badRequest, notFound, storageError } from '../errors';

/**
 * The UI session of one caller: a browser's cookie session, or the desktop window's single in-memory session. The user is
 * resolved before the call is dispatched (a browser session's once per request, from the database), so userId() is
 * synchronous; signing in or out may write (a browser session's row), so callers await it before answering.
 */
export interface UiSession {
  userId(): number | undefined;
  signIn(userId: number): Promise<void> | void;
  signOut(): Promise<void> | void;
}

export interface CallContext {
  transport: 'ipc' | 'http';
  /**
   * True when the caller is the desktop app's own window, whose user owns the machine and the data folder;
   * such a caller may create the first admin account without the one-time setup token.
   */
  isLocalOwner: boolean;
  session: UiSession;
  /** The caller's address, for login throttling ('local' for the desktop window). */
  client: string;
}

export type Handlers = {
  [N in CallName]: (args: ParsedArgs<N>, ctx: CallContext) => Promise<CallResult<N>>;
};

/** The data folder each handler table writes to, for naming it when the disk is full (set by createHandlers). */
const dataDirs = new WeakMap<Handlers, string>();
export function setDataDirOf(handlers: Handlers, dataDir: string): void {
  dataDirs.set(handlers, dataDir);
}

export function isCallName(name: string): name is CallName {
  return Object.prototype.hasOwnProperty.call(contract, name);
}

/** A session that is never signed in (tests, and callers that have none). */
export function anonymousSession(): UiSession {
  return { userId: () => undefined, signIn: () => undefined, signOut: () => undefined };
}

/** A session held in memory: the desktop window's (one window, one person at the machine). */
export function memorySession(): UiSession {
  let current: number | undefined;
  return {
    userId: () => current,
    signIn: (id) => {
      current = id;
    },
    signOut: () => {
      current = undefined;
    },
  };
}

export async function dispatch(handlers: Handlers, name: string, rawArgs: unknown, ctx: CallContext): Promise<unknown> {
  if (!isCallName(name)) throw notFound(`unknown call '${name}'`);
  const parsed = contract[name].args.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    const detail = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`).join('; ');
    throw badRequest(`invalid arguments for ${name}: ${detail}`);
  }
  if (contract[name].access === 'user' && ctx.session.userId() === undefined) {
    throw new ShelfError('authentication_required', `sign in to Shelf first: ${name} needs a signed-in user`);
  }
  const handler = handlers[name] as (args: unknown, ctx: CallContext) => Promise<unknown>;
  try {
    return await handler(parsed.data, ctx);
  } catch (error) {
    // A full disk (or a read-only start on one) is the npm door's 507, with the same message naming the data folder and
    // the room needed, not an unexpected error: both transports then show what to do.
    const dataDir = dataDirs.get(handlers);
    throw (dataDir !== undefined && storageError(error, dataDir)) || error;
  }
}

/** The plain, serialisable form of a failure, as both transports send it to the renderer. */
export function toCallFailure(error: unknown): { code: string; message: string; status: number } {
  if (error instanceof ShelfError) return { code: error.code, message: error.message, status: error.status };
  return { code: 'internal', message: 'Shelf hit an unexpected error; see the log for details', status: 500 };
}

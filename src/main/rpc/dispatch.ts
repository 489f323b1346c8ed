// Runs one contract call: checks the name, validates the arguments against the contract's schema, calls the handler.
// Both transports (Electron IPC and browser-mode HTTP) go through here, so validation cannot be skipped by either.
import { contract, type CallName, type CallResult, type ParsedArgs } from '../../shared/contract';
import { ShelfError, badRequest, notFound } from '../errors';

export interface CallContext {
  transport: 'ipc' | 'http';
  /**
   * True when the caller is the desktop app's own window, whose user owns the machine and the data folder;
   * such a caller may create the first admin account without the one-time setup token.
   */
  isLocalOwner: boolean;
}

export type Handlers = {
  [N in CallName]: (args: ParsedArgs<N>, ctx: CallContext) => Promise<CallResult<N>>;
};

export function isCallName(name: string): name is CallName {
  return Object.prototype.hasOwnProperty.call(contract, name);
}

export async function dispatch(handlers: Handlers, name: string, rawArgs: unknown, ctx: CallContext): Promise<unknown> {
  if (!isCallName(name)) throw notFound(`unknown call '${name}'`);
  const parsed = contract[name].args.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`)
      .join('; ');
    throw badRequest(`invalid arguments for ${name}: ${detail}`);
  }
  const handler = handlers[name] as (args: unknown, ctx: CallContext) => Promise<unknown>;
  return handler(parsed.data, ctx);
}

/** The plain, serialisable form of a failure, as both transports send it to the renderer. */
export function toCallFailure(error: unknown): { code: string; message: string; status: number } {
  if (error instanceof ShelfError) return { code: error.code, message: error.message, status: error.status };
  return { code: 'internal', message: 'Shelf hit an unexpected error; see the log for details', status: 500 };
}

// dispatch: the one gate every UI call passes, whichever transport carried it.
import { describe, expect, it, vi } from 'vitest';
import { ShelfError, conflict } from '../../../src/main/errors';
import { anonymousSession, dispatch, memorySession, toCallFailure, type CallContext, type Handlers } from '../../../src/main/rpc/dispatch';

const ctx: CallContext = { transport: 'http', isLocalOwner: false, session: anonymousSession(), client: '127.0.0.1' };

/** A hand-made handler table of spies; each test checks which were reached and with what. */
function handlerTable() {
  const spies = {
    'registry.status': vi.fn(async () => {
      throw new Error('not used here');
    }),
    'packages.list': vi.fn(async (_args: unknown, _ctx: CallContext) => ({ total: 0, packages: [] })),
    'setup.createAdmin': vi.fn(async (args: { username: string }) => ({ username: args.username })),
  };
  return { handlers: spies as unknown as Handlers, spies };
}

async function failureOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return toCallFailure(error);
  }
  throw new Error('expected the call to fail');
}

describe('dispatch', () => {
  it('refuses an unknown call name as not_found without running any handler', async () => {
    const { handlers, spies } = handlerTable();
    const failure = await failureOf(dispatch(handlers, 'packages.drop', {}, ctx));
    expect(failure).toMatchObject({ code: 'not_found', status: 404 });
    expect(failure.message).toContain("unknown call 'packages.drop'");
    for (const spy of Object.values(spies)) expect(spy).not.toHaveBeenCalled();
  });

  it('does not treat inherited object properties as call names', async () => {
    const failure = await failureOf(dispatch(handlerTable().handlers, 'toString', {}, ctx));
    expect(failure.code).toBe('not_found');
  });

  it('refuses malformed arguments with a message naming the offending field', async () => {
    const { handlers, spies } = handlerTable();
    const tooSmall = await failureOf(dispatch(handlers, 'packages.list', { limit: 0 }, ctx));
    expect(tooSmall).toMatchObject({ code: 'invalid_request', status: 400 });
    expect(tooSmall.message).toMatch(/^invalid arguments for packages\.list: limit: /);

    const badEmail = await failureOf(dispatch(handlers, 'setup.createAdmin', { username: 'a', password: 'p', email: 'not-an-email' }, ctx));
    expect(badEmail.message).toContain('email');

    const missing = await failureOf(dispatch(handlers, 'setup.createAdmin', { email: 'a@example.test' }, ctx));
    expect(missing.message).toContain('username');
    expect(missing.message).toContain('password');
    expect(spies['packages.list']).not.toHaveBeenCalled();
    expect(spies['setup.createAdmin']).not.toHaveBeenCalled();
  });

  it('refuses arguments the contract does not know (the schemas are strict)', async () => {
    const failure = await failureOf(dispatch(handlerTable().handlers, 'packages.list', { limit: 5, admin: true }, ctx));
    expect(failure.code).toBe('invalid_request');
    expect(failure.message).toContain('admin');
  });

  it('refuses arguments that are not an object at all', async () => {
    const failure = await failureOf(dispatch(handlerTable().handlers, 'packages.list', [1, 2], ctx));
    expect(failure.code).toBe('invalid_request');
  });

  it('hands the handler the parsed arguments with defaults filled in, and the caller context', async () => {
    const { handlers, spies } = handlerTable();
    await dispatch(handlers, 'packages.list', undefined, ctx);
    expect(spies['packages.list']).toHaveBeenCalledWith({ offset: 0, limit: 100 }, ctx);

    const owner: CallContext = { transport: 'ipc', isLocalOwner: true, session: memorySession(), client: 'local' };
    await dispatch(handlers, 'packages.list', { offset: 20 }, owner);
    expect(spies['packages.list']).toHaveBeenLastCalledWith({ offset: 20, limit: 100 }, owner);
  });

  it('returns what the handler returns', async () => {
    const result = await dispatch(
      handlerTable().handlers,
      'setup.createAdmin',
      { username: 'ada', password: 'pw', email: 'ada@example.test' },
      ctx,
    );
    expect(result).toEqual({ username: 'ada' });
  });
});

describe('toCallFailure', () => {
  it("keeps a ShelfError's code, status and message", () => {
    expect(toCallFailure(conflict('the admin account already exists'))).toEqual({
      code: 'conflict',
      message: 'the admin account already exists',
      status: 409,
    });
    expect(toCallFailure(new ShelfError('rate_limit_exceeded', 'slow down'))).toMatchObject({ status: 429 });
  });

  it('hides the details of any other error behind a generic internal failure', () => {
    const failure = toCallFailure(new Error('SQLITE_CORRUPT at /home/someone/secret/path'));
    expect(failure).toMatchObject({ code: 'internal', status: 500 });
    expect(failure.message).not.toContain('SQLITE');
  });
});

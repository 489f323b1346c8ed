// The contract's package.relations call and the publish calls' registry choice: dispatch refuses malformed arguments
// before any handler runs, fills in the defaults (this Shelf), and refuses signed-out callers.
import { describe, expect, it, vi } from 'vitest';
import { anonymousSession, dispatch, memorySession, toCallFailure, type CallContext, type Handlers } from '../../../src/main/rpc/dispatch';
import { packumentUrl } from '../../../src/main/services/remotes/publish';

function signedIn(): CallContext {
  const session = memorySession();
  session.signIn(1);
  return { transport: 'http', isLocalOwner: false, session, client: '127.0.0.1' };
}

function table() {
  const spies = {
    'package.relations': vi.fn(async (args: unknown) => args),
    'publish.inspect': vi.fn(async (args: unknown) => args),
    'publish.run': vi.fn(async (args: unknown) => args),
  };
  return { handlers: spies as unknown as Handlers, spies };
}

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return toCallFailure(error);
  }
  throw new Error('expected the call to fail');
}

describe('package.relations and the publish registry in the contract', () => {
  it.each([
    ['package.relations', { name: 'a' }, 'version'],
    ['package.relations', { name: '', version: '1.0.0' }, 'name'],
    ['package.relations', { name: 'a', version: '1.0.0', extra: true }, 'extra'],
    ['publish.inspect', { path: '/x', registryId: '' }, 'registryId'],
    ['publish.run', { path: '/x', registryId: 'r'.repeat(65) }, 'registryId'],
    ['publish.run', { path: '/x', registryId: 7 }, 'registryId'],
    ['publish.inspect', {}, 'give either path (a folder on the server) or upload'],
    ['publish.run', { upload: { name: 'x', files: [{ path: 'package.json', data: 'not base64!' }] } }, 'upload.files.0.data'],
    ['publish.run', { upload: { name: 'x', files: [] } }, 'upload.files'],
    ['graph.resolve', { kind: 'upload', upload: { name: 'x' } }, 'upload.files'],
  ])('%s refuses %j, naming %s, before any handler runs', async (name, args, field) => {
    const { handlers, spies } = table();
    const refused = await failure(dispatch(handlers, name, args, signedIn()));
    expect(refused).toMatchObject({ code: 'invalid_request', status: 400 });
    expect(refused.message).toContain(`invalid arguments for ${name}`);
    expect(refused.message).toContain(field);
    for (const spy of Object.values(spies)) expect(spy).not.toHaveBeenCalled();
  });

  it("publishes to this Shelf unless a registry is named, with 'latest' as the default tag", async () => {
    const { handlers, spies } = table();
    await dispatch(handlers, 'publish.inspect', { path: '/x' }, signedIn());
    expect(spies['publish.inspect']).toHaveBeenCalledWith({ path: '/x', registryId: 'local' }, expect.anything());
    await dispatch(handlers, 'publish.run', { path: '/x', registryId: 'abc123' }, signedIn());
    // exclude defaults to nothing left out.
    expect(spies['publish.run']).toHaveBeenCalledWith({ path: '/x', tag: 'latest', registryId: 'abc123', exclude: [] }, expect.anything());
  });

  it('needs a signed-in user for relations and for publishing anywhere', async () => {
    const { handlers } = table();
    const ctx: CallContext = { transport: 'http', isLocalOwner: false, session: anonymousSession(), client: '127.0.0.1' };
    for (const [name, args] of [
      ['package.relations', { name: 'a', version: '1.0.0' }],
      ['publish.run', { path: '/x', registryId: 'abc123' }],
    ] as const)
      expect(await failure(dispatch(handlers, name, args, ctx))).toMatchObject({ code: 'authentication_required' });
  });

  it("spells a remote package's URL as npm does (scoped names keep @, the slash is encoded)", () => {
    expect(packumentUrl('http://127.0.0.1:4873/', 'left-pad')).toBe('http://127.0.0.1:4873/left-pad');
    expect(packumentUrl('https://r.example/npm', '@team/x')).toBe('https://r.example/npm/@team%2Fx');
  });
});

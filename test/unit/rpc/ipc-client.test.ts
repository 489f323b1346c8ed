// The renderer client's desktop path: failures from the preload bridge become Errors that keep the server's code.
import { describe, expect, it, vi } from 'vitest';
import { CallError, ipcClient } from '../../../src/renderer/src/client';
import type { ShelfBridge } from '../../../src/shared/contract';

function bridgeRejectingWith(reason: unknown): ShelfBridge {
  const reject = vi.fn(async () => Promise.reject(reason));
  return { 'registry.status': reject, 'packages.list': reject, 'setup.createAdmin': reject } as unknown as ShelfBridge;
}

describe('ipcClient', () => {
  it('turns the plain {code, message} failure the preload rejects with into a CallError with both', async () => {
    const client = ipcClient(
      bridgeRejectingWith({ name: 'ShelfCallError', code: 'conflict', message: 'the admin account already exists' }),
    );
    const error = await client['setup.createAdmin']({ username: 'a', password: 'b', email: 'a@example.test' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallError);
    expect(error).toMatchObject({ code: 'conflict', message: 'the admin account already exists' });
  });

  it('keeps the message of a bare Error (as contextBridge would deliver one) and calls it internal', async () => {
    const client = ipcClient(bridgeRejectingWith(new Error('boom')));
    const error = await client['registry.status']({}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'internal', message: 'boom' });
  });

  it('passes results and arguments straight through', async () => {
    const status = vi.fn(async (args: unknown) => ({ echoed: args }));
    const client = ipcClient({ 'registry.status': status, 'packages.list': status, 'setup.createAdmin': status } as unknown as ShelfBridge);
    await expect(client['packages.list']({ limit: 5 })).resolves.toEqual({ echoed: { limit: 5 } });
  });
});

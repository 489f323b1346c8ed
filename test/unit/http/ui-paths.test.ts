// The UI routes keep their own copies of the contract's path names (loading the contract builds every zod schema);
// they must stay the same. Also: sign-in sessions are bounded.
import { describe, expect, it } from 'vitest';
import { EVENTS_PATH, RPC_PATH, SESSION_COOKIE } from '../../../src/shared/contract';
import * as uiPaths from '../../../src/main/http/ui-paths';
import { UiSessionStore } from '../../../src/main/http/ui-session';
import type { FastifyReply, FastifyRequest } from 'fastify';

describe('ui-paths', () => {
  it('matches the contract', () => {
    expect({ ...uiPaths }).toEqual({ RPC_PATH, EVENTS_PATH, SESSION_COOKIE });
  });
});

describe('UiSessionStore', () => {
  const request = (cookie?: string) => ({ headers: { cookie } }) as unknown as FastifyRequest;
  const reply = () => ({ header: () => undefined }) as unknown as FastifyReply;

  it('ends the oldest sessions rather than grow past its cap, dropping ended ones first', () => {
    let now = 0;
    const store = new UiSessionStore(1000, () => now, 3);
    for (let user = 1; user <= 3; user++) store.forRequest(request(), reply(), false).signIn(user);
    expect(store.size).toBe(3);
    now = 500;
    store.forRequest(request(), reply(), false).signIn(4);
    expect(store.size).toBe(3);
    now = 1200; // the first three have ended
    store.forRequest(request(), reply(), false).signIn(5);
    expect(store.size).toBe(2);
  });

  it('keeps the newest session usable when the cap is reached', () => {
    const store = new UiSessionStore(60_000, () => 0, 2);
    const ids: string[] = [];
    const capture = () => ({ header: (_: string, v: string) => ids.push(/shelf_session=([^;]*)/.exec(v)![1]!) }) as unknown as FastifyReply;
    for (let user = 1; user <= 3; user++) store.forRequest(request(), capture(), false).signIn(user);
    expect(store.userOf(ids[0])).toBeUndefined();
    expect(store.userOf(ids[1])).toBe(2);
    expect(store.userOf(ids[2])).toBe(3);
  });
});

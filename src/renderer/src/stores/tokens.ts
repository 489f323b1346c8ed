// The signed-in user's tokens: list, create (the secret is kept only until the user dismisses it), revoke.
import { create } from 'zustand';
import type { CallArgs, TokenView } from '../../../shared/contract';
import { call } from '../client';
import { track } from './async-state';

interface TokensState {
  tokens: TokenView[];
  loaded: boolean;
  loading: boolean;
  error?: string;
  /** Why the last create was refused, shown in the form by the field it is about (not with the list's errors). */
  createError?: { field: 'name' | 'cidr' | 'expires' | 'form'; message: string };
  creating: boolean;
  /** The new token's secret, shown once. */
  created?: { secret: string; token: TokenView };
  load(): Promise<void>;
  create(input: CallArgs<'tokens.create'>): Promise<boolean>;
  revoke(key: string): Promise<boolean>;
  dismissSecret(): void;
}

export const useTokensStore = create<TokensState>()((set, get) => ({
  tokens: [],
  loaded: false,
  loading: false,
  creating: false,
  async load() {
    await track<TokensState>(set, async () => ({ tokens: (await call('tokens.list', {})).tokens, loaded: true }));
  },
  async create(input) {
    set({ creating: true, createError: undefined });
    try {
      const created = await call('tokens.create', input);
      set({ created, creating: false });
    } catch (error) {
      const message = (error as Error).message;
      set({ creating: false, createError: { field: fieldOf(message), message } });
      return false;
    }
    await get().load();
    return true;
  },
  async revoke(key) {
    const ok = await track<TokensState>(set, async () => {
      await call('tokens.revoke', { key });
      return {};
    });
    if (ok) await get().load();
    return ok;
  },
  dismissSecret() {
    set({ created: undefined });
  },
}));

/** Which field a refusal is about, from the server's message: an address range, the expiry, the name, else the whole form. */
function fieldOf(message: string): 'name' | 'cidr' | 'expires' | 'form' {
  if (/cidr|ip range|address|limited to/i.test(message)) return 'cidr';
  if (/expir|days/i.test(message)) return 'expires';
  if (/\bname\b/i.test(message)) return 'name';
  return 'form';
}

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
  async load() {
    await track<TokensState>(set, async () => ({ tokens: (await call('tokens.list', {})).tokens, loaded: true }));
  },
  async create(input) {
    const ok = await track<TokensState>(set, async () => ({ created: await call('tokens.create', input) }));
    if (ok) await get().load();
    return ok;
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

// The supply-chain policy (admins): its rules, what is held or flagged now and why, reviews, and the audit log.
import { create } from 'zustand';
import type { CallResult } from '../../../shared/contract';
import { call } from '../client';
import { track } from './async-state';
import { useToastStore } from './toasts';

type PolicyView = CallResult<'policy.get'>;
type HeldItem = CallResult<'policy.held'>['items'][number];
type AuditEntry = CallResult<'policy.audit'>['entries'][number];
type WhyItem = CallResult<'policy.why'>['items'][number];
export type ProvenanceItem = NonNullable<CallResult<'policy.why'>['provenance']>[number];

interface PolicyState {
  view?: PolicyView;
  held: HeldItem[];
  audit: AuditEntry[];
  loaded: boolean;
  loading: boolean;
  error?: string;
  saving: boolean;
  saveError?: string;
  load(): Promise<void>;
  save(policy: Record<string, unknown>): Promise<boolean>;
  review(name: string, version: string, decision: 'approved' | 'denied'): Promise<boolean>;
  /** Why versions of one mirrored package are held or flagged (the package page); any signed-in user may ask. */
  why?: { name: string; items: WhyItem[]; provenance: ProvenanceItem[] };
  loadWhy(name: string): Promise<void>;
}

export const usePolicyStore = create<PolicyState>()((set, get) => ({
  held: [],
  audit: [],
  loaded: false,
  loading: false,
  saving: false,
  async load() {
    await track<PolicyState>(set, async () => {
      const [view, held, audit] = await Promise.all([call('policy.get', {}), call('policy.held', {}), call('policy.audit', {})]);
      return { view, held: held.items, audit: audit.entries, loaded: true };
    });
  },
  async save(policy) {
    set({ saving: true, saveError: undefined });
    try {
      const view = await call('policy.set', { policy });
      set({ view, saving: false });
      useToastStore.getState().push('ok', 'Policy saved: every mirrored package is decided again on its next read');
    } catch (error) {
      set({ saving: false, saveError: (error as Error).message });
      return false;
    }
    await get().load();
    return true;
  },
  async loadWhy(name) {
    try {
      const why = await call('policy.why', { name });
      set({ why: { name, items: why.items, provenance: why.provenance ?? [] } });
    } catch {
      // The package page works without it (signed out, or a Shelf without the policy): the notes are left out.
      set({ why: { name, items: [], provenance: [] } });
    }
  },
  async review(name, version, decision) {
    const ok = await track<PolicyState>(set, async () => {
      await call('policy.review', { name, version, decision });
      return {};
    });
    if (ok) {
      useToastStore.getState().push('ok', `${name}@${version} ${decision}`);
      await get().load();
    }
    return ok;
  },
}));

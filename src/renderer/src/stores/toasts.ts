// Short messages about work that finished while the user may be elsewhere (a prefetch, a publish); dismissed by the user.
import { create } from 'zustand';

export interface Toast {
  id: number;
  tone: 'ok' | 'warn' | 'error';
  text: string;
}

interface ToastState {
  toasts: Toast[];
  push(tone: Toast['tone'], text: string): void;
  dismiss(id: number): void;
}

/** At most this many stay on screen; older ones give way. */
const MAX_TOASTS = 4;
let next = 1;

export const useToastStore = create<ToastState>()((set) => ({
  toasts: [],
  push(tone, text) {
    set((s) => ({ toasts: [...s.toasts, { id: next++, tone, text }].slice(-MAX_TOASTS) }));
  },
  dismiss(id) {
    set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
  },
}));

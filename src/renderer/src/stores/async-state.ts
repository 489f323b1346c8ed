// The loading/error bookkeeping every store repeats: run a call, keep its message on failure.
export interface Loadable {
  loading: boolean;
  error?: string;
}

/** Runs `work` with `loading` set, storing the error's message (the server's words) on failure; returns success. */
export async function track<S extends Loadable>(set: (partial: Partial<S>) => void, work: () => Promise<Partial<S>>): Promise<boolean> {
  set({ loading: true, error: undefined } as Partial<S>);
  try {
    set({ ...(await work()), loading: false } as Partial<S>);
    return true;
  } catch (error) {
    set({ loading: false, error: (error as Error).message } as Partial<S>);
    return false;
  }
}

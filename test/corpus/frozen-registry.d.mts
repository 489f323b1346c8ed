// Types for frozen-registry.mjs: a corpus project's frozen packuments served on loopback.
export interface FrozenDocs {
  [name: string]: { name: string; versions: Record<string, Record<string, unknown>>; [field: string]: unknown };
}
export function readFrozen(file: string): FrozenDocs;
export function serveFrozen(docs: FrozenDocs): Promise<{
  url: string;
  readonly requests: number;
  asked: Set<string>;
  missing: Set<string>;
  close(): Promise<void>;
}>;

// Type declarations for npm's libraries that ship none, and for electron-vite's `?modulePath` imports (the path of a
// module built as a bundle of its own, for a worker thread).
declare module '*?modulePath' {
  const path: string;
  export default path;
}

declare module 'npm-pick-manifest' {
  interface PickOptions {
    defaultTag?: string;
    before?: Date | string | number;
    nodeVersion?: string;
    npmVersion?: string;
    includeStaged?: boolean;
    avoid?: string;
    avoidStrict?: boolean;
  }
  function pickManifest<T extends { version: string }>(
    packument: { versions: Record<string, T>; 'dist-tags'?: Record<string, string>; time?: Record<string, string> },
    wanted: string,
    options?: PickOptions,
  ): T;
  export = pickManifest;
}

declare module 'npm-install-checks' {
  export function checkPlatform(
    wanted: { os?: string[]; cpu?: string[]; libc?: string[]; _id?: string },
    force?: boolean,
    environment?: { os?: string; cpu?: string; libc?: string },
  ): void;
  export function checkEngine(
    target: { engines?: Record<string, string>; _id?: string },
    npmVersion: string | null,
    nodeVersion: string,
  ): void;
}

declare module 'json-stringify-nice' {
  /** JSON.stringify with object keys sorted (preferred keys first, plain values before objects); ends with a newline when indented. */
  function stringify(value: unknown, replacer?: string[] | ((key: string, value: unknown) => unknown), space?: number | string): string;
  export = stringify;
}

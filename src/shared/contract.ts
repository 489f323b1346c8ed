// The UI contract: every call the renderer may make, with its argument schema and result type.
// Electron IPC handlers, the preload bridge, browser-mode HTTP RPC and the renderer client all derive from it.
import { z } from 'zod';

const PackageSummary = z.object({
  name: z.string(),
  latest: z.string().nullable(),
  description: z.string().nullable(),
  distTags: z.record(z.string(), z.string()),
  versionCount: z.number().int(),
  access: z.enum(['public', 'restricted']),
  modified: z.string(),
});
export type PackageSummary = z.infer<typeof PackageSummary>;

const RegistryStatus = z.object({
  /** The registry's address, as clients should configure it. */
  url: z.string(),
  state: z.enum(['running']),
  version: z.string(),
  mode: z.enum(['desktop', 'browser']),
  packageCount: z.number().int(),
  userCount: z.number().int(),
  /** True until the owner has created the admin account. */
  needsSetup: z.boolean(),
  signup: z.enum(['open', 'closed']),
  dataDir: z.string(),
  startedAt: z.string(),
});
export type RegistryStatus = z.infer<typeof RegistryStatus>;

const call = <A extends z.ZodType, R extends z.ZodType>(args: A, result: R) => ({ args, result });

export const contract = {
  'registry.status': call(z.object({}).strict(), RegistryStatus),
  'packages.list': call(
    z
      .object({
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(500).default(100),
      })
      .strict(),
    z.object({ total: z.number().int(), packages: z.array(PackageSummary) }),
  ),
  'setup.createAdmin': call(
    z
      .object({
        /** The one-time token from the setup link; the desktop app's own window needs none. */
        setupToken: z.string().optional(),
        username: z.string().min(1),
        password: z.string().min(1),
        email: z.email(),
      })
      .strict(),
    z.object({ username: z.string() }),
  ),
} as const;

export type Contract = typeof contract;
export type CallName = keyof Contract;
export type CallArgs<N extends CallName> = z.input<Contract[N]['args']>;
export type ParsedArgs<N extends CallName> = z.output<Contract[N]['args']>;
export type CallResult<N extends CallName> = z.output<Contract[N]['result']>;

export const CALL_NAMES = Object.keys(contract) as CallName[];

/** What `window.shelf` holds: exactly one function per contract call. */
export type ShelfBridge = { [N in CallName]: (args: CallArgs<N>) => Promise<CallResult<N>> };

/** Browser mode: POST `${RPC_PATH}/<call name>` with the arguments as the JSON body. */
export const RPC_PATH = '/-/shelf/rpc';
/** Electron: one ipcMain.handle channel per call, `${IPC_PREFIX}<call name>`. */
export const IPC_PREFIX = 'shelf:';

/** The shape a failed call rejects with, over either transport. */
export interface CallFailure {
  code: string;
  message: string;
}

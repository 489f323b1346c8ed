// The UI contract: every call the renderer may make, with its argument schema and result schema.
// Electron IPC handlers, the preload bridge, browser-mode HTTP RPC and the renderer client all derive from it.
import { z } from 'zod';
import {
  ActivitySummary,
  AppSettings,
  GraphComparison,
  GraphResult,
  JobState,
  MirrorStatus,
  PackageDetails,
  PackageRelations,
  PackageSummary,
  PublishOutcome,
  PublishPreview,
  RegistryEntry,
  RegistryStatus,
  SearchResult,
  SessionUser,
  TarballListing,
  TokenScope,
  TokenView,
  VerifyReport,
} from './schemas';

export * from './schemas';

const call = <A extends z.ZodType, R extends z.ZodType>(args: A, result: R, access: Access = 'user') => ({ args, result, access });
/** Who may make a call: anyone who can reach the page, or only a signed-in user (the handler checks finer rights). */
type Access = 'public' | 'user';

const none = z.object({}).strict();
const ok = z.object({ ok: z.literal(true) });
/** npm package names: at most 214 characters, optionally scoped; the services apply npm's full rules. */
const packageName = z.string().min(1).max(214);
const version = z.string().min(1).max(256);
const folderPath = z.string().min(1).max(4096);
/**
 * A folder's files as the browser uploads them (browser mode cannot name a path on the server for a non-admin): the
 * folder's own name, shown instead of a path, and each file's path inside it ('/' between folders) with its bytes in base64.
 */
const upload = z
  .object({
    name: z.string().min(1).max(255),
    files: z
      .array(z.object({ path: z.string().min(1).max(1024), data: z.base64() }).strict())
      .min(1)
      .max(10_000),
  })
  .strict();
/** A lockfile's text as picked in the UI (the Create React App lockfile is 0.6 MB; 32 MB leaves room for monorepos). */
const MAX_LOCKFILE = 32 * 1024 * 1024;
const graphLockfile = z.object({ name: z.string().min(1).max(255), text: z.string().min(2).max(MAX_LOCKFILE) }).strict();
/** Publishing reads a folder: a path on the server (the desktop app's own user, or an admin) or an upload — one of them. */
const exactlyOneSource = (args: { path?: string; upload?: unknown }) => (args.path === undefined) !== (args.upload === undefined);
const oneSourceMessage = { message: "give either path (a folder on the server) or upload (the folder's files), not both" };
/** Which registry a call acts on: 'local' (this Shelf) or a remote's id from `registries.list`. */
const registryId = z.string().min(1).max(64).default('local');

/** A sign-in on a remote Shelf: which remote, and who the remote says the user is there. */
const RemoteSession = z.object({ id: z.string(), url: z.string(), username: z.string(), isAdmin: z.boolean() });

const PolicyView = z.object({ policy: z.record(z.string(), z.unknown()), minReleaseAgeMs: z.number().nullable(), fromFlag: z.boolean() });
const PolicyItem = z.object({ version: z.string(), held: z.boolean(), rule: z.string(), reason: z.string(), until: z.string().optional() });
/** A version's provenance as the policy verified it with sigstore (services/policy/provenance.ts). */
const ProvenanceItem = z.object({
  version: z.string(),
  verifiedAt: z.string(),
  summary: z.object({
    predicateTypes: z.array(z.string()),
    sourceRepository: z.string().optional(),
    workflow: z.string().optional(),
    ref: z.string().optional(),
    identity: z.string().optional(),
    issuer: z.string().optional(),
    logIndex: z.string().optional(),
    integratedTime: z.string().optional(),
  }),
});

export const contract = {
  'registry.status': call(none, RegistryStatus, 'public'),
  'packages.list': call(
    z
      .object({
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(500).default(100),
      })
      .strict(),
    z.object({ total: z.number().int(), packages: z.array(PackageSummary) }),
    'public',
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
    'public',
  ),

  'session.whoami': call(none, z.object({ user: SessionUser.nullable() }), 'public'),
  'session.signIn': call(
    z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) }).strict(),
    SessionUser,
    'public',
  ),
  'session.signOut': call(none, ok, 'public'),

  'search.query': call(
    z
      .object({
        text: z.string().max(500),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(100).default(20),
      })
      .strict(),
    z.object({ total: z.number().int(), results: z.array(SearchResult) }),
  ),

  'package.details': call(z.object({ name: packageName }).strict(), PackageDetails),
  'package.files': call(z.object({ name: packageName, version }).strict(), TarballListing),
  /** A version's dependencies (marking those in this registry) and the packages here whose latest version depends on it. */
  'package.relations': call(z.object({ name: packageName, version }).strict(), PackageRelations),
  'package.setDistTag': call(z.object({ name: packageName, tag: z.string().min(1).max(128), version }).strict(), ok),
  'package.removeDistTag': call(z.object({ name: packageName, tag: z.string().min(1).max(128) }).strict(), ok),
  /** An empty message un-deprecates. */
  'package.deprecate': call(z.object({ name: packageName, version, message: z.string().max(1024) }).strict(), ok),
  'package.yank': call(z.object({ name: packageName, version, yanked: z.boolean() }).strict(), ok),
  'package.unpublishVersion': call(z.object({ name: packageName, version }).strict(), ok),
  'package.addOwner': call(z.object({ name: packageName, username: z.string().min(1).max(64) }).strict(), ok),
  'package.removeOwner': call(z.object({ name: packageName, username: z.string().min(1).max(64) }).strict(), ok),

  'tokens.list': call(none, z.object({ tokens: z.array(TokenView) })),
  'tokens.create': call(
    z
      .object({
        name: z.string().min(1).max(100),
        scope: TokenScope,
        expiresInDays: z.number().int().min(1).max(3650).nullable().default(null),
        cidr: z.array(z.string().min(1).max(64)).max(50).default([]),
      })
      .strict(),
    /** The secret, shown once; it is never returned again. */
    z.object({ secret: z.string(), token: TokenView }),
  ),
  'tokens.revoke': call(z.object({ key: z.string().min(1).max(128) }).strict(), ok),

  'mirror.status': call(none, MirrorStatus),
  'mirror.setOffline': call(z.object({ offline: z.boolean() }).strict(), ok),
  'mirror.pin': call(z.object({ name: packageName, pinned: z.boolean() }).strict(), ok),
  'mirror.purge': call(z.object({ name: packageName }).strict(), z.object({ removed: z.number() })),
  /** The app-wide status line: offline mode, and whether each upstream answers (probed at most every 15 s). */
  'mirror.health': call(
    none,
    z.object({
      offline: z.boolean(),
      upstreams: z.array(z.object({ url: z.string(), reachable: z.boolean(), problem: z.string().nullable() })),
    }),
  ),
  /** A mirrored package as cached here (the upstream's document; which versions' tarballs are cached); no network. */
  'mirror.cachedPackage': call(
    z.object({ name: packageName }).strict(),
    z.object({
      name: z.string(),
      upstream: z.string(),
      description: z.string().nullable(),
      readme: z.string(),
      license: z.string().nullable(),
      keywords: z.array(z.string()),
      distTags: z.record(z.string(), z.string()),
      fetchedAt: z.string(),
      versions: z.array(z.object({ version: z.string(), date: z.string().nullable(), cached: z.boolean() })),
    }),
  ),
  /** Cached upstream packages whose name contains the text: search's "Cached from upstream" group. */
  'mirror.searchCached': call(
    z.object({ text: z.string().max(500), limit: z.number().int().min(1).max(100).default(20) }).strict(),
    z.object({
      results: z.array(
        z.object({ name: z.string(), upstream: z.string(), latest: z.string().nullable(), cachedVersions: z.array(z.string()) }),
      ),
    }),
  ),
  /** What purging a package would remove and free, removing nothing (the confirmation shows it). */
  'mirror.purgePlan': call(
    z.object({ name: packageName }).strict(),
    z.object({ name: z.string(), versions: z.array(z.string()), bytes: z.number() }),
  ),
  'mirror.verify': call(none, VerifyReport),
  /** Starts a prefetch of a project folder or lockfile; progress arrives as `job` events. */
  'mirror.prefetch': call(z.object({ path: folderPath }).strict(), JobState),

  'jobs.get': call(z.object({ id: z.string().min(1).max(64) }).strict(), JobState),
  'jobs.cancel': call(z.object({ id: z.string().min(1).max(64) }).strict(), JobState),

  /** `registryId` is 'local' (this Shelf) or the id of a remote added on the Registries screen. */
  'publish.inspect': call(
    z.object({ path: folderPath.optional(), upload: upload.optional(), registryId }).strict().refine(exactlyOneSource, oneSourceMessage),
    PublishPreview,
  ),
  'publish.run': call(
    z
      .object({
        path: folderPath.optional(),
        upload: upload.optional(),
        tag: z.string().min(1).max(128).default('latest'),
        registryId,
        /** Packed paths to leave out (the secret-looking files the preview flagged, unless the user chose to publish them). */
        exclude: z.array(z.string().min(1).max(1024)).max(500).default([]),
      })
      .strict()
      .refine(exactlyOneSource, oneSourceMessage),
    PublishOutcome,
  ),

  /** A package range, a project folder on the server (desktop app's own user, or an admin), or a project's uploaded package.json files and lockfile. */
  'graph.resolve': call(
    z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('package'), name: packageName, range: z.string().max(256).default('latest') }).strict(),
      z.object({ kind: z.literal('folder'), path: folderPath }).strict(),
      z.object({ kind: z.literal('upload'), upload }).strict(),
      /** A lockfile read as it is, nothing resolved or fetched: `name` is what the user picked, shown as the title. */
      z.object({ kind: z.literal('lockfile'), lockfile: graphLockfile }).strict(),
    ]),
    GraphResult,
  ),
  /** Two lockfiles (before and after an upgrade, say) compared by install location. */
  'graph.compare': call(z.object({ before: graphLockfile, after: graphLockfile }).strict(), GraphComparison),

  'activity.summary': call(none, ActivitySummary),
  'registries.list': call(
    none,
    z.object({
      registries: z.array(RegistryEntry),
      /** The registry the other screens act on for this caller: 'local', or a remote Shelf signed in with registries.signIn. */
      activeId: z.string(),
      /** The caller's sign-ins on remote Shelfs (kept in the main process's memory; the password is never stored). */
      remoteSessions: z.array(RemoteSession).optional(),
    }),
  ),
  /** Makes a registry the one every screen acts on for this caller ('local', or a remote Shelf signed in here). */
  'registries.activate': call(z.object({ id: z.string().min(1).max(64) }).strict(), z.object({ activeId: z.string() })),
  /** Signs in to a remote Shelf with the user's own account there, through that Shelf's own sign-in call. */
  'registries.signIn': call(
    z.object({ id: z.string().min(1).max(64), username: z.string().min(1).max(64), password: z.string().min(1).max(1024) }).strict(),
    RemoteSession,
  ),
  /** Signs out of a remote Shelf (the remote ends its session); the active registry falls back to this Shelf. */
  'registries.signOut': call(z.object({ id: z.string().min(1).max(64) }).strict(), ok),
  'registries.add': call(
    z
      .object({
        url: z.url({ protocol: /^https?$/ }),
        token: z.string().min(1).max(4096).optional(),
        username: z.string().min(1).max(64).optional(),
        password: z.string().min(1).max(1024).optional(),
      })
      .strict(),
    RegistryEntry,
  ),
  'registries.remove': call(z.object({ id: z.string().min(1).max(64) }).strict(), ok),
  'settings.get': call(none, AppSettings),

  /**
   * Admin only. The desktop app writes the archive to `path` (absolute) or else into <data-dir>/backups/; browser mode
   * always writes there and the page downloads it from `${BACKUP_DOWNLOAD_PATH}/<downloadName>`.
   */
  'backup.create': call(
    z.object({ path: folderPath.optional(), force: z.boolean().default(false) }).strict(),
    z.object({
      file: z.string(),
      bytes: z.number().int(),
      createdAt: z.string(),
      contents: z.object({
        packages: z.number().int(),
        versions: z.number().int(),
        users: z.number().int(),
        tokens: z.number().int(),
        blobs: z.number().int(),
      }),
      /** Set when the archive is in <data-dir>/backups/ and can be downloaded (browser mode). */
      downloadName: z.string().nullable(),
    }),
  ),
  /** Admin only, desktop app only: restores into a new folder. Browser mode refuses with the `shelf restore` command to run. */
  'backup.restore': call(
    z.object({ file: folderPath, dataDir: folderPath }).strict(),
    z.object({
      dataDir: z.string(),
      createdAt: z.string(),
      shelfVersion: z.string(),
      contents: z.object({
        packages: z.number().int(),
        versions: z.number().int(),
        users: z.number().int(),
        tokens: z.number().int(),
        blobs: z.number().int(),
      }),
      /** What to do to use the restored folder. */
      next: z.string(),
    }),
  ),
  /**
   * Admin only, desktop app only: `shelf import verdaccio` on paths of this machine (idempotent, so safe to run again).
   * Browser mode refuses with the command to run on the server instead.
   */
  'import.verdaccio': call(
    z
      .object({
        storageDir: folderPath,
        htpasswd: folderPath.optional(),
        config: folderPath.optional(),
        owner: z.string().min(1).max(64).optional(),
      })
      .strict(),
    z.object({
      packages: z.object({ imported: z.number(), updated: z.number(), alreadyPresent: z.number(), failed: z.number() }),
      versions: z.object({ imported: z.number(), alreadyPresent: z.number(), failed: z.number() }),
      distTags: z.object({ set: z.number(), alreadyPresent: z.number(), skipped: z.number() }),
      readmes: z.object({ set: z.number(), alreadyPresent: z.number() }),
      users: z.object({ imported: z.number(), alreadyPresent: z.number(), failed: z.number(), skipped: z.number() }),
      usersOnImportedHash: z.number(),
      settings: z.object({ applied: z.array(z.string()), alreadyPresent: z.array(z.string()), conflicting: z.array(z.string()) }),
      mapped: z.array(z.string()),
      notMapped: z.array(z.string()),
      problems: z.array(z.object({ item: z.string(), message: z.string() })),
    }),
  ),

  /** The supply-chain policy at the mirror (docs/POLICY.md): admins read and replace it, review held versions. */
  'policy.get': call(none, PolicyView),
  'policy.set': call(z.object({ policy: z.record(z.string(), z.unknown()) }).strict(), PolicyView),
  'policy.held': call(none, z.object({ items: z.array(PolicyItem.extend({ name: z.string() })) })),
  /** Why versions of a mirrored package are held or flagged (the package page); any signed-in user. */
  'policy.why': call(
    z.object({ name: packageName }).strict(),
    z.object({ items: z.array(PolicyItem.extend({ message: z.string() })), provenance: z.array(ProvenanceItem).optional() }),
  ),
  'policy.review': call(z.object({ name: packageName, version, decision: z.enum(['approved', 'denied']) }).strict(), ok),
  'policy.audit': call(
    none,
    z.object({
      entries: z.array(
        z.object({
          at: z.string(),
          action: z.string(),
          name: z.string().nullable(),
          version: z.string().nullable(),
          rule: z.string().nullable(),
          detail: z.string(),
          actor: z.string().nullable(),
        }),
      ),
    }),
  ),
} as const;

/** Browser mode: where a backup made by `backup.create` is downloaded from (signed-in admins only). */
export const BACKUP_DOWNLOAD_PATH = '/-/shelf/backups';

export type Contract = typeof contract;
export type CallName = keyof Contract;
export type CallArgs<N extends CallName> = z.input<Contract[N]['args']>;
export type ParsedArgs<N extends CallName> = z.output<Contract[N]['args']>;
export type CallResult<N extends CallName> = z.output<Contract[N]['result']>;

export const CALL_NAMES = Object.keys(contract) as CallName[];

/** What `window.shelf` holds: exactly one function per contract call, plus one way to hear events. */
export type ShelfBridge = { [N in CallName]: (args: CallArgs<N>) => Promise<CallResult<N>> } & {
  /** Subscribes to main-process events (job progress); returns the unsubscribe function. */
  onEvent?: (listener: (event: unknown) => void) => () => void;
  /**
   * The desktop app only: the native folder picker; resolves to the chosen folder's path, or null when cancelled. Absent
   * in browser mode, where the page uploads the folder it picked.
   */
  pickFolder?: (purpose: FolderPurpose) => Promise<string | null>;
};

/** What a folder is being picked for (the dialog's title says it). */
export type FolderPurpose = 'publish' | 'graph';
/** Electron: the channel of the native folder picker (not a contract call: there is nothing to do on a server). */
export const FOLDER_PICKER_CHANNEL = 'shelf-shell:pick-folder';

/** Browser mode: POST `${RPC_PATH}/<call name>` with the arguments as the JSON body. */
export const RPC_PATH = '/-/shelf/rpc';
/** Browser mode: the server-sent event stream of the signed-in session (job progress). */
export const EVENTS_PATH = '/-/shelf/events';
/** The browser-mode session cookie (HttpOnly, SameSite=Strict, scoped to /-/shelf/). */
export const SESSION_COOKIE = 'shelf_session';
/** Electron: one ipcMain.handle channel per call, `${IPC_PREFIX}<call name>`. */
export const IPC_PREFIX = 'shelf:';
/** Electron: the channel main sends events on (webContents.send). */
export const EVENT_CHANNEL = 'shelf-event';

/** The shape a failed call rejects with, over either transport. */
export interface CallFailure {
  code: string;
  message: string;
}

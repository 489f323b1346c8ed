// The handler for every contract call, written once against the services and shared by IPC and browser-mode HTTP.
// Each handler says who may make the call (the caller's session, an admin, the machine's owner) and makes one call
// into a service; what a call does lives in the service it belongs to.
import { forbidden, unauthorized } from '../errors';
import type { Services } from '../services';
import type { Principal, User } from '../services/auth/principal';
import { activitySummary } from '../services/api/activity-summary';
import { createTokenForUi, listTokenViews } from '../services/auth/token-view';
import { backupFromUi, restoreFromUi } from '../services/backup';
import { credentialStoreOptions, openCredentialStore, type SecretCipher } from '../services/credentials/credential-store';
import { GraphService } from '../services/graph/graph-service';
import { importVerdaccioFromUi } from '../services/import/ui-import';
import { RegistryOverview, type UiSettings } from '../services/maintenance/registry-overview';
import { MirrorViews } from '../services/mirror/mirror-views';
import { FolderPublisher } from '../services/packages/folder-publish';
import { packageRelations } from '../services/packages/package-relations';
import { packageDetails, tarballListing, unpublishOneVersion } from '../services/packages/ui-views';
import { yankVersion, unyankVersion } from '../services/packages/yank';
import { policyOf } from '../services/policy/policy-service';
import { RemoteRegistries } from '../services/remotes/registries';
import { searchForUi } from '../services/search/search-view';
import { setDataDirOf, type CallContext, type Handlers } from './dispatch';
import { JobBoard } from './jobs';
import { remoteForwarding } from './remote-handlers';

export interface HandlerDeps {
  services: Services;
  config: UiSettings;
  mode: 'desktop' | 'browser';
  version: string;
  startedAt: string;
  /** The registry's current address (known once listening). */
  url: () => string;
  /** Job progress goes here; the transports subscribe to it. One is made when not given. */
  jobs?: JobBoard;
  remotes?: RemoteRegistries;
  /** keytar's compiled addon to load instead of node_modules' (the desktop app's Electron-ABI build). */
  keytarBinding?: string;
  /** The desktop app's OS-keyed encryption (safeStorage): where keytar cannot load, secrets go to an encrypted file. */
  secretCipher?: SecretCipher;
  /** The Electron-ABI better-sqlite3 build, for the resolver's metadata cache (see AppOptions.nativeAddons). */
  sqliteBinding?: string;
}

/** The job board each handler table reports to, so the transports (IPC, SSE) can forward its events. */
const boards = new WeakMap<Handlers, JobBoard>();
export function jobBoardOf(handlers: Handlers): JobBoard | undefined {
  return boards.get(handlers);
}

const ok = { ok: true as const };

export function createHandlers(deps: HandlerDeps): Handlers {
  const { services, config } = deps;
  const jobs = deps.jobs ?? new JobBoard();
  const remotes =
    deps.remotes ??
    new RemoteRegistries(config.dataDir, undefined, () =>
      openCredentialStore(credentialStoreOptions(config.dataDir, deps.keytarBinding, deps.secretCipher)),
    );
  const ctxOf = services.packages.ctx;
  const uploadLimits = { maxFiles: 10_000, maxBytes: config.limits.maxTarballBytes };
  const overview = new RegistryOverview(services, config, deps, () => remotes.credentials());
  const mirror = new MirrorViews(services.mirror, ctxOf.db, services.policy);
  const publisher = new FolderPublisher(services.packages, services.stats, deps.url, uploadLimits);
  const graphs = new GraphService(config.dataDir, deps.url, uploadLimits, deps.sqliteBinding);
  // Open pages refresh their package lists when anything changes, whichever door (npm CLI, API, UI) changed it.
  ctxOf.events?.subscribe(() => jobs.broadcast({ type: 'packages' }));
  // A hold or takedown shows as a toast on every signed-in page (the webhook tells those not looking).
  services.policy?.subscribe(({ action, name, version, rule, detail }) =>
    jobs.broadcast({ type: 'policy', action, name, version, rule: rule ?? action, detail }),
  );

  /** The signed-in user; a UI session stands for the account's full rights, as a password does on npm's Basic auth. */
  const userOf = async (ctx: CallContext): Promise<User> => {
    const id = ctx.session.userId();
    const user = id === undefined ? undefined : await services.auth.getUser(id);
    if (!user) {
      await ctx.session.signOut();
      throw unauthorized('your session has ended (signed out, or the account was removed); sign in again');
    }
    return user;
  };
  const principalOf = async (ctx: CallContext): Promise<Principal> => ({ user: await userOf(ctx), scope: 'admin' });
  const optionalPrincipal = async (ctx: CallContext): Promise<Principal | undefined> =>
    ctx.session.userId() === undefined ? undefined : await principalOf(ctx);
  const requireAdmin = async (ctx: CallContext, action: string): Promise<Principal> => {
    const p = await principalOf(ctx);
    if (!p.user.isAdmin) throw forbidden(`only an admin may ${action}; ask the registry's admin`);
    return p;
  };
  /**
   * Whether the caller may have Shelf read a path on the server's disk: the desktop app's own user (who owns the machine
   * and could read it anyway) or an admin. Checked before the path is touched, so a refusal is the same whether the
   * path exists or not; everyone else uploads the folder's files.
   */
  const requireServerPathReader = async (ctx: CallContext): Promise<Principal> => {
    const p = await principalOf(ctx);
    if (!ctx.isLocalOwner && !p.user.isAdmin)
      throw forbidden("only an admin may have Shelf read a folder on the server's disk; upload the folder's files instead");
    return p;
  };
  /** Who reads the folder to publish: anyone signed in for an upload, a server path only as above. */
  const folderReader = async (ctx: CallContext, source: { upload?: unknown }): Promise<Principal> =>
    source.upload ? await principalOf(ctx) : await requireServerPathReader(ctx);
  /**
   * What a remote request may reach: public addresses only, unless the operator allowed private ones
   * (--allow-private-remotes) or the caller is the desktop app's own user, whose own network it is.
   */
  const addressPolicy = (ctx: CallContext) => ({ allowPrivate: ctx.isLocalOwner || config.allowPrivateRemotes === true });
  /**
   * A remote registry that was added, with its stored token and the network to reach it. The remotes and their tokens belong
   * to this Shelf, not to one account, so acting with them is for admins (the desktop app's user is its admin).
   */
  const remoteFor = async (ctx: CallContext, registryId: string) => {
    if (registryId === 'local') return undefined;
    await requireAdmin(ctx, "publish to a remote registry with this Shelf's stored token");
    return remotes.connect(registryId, addressPolicy(ctx));
  };

  // Switching the screens to a remote Shelf: its three calls here, the forwarding wrapped around the table below.
  const forwarding = remoteForwarding({ services, remotes, jobs, addressPolicy });
  const handlers: Handlers = {
    ...forwarding.handlers,
    // Counted as the caller sees them; the data folder is the machine's business: its owner's and admins' only.
    'registry.status': async (_args, ctx) => overview.status(await optionalPrincipal(ctx), ctx.isLocalOwner),
    'packages.list': async ({ offset, limit }, ctx) => services.packages.list(await optionalPrincipal(ctx), offset, limit),
    'setup.createAdmin': async (args, ctx) => {
      const user = await services.auth.createAdmin({ ...args, isLocalOwner: ctx.isLocalOwner });
      // Whoever just proved they own the registry is signed in as its admin.
      await ctx.session.signIn(user.id);
      return { username: user.name };
    },

    'session.whoami': async (_args, ctx) => {
      const id = ctx.session.userId();
      const user = id === undefined ? undefined : await services.auth.getUser(id);
      return { user: user ? { username: user.name, isAdmin: user.isAdmin } : null };
    },
    'session.signIn': async ({ username, password }, ctx) => {
      const user = await services.auth.checkPassword(username, password, ctx.client);
      await ctx.session.signIn(user.id);
      return { username: user.name, isAdmin: user.isAdmin };
    },
    'session.signOut': async (_args, ctx) => {
      await ctx.session.signOut();
      return ok;
    },

    'search.query': async (query, ctx) => searchForUi(services.search, await principalOf(ctx), query),

    'package.details': async ({ name }, ctx) => packageDetails(ctxOf, services.stats, await principalOf(ctx), name),
    'package.files': async ({ name, version }, ctx) => tarballListing(ctxOf, await principalOf(ctx), name, version),
    'package.relations': async ({ name, version }, ctx) => packageRelations(ctxOf, await principalOf(ctx), name, version),
    'package.setDistTag': async ({ name, tag, version }, ctx) => {
      await services.packages.addDistTag(await principalOf(ctx), name, tag, version);
      return ok;
    },
    'package.removeDistTag': async ({ name, tag }, ctx) => {
      await services.packages.removeDistTag(await principalOf(ctx), name, tag);
      return ok;
    },
    'package.deprecate': async ({ name, version, message }, ctx) => {
      // npm's own deprecate is this packument update; the service applies it as `npm deprecate` does.
      await services.packages.update(await principalOf(ctx), name, { name, versions: { [version]: { deprecated: message } } }, undefined);
      return ok;
    },
    'package.yank': async ({ name, version, yanked }, ctx) => {
      await (yanked ? yankVersion : unyankVersion)(ctxOf, await principalOf(ctx), name, version);
      return ok;
    },
    'package.unpublishVersion': async ({ name, version }, ctx) => {
      await unpublishOneVersion(ctxOf, await principalOf(ctx), name, version);
      return ok;
    },
    'package.addOwner': async ({ name, username }, ctx) => {
      await services.packages.addOwner(await principalOf(ctx), name, username);
      return ok;
    },
    'package.removeOwner': async ({ name, username }, ctx) => {
      await services.packages.removeOwner(await principalOf(ctx), name, username);
      return ok;
    },

    'tokens.list': async (_args, ctx) => listTokenViews(services.auth, await userOf(ctx)),
    'tokens.create': async (request, ctx) => createTokenForUi(services.auth, await principalOf(ctx), ctxOf.now(), request),
    'tokens.revoke': async ({ key }, ctx) => {
      await services.auth.revokeToken(await userOf(ctx), key);
      return ok;
    },

    'mirror.status': async () => mirror.status(),
    'mirror.setOffline': async ({ offline }, ctx) => {
      await requireAdmin(ctx, 'switch the mirror on or offline');
      services.mirror.setOffline(offline);
      return ok;
    },
    'mirror.pin': async ({ name, pinned }, ctx) => {
      await requireAdmin(ctx, 'pin cached packages');
      await mirror.setPinned(name, pinned);
      return ok;
    },
    'mirror.purge': async ({ name }, ctx) => {
      await requireAdmin(ctx, 'purge the cache');
      return { removed: await services.mirror.admin.purge(name) };
    },
    'mirror.health': async (_args, ctx) => {
      await principalOf(ctx);
      return mirror.health();
    },
    // Signed-in users only, as everything the mirror serves is for those who may install through this registry.
    'mirror.cachedPackage': async ({ name }, ctx) => {
      await principalOf(ctx);
      return mirror.cachedPackage(name);
    },
    'mirror.searchCached': async ({ text, limit }, ctx) => {
      await principalOf(ctx);
      return mirror.searchCached(text, limit);
    },
    'mirror.purgePlan': async ({ name }, ctx) => {
      await requireAdmin(ctx, 'purge the cache');
      return services.mirror.admin.purgePlan(name);
    },
    'policy.get': async (_args, ctx) => {
      await requireAdmin(ctx, 'read the policy');
      return policyOf(services).get();
    },
    'policy.set': async ({ policy }, ctx) => {
      await policyOf(services).set(policy, (await requireAdmin(ctx, 'change the policy')).user.name);
      return policyOf(services).get();
    },
    'policy.held': async (_args, ctx) => {
      await requireAdmin(ctx, 'list held versions');
      return { items: await policyOf(services).listHeld() };
    },
    'policy.why': async ({ name }, ctx) => {
      await principalOf(ctx);
      return { items: await policyOf(services).explain(name), provenance: await policyOf(services).provenance(name) };
    },
    'policy.review': async ({ name, version, decision }, ctx) => {
      await policyOf(services).review(name, version, decision, (await requireAdmin(ctx, 'review held versions')).user.name);
      return ok;
    },
    'policy.audit': async (_args, ctx) => {
      await requireAdmin(ctx, "read the policy's audit log");
      return { entries: await policyOf(services).auditLog() };
    },
    'mirror.verify': async (_args, ctx) => {
      await requireAdmin(ctx, 'verify the cache');
      return services.mirror.admin.verify();
    },
    'mirror.prefetch': async ({ path }, ctx) => {
      const owner = (await requireAdmin(ctx, 'prefetch into the mirror')).user.id;
      const job = await mirror.planPrefetch(path, deps.url());
      return jobs.start('prefetch', job.title, owner, job.run);
    },

    'jobs.get': async ({ id }, ctx) => jobs.get(id, (await userOf(ctx)).id),
    'jobs.cancel': async ({ id }, ctx) => jobs.cancel(id, (await userOf(ctx)).id),

    'publish.inspect': async (source, ctx) =>
      publisher.inspect(await folderReader(ctx, source), source, await remoteFor(ctx, source.registryId)),
    'publish.run': async (source, ctx) =>
      publisher.publish(await folderReader(ctx, source), source, source.tag, await remoteFor(ctx, source.registryId)),

    'graph.resolve': async (target, ctx) => {
      if (target.kind === 'folder') {
        await requireServerPathReader(ctx);
        return graphs.resolveFolder(target.path);
      }
      await principalOf(ctx);
      if (target.kind === 'package') return graphs.resolvePackage(target.name, target.range);
      if (target.kind === 'lockfile') return graphs.readLockfile(target.lockfile);
      return graphs.resolveUpload(target.upload);
    },
    'graph.compare': async ({ before, after }, ctx) => {
      await principalOf(ctx);
      return graphs.compare(before, after);
    },

    'activity.summary': async (_args, ctx) => activitySummary(services.api.catalog, await principalOf(ctx)),

    'registries.list': async (_args, ctx) => {
      const user = await userOf(ctx);
      // Remotes and their tokens belong to this Shelf and only admins act with them, so only admins see them.
      return remotes.overview({ url: deps.url(), signedInAs: user.name }, user.isAdmin || ctx.isLocalOwner, addressPolicy(ctx));
    },
    'registries.add': async (args, ctx) => {
      await requireAdmin(ctx, 'add a remote registry (remotes and their stored tokens belong to the whole Shelf)');
      return remotes.add(args, addressPolicy(ctx));
    },
    'registries.remove': async ({ id }, ctx) => {
      await requireAdmin(ctx, 'remove a remote registry');
      await remotes.remove(id);
      return ok;
    },
    'settings.get': async () => overview.appSettings(),
    'backup.create': async ({ path, force }, ctx) => {
      await requireAdmin(ctx, 'back up this Shelf');
      return backupFromUi({
        mode: deps.mode,
        dataDir: config.dataDir,
        blobs: config.blobs,
        path,
        force,
        shelfVersion: deps.version,
        sqliteBinding: deps.sqliteBinding,
        now: ctxOf.now,
      });
    },
    'backup.restore': async ({ file, dataDir }, ctx) => {
      await requireAdmin(ctx, 'restore a backup');
      return restoreFromUi({ mode: deps.mode, dataDir: config.dataDir, file, target: dataDir, sqliteBinding: deps.sqliteBinding });
    },
    'import.verdaccio': async (args, ctx) => {
      await requireAdmin(ctx, 'import from Verdaccio');
      return importVerdaccioFromUi(ctxOf, { ...args, mode: deps.mode, dataDir: config.dataDir });
    },
  };
  forwarding.install(handlers);
  boards.set(handlers, jobs);
  setDataDirOf(handlers, config.dataDir);
  return handlers;
}

// The handler for every contract call, written once against the services and shared by IPC and browser-mode HTTP.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import ssri from 'ssri';
import type { Config } from '../config/config';
import { badRequest, forbidden, unauthorized } from '../errors';
import type { Services } from '../services';
import type { RegistryStatus } from '../../shared/schemas';
import type { Principal, User } from '../services/auth/principal';
import { formatBytes } from '../../shared/format-bytes';
import { projectPackages } from '../services/mirror/project-packages';
import { prefetchVersions } from '../services/mirror/prefetch';
import { cachedPackageView, searchCached } from '../services/mirror/cached-view';
import { UpstreamProbe } from '../services/mirror/upstream-health';
import { packFolder, packUpload, publishBody, withUploadedFolder, type UploadLimits } from '../services/packer/pack-folder';
import { packageDetails, tarballListing, unpublishOneVersion } from '../services/packages/ui-views';
import { yankVersion, unyankVersion } from '../services/packages/yank';
import type { TokenInfo } from '../services/auth/auth-service';
import { keytarFromBinding, openCredentialStore } from '../services/credentials/credential-store';
import { setDataDirOf, type CallContext, type Handlers } from './dispatch';
import { backupFromUi, restoreFromUi } from '../services/backup';
import { importVerdaccioFromUi } from '../services/import/ui-import';
import { METADATA_CACHE_FILE } from '../storage/metadata-cache-db';
import { compareLocks, graphUploadFiles, lockfileGraph, resolveGraph } from './graph';
import { JobBoard } from './jobs';
import { policyOf } from '../services/policy/policy-service';
import { packageRelations } from './package-relations';
import { RemoteRegistries } from '../services/remotes/registries';
import { publishToRemote, remotePackument, type RemoteTarget } from '../services/remotes/publish';

export interface HandlerDeps {
  services: Services;
  config: Config;
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
  /** The Electron-ABI better-sqlite3 build, for the resolver's metadata cache (see AppOptions.nativeAddons). */
  sqliteBinding?: string;
}

/** The job board each handler table reports to, so the transports (IPC, SSE) can forward its events. */
const boards = new WeakMap<Handlers, JobBoard>();
export function jobBoardOf(handlers: Handlers): JobBoard | undefined {
  return boards.get(handlers);
}

const tokenView = (t: TokenInfo) => ({
  key: t.key,
  name: t.name,
  hint: t.last4 ? `…${t.last4}` : `${t.prefix}…`,
  scope: t.scope,
  cidr: t.cidrWhitelist,
  created: t.created,
  expires: t.expires,
  lastUsed: t.lastUsed,
});
const ok = { ok: true as const };

export function createHandlers(deps: HandlerDeps): Handlers {
  const { services, config } = deps;
  const jobs = deps.jobs ?? new JobBoard();
  const keytarBinding = deps.keytarBinding;
  const remotes =
    deps.remotes ??
    new RemoteRegistries(config.dataDir, undefined, () =>
      openCredentialStore(keytarBinding ? { loadKeytar: async () => keytarFromBinding(keytarBinding) } : {}),
    );
  const ctxOf = services.packages.ctx;
  const upstreamProbe = new UpstreamProbe();
  // Open pages refresh their package lists when anything changes, whichever door (npm CLI, API, UI) changed it.
  ctxOf.events?.subscribe(() => jobs.broadcast({ type: 'packages' }));

  /** The signed-in user; a UI session stands for the account's full rights, as a password does on npm's Basic auth. */
  const userOf = (ctx: CallContext): User => {
    const id = ctx.session.userId();
    const user = id === undefined ? undefined : services.auth.getUser(id);
    if (!user) {
      ctx.session.signOut();
      throw unauthorized('your session has ended (signed out, or the account was removed); sign in again');
    }
    return user;
  };
  const principalOf = (ctx: CallContext): Principal => ({ user: userOf(ctx), scope: 'admin' });
  const optionalPrincipal = (ctx: CallContext): Principal | undefined =>
    ctx.session.userId() === undefined ? undefined : principalOf(ctx);
  const requireAdmin = (ctx: CallContext, action: string): Principal => {
    const p = principalOf(ctx);
    if (!p.user.isAdmin) throw forbidden(`only an admin may ${action}; ask the registry's admin`);
    return p;
  };
  /**
   * Whether the caller may have Shelf read a path on the server's disk: the desktop app's own user (who owns the machine
   * and could read it anyway) or an admin. Checked before the path is touched, so a refusal is the same whether the
   * path exists or not; everyone else uploads the folder's files.
   */
  const requireServerPathReader = (ctx: CallContext): Principal => {
    const p = principalOf(ctx);
    if (!ctx.isLocalOwner && !p.user.isAdmin)
      throw forbidden("only an admin may have Shelf read a folder on the server's disk; upload the folder's files instead");
    return p;
  };
  /** A folder to pack: a server path (checked as above) or the files the browser uploaded. */
  const uploadLimits: UploadLimits = { maxFiles: 10_000, maxBytes: config.limits.maxTarballBytes };
  const decode = (upload: { files: { path: string; data: string }[] }) =>
    upload.files.map((f) => ({ path: f.path, data: Buffer.from(f.data, 'base64') }));
  const packSource = (source: { path?: string; upload?: { name: string; files: { path: string; data: string }[] }; exclude?: string[] }) =>
    source.upload
      ? packUpload(decode(source.upload), uploadLimits, source.upload.name, source.exclude)
      : packFolder(source.path!, undefined, source.exclude);
  /**
   * What a remote request may reach: public addresses only, unless the operator allowed private ones
   * (--allow-private-remotes) or the caller is the desktop app's own user, whose own network it is.
   */
  const addressPolicy = (ctx: CallContext) => ({ allowPrivate: ctx.isLocalOwner || config.allowPrivateRemotes === true });
  /**
   * A remote registry that was added, with its stored token and the network to reach it. The remotes and their tokens belong
   * to this Shelf, not to one account, so acting with them is for admins (the desktop app's user is its admin).
   */
  const remoteTarget = async (ctx: CallContext, id: string): Promise<RemoteTarget & { id: string }> => {
    requireAdmin(ctx, "publish to a remote registry with this Shelf's stored token");
    const remote = await remotes.target(id);
    return { ...remote, fetch: remotes.fetch(addressPolicy(ctx)) };
  };

  const handlers: Handlers = {
    'registry.status': async (_args, ctx) => ({
      url: deps.url(),
      state: 'running',
      version: deps.version,
      mode: deps.mode,
      // Counted as the caller sees them; the data folder is the machine's business: its owner's and admins' only.
      packageCount: services.packages.list(optionalPrincipal(ctx), 0, 0).total,
      userCount: services.auth.userCount(),
      needsSetup: services.auth.needsSetup(),
      signup: config.signup,
      dataDir: ctx.isLocalOwner || optionalPrincipal(ctx)?.user.isAdmin ? config.dataDir : '',
      startedAt: deps.startedAt,
      disk: diskStatus(services, ctx.isLocalOwner || optionalPrincipal(ctx)?.user.isAdmin === true),
    }),
    'packages.list': async ({ offset, limit }, ctx) => services.packages.list(optionalPrincipal(ctx), offset, limit),
    'setup.createAdmin': async (args, ctx) => {
      const user = await services.auth.createAdmin({ ...args, isLocalOwner: ctx.isLocalOwner });
      // Whoever just proved they own the registry is signed in as its admin.
      ctx.session.signIn(user.id);
      return { username: user.name };
    },

    'session.whoami': async (_args, ctx) => {
      const id = ctx.session.userId();
      const user = id === undefined ? undefined : services.auth.getUser(id);
      return { user: user ? { username: user.name, isAdmin: user.isAdmin } : null };
    },
    'session.signIn': async ({ username, password }, ctx) => {
      const user = await services.auth.checkPassword(username, password, ctx.client);
      ctx.session.signIn(user.id);
      return { username: user.name, isAdmin: user.isAdmin };
    },
    'session.signOut': async (_args, ctx) => {
      ctx.session.signOut();
      return ok;
    },

    'search.query': async ({ text, offset, limit }, ctx) => {
      const found = services.search.search({ text, size: limit, from: offset }, principalOf(ctx));
      return {
        total: found.total,
        results: found.objects.map((hit) => ({
          name: hit.package.name,
          version: hit.package.version,
          description: hit.package.description || null,
          keywords: hit.package.keywords ?? [],
          author: hit.package.publisher?.username || null,
          date: hit.package.date,
          score: hit.searchScore,
        })),
      };
    },

    'package.details': async ({ name }, ctx) => packageDetails(ctxOf, services.stats, principalOf(ctx), name),
    'package.files': async ({ name, version }, ctx) => tarballListing(ctxOf, principalOf(ctx), name, version),
    'package.relations': async ({ name, version }, ctx) => packageRelations(ctxOf, principalOf(ctx), name, version),
    'package.setDistTag': async ({ name, tag, version }, ctx) => {
      services.packages.addDistTag(principalOf(ctx), name, tag, version);
      return ok;
    },
    'package.removeDistTag': async ({ name, tag }, ctx) => {
      services.packages.removeDistTag(principalOf(ctx), name, tag);
      return ok;
    },
    'package.deprecate': async ({ name, version, message }, ctx) => {
      await services.packages.update(principalOf(ctx), name, { name, versions: { [version]: { deprecated: message } } }, undefined);
      return ok;
    },
    'package.yank': async ({ name, version, yanked }, ctx) => {
      (yanked ? yankVersion : unyankVersion)(ctxOf, principalOf(ctx), name, version);
      return ok;
    },
    'package.unpublishVersion': async ({ name, version }, ctx) => {
      await unpublishOneVersion(ctxOf, principalOf(ctx), name, version);
      return ok;
    },
    'package.addOwner': async ({ name, username }, ctx) => {
      services.packages.addOwner(principalOf(ctx), name, username);
      return ok;
    },
    'package.removeOwner': async ({ name, username }, ctx) => {
      services.packages.removeOwner(principalOf(ctx), name, username);
      return ok;
    },

    'tokens.list': async (_args, ctx) => ({ tokens: services.auth.listTokens(userOf(ctx)).map(tokenView) }),
    'tokens.create': async ({ name, scope, expiresInDays, cidr }, ctx) => {
      const expiresAt = expiresInDays ? new Date(ctxOf.now().getTime() + expiresInDays * 86_400_000).toISOString() : null;
      // The session was signed in with the password; mintToken is the one place that bounds a token by its presenter.
      const { secret, token } = services.auth.mintToken(principalOf(ctx), { name, scope, cidrWhitelist: cidr, expiresAt });
      return { secret, token: tokenView(token) };
    },
    'tokens.revoke': async ({ key }, ctx) => {
      services.auth.revokeToken(userOf(ctx), key);
      return ok;
    },

    'mirror.status': async () => {
      return {
        offline: services.mirror.offline,
        upstreams: services.mirror.listUpstreams().map((u) => ({ url: u.url, scopes: u.scope ? [u.scope] : [] })),
        cache: services.mirror.admin.status(),
      };
    },
    'mirror.setOffline': async ({ offline }, ctx) => {
      requireAdmin(ctx, 'switch the mirror on or offline');
      services.mirror.setOffline(offline);
      return ok;
    },
    'mirror.pin': async ({ name, pinned }, ctx) => {
      requireAdmin(ctx, 'pin cached packages');
      if (pinned) services.mirror.admin.pin(name);
      else services.mirror.admin.unpin(name);
      return ok;
    },
    'mirror.purge': async ({ name }, ctx) => {
      requireAdmin(ctx, 'purge the cache');
      return { removed: await services.mirror.admin.purge(name) };
    },
    'mirror.health': async (_args, ctx) => {
      principalOf(ctx);
      // Offline mode reaches no upstream on purpose: nothing to probe.
      const offline = services.mirror.offline;
      return { offline, upstreams: offline ? [] : await upstreamProbe.check(services.mirror.listUpstreams()) };
    },
    // Signed-in users only, as everything the mirror serves is for those who may install through this registry.
    'mirror.cachedPackage': async ({ name }, ctx) => {
      principalOf(ctx);
      return cachedPackageView(ctxOf.db, name, services.policy);
    },
    'mirror.searchCached': async ({ text, limit }, ctx) => {
      principalOf(ctx);
      return { results: searchCached(ctxOf.db, text, limit, services.policy) };
    },
    'mirror.purgePlan': async ({ name }, ctx) => {
      requireAdmin(ctx, 'purge the cache');
      return services.mirror.admin.purgePlan(name);
    },
    'policy.get': async (_args, ctx) => {
      requireAdmin(ctx, 'read the policy');
      return policyOf(services).get();
    },
    'policy.set': async ({ policy }, ctx) => {
      policyOf(services).set(policy, requireAdmin(ctx, 'change the policy').user.name);
      return policyOf(services).get();
    },
    'policy.held': async (_args, ctx) => {
      requireAdmin(ctx, 'list held versions');
      return { items: policyOf(services).listHeld() };
    },
    'policy.why': async ({ name }, ctx) => {
      principalOf(ctx);
      return { items: policyOf(services).explain(name) };
    },
    'policy.review': async ({ name, version, decision }, ctx) => {
      policyOf(services).review(name, version, decision, requireAdmin(ctx, 'review held versions').user.name);
      return ok;
    },
    'policy.audit': async (_args, ctx) => {
      requireAdmin(ctx, "read the policy's audit log");
      return { entries: policyOf(services).auditLog() };
    },
    'mirror.verify': async (_args, ctx) => {
      requireAdmin(ctx, 'verify the cache');
      return services.mirror.admin.verify();
    },
    'mirror.prefetch': async ({ path }, ctx) => {
      const user = requireAdmin(ctx, 'prefetch into the mirror').user;
      // A lockfile is read as it is; a package.json without one is resolved through this registry first.
      const { source: file, packages: wanted } = await projectPackages(resolve(path), deps.url());
      return jobs.start('prefetch', `Prefetch ${file}`, user.id, async (report) => {
        report.progress({ phase: 'reading lockfile', done: 0, total: wanted.length });
        const summary = await prefetchVersions(services.mirror, wanted, {
          signal: report.signal,
          onProgress: (p) =>
            report.progress({ phase: p.phase, done: p.done, total: p.total, bytes: services.mirror.admin.status().totalBytes }),
        });
        return {
          partial: summary.failed.length > 0,
          summary: [
            `${summary.total} package versions in ${file}`,
            `${summary.fetched} fetched, ${summary.alreadyCached} already cached, ${summary.failed.length} failed`,
            ...summary.failed.slice(0, 50).map((f) => `failed: ${f.spec}: ${f.reason}`),
            ...(summary.interrupted ? ['interrupted: run the prefetch again to resume'] : []),
            `cache now holds ${formatBytes(services.mirror.admin.status().totalBytes)}`,
          ],
        };
      });
    },

    'jobs.get': async ({ id }, ctx) => jobs.get(id, userOf(ctx).id),
    'jobs.cancel': async ({ id }, ctx) => jobs.cancel(id, userOf(ctx).id),

    'publish.inspect': async ({ path, upload, registryId }, ctx) => {
      const principal = upload ? principalOf(ctx) : requireServerPathReader(ctx);
      const remote = registryId === 'local' ? undefined : await remoteTarget(ctx, registryId);
      const packed = await packSource({ path, upload });
      const name = typeof packed.manifest.name === 'string' ? packed.manifest.name : null;
      const version = typeof packed.manifest.version === 'string' ? packed.manifest.version : null;
      let alreadyPublished = false;
      if (name && version) {
        if (remote) {
          // A registry that cannot be read now is not a blocker here; publishing will say what is wrong.
          const packument = await remotePackument(remote, name).catch(() => undefined);
          alreadyPublished = Boolean((packument?.versions as Record<string, unknown> | undefined)?.[version]);
        } else {
          try {
            alreadyPublished = packageDetails(ctxOf, services.stats, principal, name).versions.some((v) => v.version === version);
          } catch {
            alreadyPublished = false;
          }
        }
      }
      const problems = [...packed.problems];
      const where = remote ? remote.url : 'this registry';
      if (alreadyPublished)
        problems.push(`${name}@${version} is already published to ${where}; raise "version" in package.json (npm version patch)`);
      return {
        path: packed.dir,
        name,
        version,
        description: typeof packed.manifest.description === 'string' ? packed.manifest.description : null,
        problems,
        warnings: packed.warnings,
        alreadyPublished,
        registryUrl: remote ? remote.url : deps.url(),
        files: packed.files,
        size: packed.tarball.length,
        unpackedSize: packed.unpackedSize,
        integrity: packed.integrity,
      };
    },
    'publish.run': async ({ path, upload, tag, registryId, exclude }, ctx) => {
      const principal = upload ? principalOf(ctx) : requireServerPathReader(ctx);
      const remote = registryId === 'local' ? undefined : await remoteTarget(ctx, registryId);
      const packed = await packSource({ path, upload, exclude });
      if (packed.problems.length) throw badRequest(`cannot publish: ${packed.problems.join('; ')}`);
      if (remote) {
        const published = await publishToRemote(remote, packed, tag);
        return { ...published, tag, registryId, registryUrl: remote.url };
      }
      const name = String(packed.manifest.name);
      const update = await services.packages.update(principal, name, publishBody(packed, tag, deps.url()), undefined);
      if (update.kind !== 'published') throw badRequest('the registry did not treat this as a publish');
      // Read the stored tarball back and check it is byte-for-byte what was packed.
      const listing = await tarballListing(ctxOf, principal, name, update.result.version);
      const stored = await readFile(ctxOf.blobs.pathFor(listing.integrity));
      const verified = Boolean(ssri.checkData(stored, packed.integrity)) && listing.integrity === packed.integrity;
      return {
        name,
        version: update.result.version,
        tag,
        integrity: update.result.integrity,
        verified,
        registryId: 'local',
        registryUrl: deps.url(),
      };
    },

    'graph.resolve': async (target, ctx) => {
      const cache = { path: join(config.dataDir, METADATA_CACHE_FILE), nativeBinding: deps.sqliteBinding };
      if (target.kind === 'package') {
        principalOf(ctx);
        return resolveGraph(target, deps.url(), cache);
      }
      if (target.kind === 'folder') {
        requireServerPathReader(ctx);
        return resolveGraph({ kind: 'folder', path: resolve(target.path) }, deps.url(), cache);
      }
      principalOf(ctx);
      if (target.kind === 'lockfile') return lockfileGraph(target.lockfile.text, target.lockfile.name);
      const files = graphUploadFiles(decode(target.upload));
      return withUploadedFolder(files, uploadLimits, (dir) =>
        resolveGraph({ kind: 'folder', path: dir, label: target.upload.name }, deps.url(), cache),
      );
    },
    'graph.compare': async ({ before, after }, ctx) => {
      principalOf(ctx);
      return compareLocks(before, after);
    },

    'activity.summary': async (_args, ctx) => {
      const principal = principalOf(ctx);
      const stats = services.api.catalog.registryStats(principal);
      const recent = services.api.catalog.recent(principal, 10);
      const daily = new Map<string, number>();
      for (const top of stats.top_packages) {
        const id = services.api.catalog.packageStats(principal, top.name).downloads.daily;
        for (const d of id) daily.set(d.date, (daily.get(d.date) ?? 0) + d.count);
      }
      return {
        totals: {
          packages: stats.packages.total,
          versions: stats.packages.versions,
          downloads: stats.packages.downloads,
          users: stats.users,
        },
        topPackages: stats.top_packages,
        recentPublishes: recent.map((p) => ({ name: p.name, version: p.version ?? '', date: p.updated_at ?? '' })),
        daily: [...daily.entries()].map(([date, count]) => ({ date, count })).sort((a, b) => a.date.localeCompare(b.date)),
      };
    },

    'registries.list': async (_args, ctx) => {
      const user = userOf(ctx);
      const local = {
        id: 'local',
        url: deps.url(),
        kind: 'local' as const,
        online: true,
        latencyMs: 0,
        signedInAs: user.name,
        credentialBackend: null,
        tokenLastFour: null,
        error: null,
      };
      // Remotes and their tokens belong to this Shelf and only admins act with them, so only admins see them.
      const listed = user.isAdmin || ctx.isLocalOwner ? await remotes.list(addressPolicy(ctx)) : [];
      return { registries: [local, ...listed], activeId: 'local' };
    },
    'registries.add': async (args, ctx) => {
      requireAdmin(ctx, 'add a remote registry (remotes and their stored tokens belong to the whole Shelf)');
      return remotes.add(args, addressPolicy(ctx));
    },
    'registries.remove': async ({ id }, ctx) => {
      requireAdmin(ctx, 'remove a remote registry');
      await remotes.remove(id);
      return ok;
    },
    'settings.get': async () => {
      const url = new URL(deps.url());
      const store = await remotes.credentials();
      return {
        url: deps.url(),
        host: config.host,
        port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
        dataDir: config.dataDir,
        mode: deps.mode,
        startAtLogin: null,
        credentialWarning: store.warning ?? null,
      };
    },
    'backup.create': async ({ path, force }, ctx) => {
      requireAdmin(ctx, 'back up this Shelf');
      return backupFromUi({
        mode: deps.mode,
        dataDir: config.dataDir,
        path,
        force,
        shelfVersion: deps.version,
        sqliteBinding: deps.sqliteBinding,
        now: ctxOf.now,
      });
    },
    'backup.restore': async ({ file, dataDir }, ctx) => {
      requireAdmin(ctx, 'restore a backup');
      return restoreFromUi({ mode: deps.mode, dataDir: config.dataDir, file, target: dataDir, sqliteBinding: deps.sqliteBinding });
    },
    'import.verdaccio': async (args, ctx) => {
      requireAdmin(ctx, 'import from Verdaccio');
      return importVerdaccioFromUi(ctxOf, { ...args, mode: deps.mode, dataDir: config.dataDir });
    },
  };
  boards.set(handlers, jobs);
  setDataDirOf(handlers, config.dataDir);
  return handlers;
}

/** Free space for the status view; the warning names the data folder, so only its owner and admins read it in full. */
function diskStatus(services: Services, mayKnowDataDir: boolean): RegistryStatus['disk'] {
  const disk = services.maintenance?.health().disk;
  if (!disk) return undefined;
  const warning =
    disk.warning === null || mayKnowDataDir
      ? disk.warning
      : disk.readOnly
        ? "Shelf is read-only: its disk was full when it started; ask the registry's admin to free space and restart it"
        : "the registry's disk is low on free space; publishes may soon fail";
  return { freeBytes: disk.freeBytes, minFreeBytes: disk.minFreeBytes, low: disk.low, readOnly: disk.readOnly, warning };
}

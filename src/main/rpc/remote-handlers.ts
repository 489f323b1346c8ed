// The screens acting on a remote Shelf: `registries.signIn`/`activate`/`signOut`, and the forwarding of every other
// call to the active remote's own RPC endpoint, where that Shelf's rights table decides. WHILE_REMOTE_ACTIVE is the one
// place that says which calls stay on this machine; it is typed over the whole contract, so a new call must be placed.
import { contract, CALL_NAMES, type CallName } from '../../shared/contract';
import { forbidden, ShelfError } from '../errors';
import type { Services } from '../services';
import type { AddressPolicy } from '../services/remotes/address-guard';
import type { RemoteRegistries } from '../services/remotes/registries';
import { remoteName, signInAgain, type RemoteShelfSession } from '../services/remotes/remote-shelf';
import { RemoteShelfSessions } from '../services/remotes/remote-shelf-sessions';
import { projectFolderAsUpload, publishFolderAsUpload } from '../services/remotes/remote-shelf-uploads';
import type { CallContext, Handlers } from './dispatch';
import type { JobBoard } from './jobs';

/** Run the local handler after all (a publish to another remote with this Shelf's stored token). */
const RUN_HERE = Symbol('run here');
type Prepare = (args: never, ctx: CallContext, session: RemoteShelfSession, deps: ForwardingDeps) => Promise<unknown>;
/**
 * 'here': about this machine, or this Shelf's own sign-in and settings; always answered locally.
 * 'remote': forwarded as it is. A function: reads what is on this machine (a folder), then forwards.
 */
type Route = 'here' | 'remote' | Prepare;

export const WHILE_REMOTE_ACTIVE: Record<CallName, Route> = {
  // This Shelf's own page: its status gates first-run setup and the sign-in screen, so it never depends on a remote.
  'registry.status': 'here',
  'setup.createAdmin': 'here',
  'session.whoami': 'here',
  'session.signIn': 'here',
  'session.signOut': 'here',
  'registries.list': 'here',
  'registries.add': 'here',
  'registries.remove': 'here',
  'registries.activate': 'here',
  'registries.signIn': 'here',
  'registries.signOut': 'here',
  'settings.get': 'here',
  // The local data folder and paths of this machine.
  'backup.create': 'here',
  'backup.restore': 'here',
  'import.verdaccio': 'here',

  'packages.list': 'remote',
  'search.query': 'remote',
  'package.details': 'remote',
  'package.files': 'remote',
  'package.relations': 'remote',
  'package.setDistTag': 'remote',
  'package.removeDistTag': 'remote',
  'package.deprecate': 'remote',
  'package.yank': 'remote',
  'package.unpublishVersion': 'remote',
  'package.addOwner': 'remote',
  'package.removeOwner': 'remote',
  'tokens.list': 'remote',
  'tokens.create': 'remote',
  'tokens.revoke': 'remote',
  'mirror.status': 'remote',
  'mirror.setOffline': 'remote',
  'mirror.pin': 'remote',
  'mirror.purge': 'remote',
  'mirror.health': 'remote',
  'mirror.cachedPackage': 'remote',
  'mirror.searchCached': 'remote',
  'mirror.purgePlan': 'remote',
  'mirror.verify': 'remote',
  // The path names a lockfile on the remote's machine; the remote allows it to its admins only.
  'mirror.prefetch': 'remote',
  // Job ids are the remote's (its prefetches and verifies); their events arrive through the relay.
  'jobs.get': 'remote',
  'jobs.cancel': 'remote',
  'activity.summary': 'remote',
  'graph.compare': 'remote',
  'policy.get': 'remote',
  'policy.set': 'remote',
  'policy.held': 'remote',
  'policy.why': 'remote',
  'policy.review': 'remote',
  'policy.audit': 'remote',
  'publish.inspect': publishPrepare(false),
  'publish.run': publishPrepare(true),
  'graph.resolve': (async (
    target: { kind: string; path?: string },
    ctx: CallContext,
    _session: RemoteShelfSession,
    deps: ForwardingDeps,
  ) => {
    if (target.kind !== 'folder') return target;
    await requireLocalPathReader(ctx, deps);
    return { kind: 'upload', upload: await projectFolderAsUpload(target.path!) };
  }) as Prepare,
};

interface PublishArgs {
  path?: string;
  upload?: unknown;
  registryId: string;
  exclude?: string[];
}

/** A folder of this machine goes to the remote's publish call as an upload; the remote publishes as its own user. */
function publishPrepare(run: boolean): Prepare {
  return (async ({ path, registryId, ...rest }: PublishArgs, ctx: CallContext, session: RemoteShelfSession, deps: ForwardingDeps) => {
    // Another remote named explicitly: this Shelf's stored-token publish (the local handler) does that.
    if (registryId !== 'local' && registryId !== session.id) return RUN_HERE;
    if (path === undefined) return { ...rest, registryId: 'local' };
    await requireLocalPathReader(ctx, deps);
    const upload = await publishFolderAsUpload(path, run ? (rest.exclude ?? []) : []);
    return { ...rest, upload, registryId: 'local' };
  }) as Prepare;
}

export interface ForwardingDeps {
  services: Services;
  remotes: RemoteRegistries;
  jobs: JobBoard;
  addressPolicy: (ctx: CallContext) => AddressPolicy;
}

/** Reading a folder of this machine: the desktop app's own user or a local admin, as for every other local path. */
async function requireLocalPathReader(ctx: CallContext, deps: ForwardingDeps): Promise<void> {
  const id = ctx.session.userId();
  const user = id === undefined ? undefined : await deps.services.auth.getUser(id);
  if (!ctx.isLocalOwner && !user?.isAdmin)
    throw forbidden("only an admin may have Shelf read a folder on the server's disk; upload the folder's files instead");
}

/**
 * Remotes belong to this Shelf (docs/SECURITY.md): only those who see them on the Registries screen — the desktop
 * app's own user and admins — may sign in to them and switch to them. What they may do there is the remote's business.
 */
async function requireRemoteUser(ctx: CallContext, deps: ForwardingDeps): Promise<number> {
  const id = ctx.session.userId();
  const user = id === undefined ? undefined : await deps.services.auth.getUser(id);
  if (id === undefined || !user) throw new ShelfError('authentication_required', 'sign in to Shelf first');
  if (!ctx.isLocalOwner && !user.isAdmin) throw forbidden('only an admin may use a remote registry from this Shelf; ask its admin');
  return id;
}

export function remoteForwarding(deps: ForwardingDeps) {
  const sessions = new RemoteShelfSessions((event, owner) => deps.jobs.relay(event, owner));
  const network = (ctx: CallContext) => deps.remotes.fetch(deps.addressPolicy(ctx));
  const view = (s: RemoteShelfSession) => ({ id: s.id, url: s.url, username: s.username, isAdmin: s.isAdmin });

  const handlers: Pick<Handlers, 'registries.activate' | 'registries.signIn' | 'registries.signOut'> = {
    'registries.signIn': async ({ id, username, password }, ctx) => {
      const user = await requireRemoteUser(ctx, deps);
      const remote = await deps.remotes.target(id);
      return view(await sessions.signIn(user, remote, network(ctx), username, password));
    },
    'registries.activate': async ({ id }, ctx) => {
      const user = await requireRemoteUser(ctx, deps);
      if (id === 'local') return { activeId: sessions.activate(user, 'local') };
      return { activeId: sessions.activate(user, await deps.remotes.target(id), network(ctx)) };
    },
    'registries.signOut': async ({ id }, ctx) => {
      await sessions.signOut(await requireRemoteUser(ctx, deps), id, network(ctx));
      return { ok: true as const };
    },
  };

  /** Wraps the table's handlers in place (the job board and data folder are registered against this very object). */
  function install(table: Handlers): void {
    const mutable = table as unknown as Record<CallName, (args: unknown, ctx: CallContext) => Promise<unknown>>;
    for (const name of CALL_NAMES) {
      const route = WHILE_REMOTE_ACTIVE[name];
      if (route === 'here') continue;
      const here = mutable[name];
      mutable[name] = async (args, ctx) => {
        const user = ctx.session.userId();
        const active = user === undefined ? undefined : sessions.active(user);
        if (user === undefined || !active) return here(args, ctx);
        const session = sessions.activeSession(user);
        // Never a silent fall-back to this Shelf's data while the screens say the remote is active.
        if (!session) throw signInAgain(active.url);
        const forwarded =
          typeof route === 'function' ? await (route as (...a: unknown[]) => Promise<unknown>)(args, ctx, session, deps) : args;
        if (forwarded === RUN_HERE) return here(args, ctx);
        const answer = await sessions.call(user, session, name, forwarded, network(ctx));
        const parsed = contract[name].result.safeParse(answer);
        if (!parsed.success)
          throw new ShelfError(
            'upstream_failed',
            `${remoteName(session.url)} answered ${name} in a form this Shelf does not read; is it a different version of Shelf?`,
          );
        return parsed.data;
      };
    }

    const list = mutable['registries.list'];
    mutable['registries.list'] = async (args, ctx) => {
      const result = (await list(args, ctx)) as { registries: unknown[]; activeId: string };
      const user = ctx.session.userId();
      if (user === undefined) return result;
      return { ...result, activeId: sessions.activeId(user), remoteSessions: sessions.sessions(user).map(view) };
    };
    const remove = mutable['registries.remove'];
    mutable['registries.remove'] = async (args, ctx) => {
      const result = await remove(args, ctx);
      sessions.dropRemote((args as { id: string }).id);
      return result;
    };
    const signOut = mutable['session.signOut'];
    mutable['session.signOut'] = async (args, ctx) => {
      const user = ctx.session.userId();
      if (user !== undefined) sessions.forget(user, network(ctx));
      return signOut(args, ctx);
    };
  }

  return { handlers, install };
}

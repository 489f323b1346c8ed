// Which registry each local user's screens act on, and their sign-ins on remote Shelfs: in this process's memory only
// (a restart signs out of every remote; the password was never kept). Keyed by the local account, not by one browser
// session: the desktop app has one session, and a person's browser tabs on one account see the same active registry.
// While a remote is active, its event stream (job progress, "packages changed") is relayed to the local user's pages.
import { EVENTS_PATH, SESSION_COOKIE, ShelfEvent } from '../../../shared/contract';
import { notFound } from '../../errors';
import type { FetchLike } from './address-guard';
import { RemoteShelfClient, signInAgain, type RemoteAddress, type RemoteShelfSession } from './remote-shelf';
import { registryBase } from './names';

interface Caller {
  /** The remote the screens act on; undefined: this Shelf. Kept when its session ends, so calls say "sign in again". */
  active?: RemoteAddress;
  sessions: Map<string, RemoteShelfSession>;
  /** The open relay of the active remote's events, if any. */
  relay?: AbortController;
}

/** Where relayed events go: the local event board, addressed to one local user. */
export type EventSink = (event: ShelfEvent, localUser: number) => void;

/** The largest event block read from a remote's stream; a longer one ends the relay (job events are a few hundred bytes). */
const MAX_EVENT_BYTES = 64 * 1024;

export class RemoteShelfSessions {
  private readonly callers = new Map<number, Caller>();

  constructor(
    private readonly sink: EventSink,
    private readonly now: () => number = Date.now,
  ) {}

  private caller(localUser: number): Caller {
    let caller = this.callers.get(localUser);
    if (!caller) {
      caller = { sessions: new Map() };
      this.callers.set(localUser, caller);
    }
    return caller;
  }

  activeId(localUser: number): string {
    return this.active(localUser)?.id ?? 'local';
  }

  /** The remote the user's screens act on (signed in or not any more), or undefined while this Shelf is active. */
  active(localUser: number): RemoteAddress | undefined {
    return this.callers.get(localUser)?.active;
  }

  /** The live sign-ins of a local user (expired ones are dropped as they are seen). */
  sessions(localUser: number): RemoteShelfSession[] {
    const caller = this.callers.get(localUser);
    if (!caller) return [];
    for (const [id, s] of caller.sessions) if (s.expires <= this.now()) caller.sessions.delete(id);
    return [...caller.sessions.values()];
  }

  /** The live session the user's screens act through now: undefined while this Shelf is active or the sign-in ended. */
  activeSession(localUser: number): RemoteShelfSession | undefined {
    const caller = this.callers.get(localUser);
    const session = caller?.active ? caller.sessions.get(caller.active.id) : undefined;
    if (session && session.expires <= this.now()) {
      caller!.sessions.delete(session.id);
      return undefined;
    }
    return session;
  }

  async signIn(localUser: number, remote: RemoteAddress, fetchImpl: FetchLike, username: string, password: string) {
    const session = await new RemoteShelfClient(remote, fetchImpl, this.now).signIn(username, password);
    const caller = this.caller(localUser);
    const previous = caller.sessions.get(remote.id);
    caller.sessions.set(remote.id, session);
    if (previous) await new RemoteShelfClient(remote, fetchImpl, this.now).signOut(previous);
    if (caller.active?.id === remote.id) this.relay(localUser, fetchImpl);
    return session;
  }

  /** Makes 'local' or a signed-in remote the active registry; a remote without a live session is refused. */
  activate(localUser: number, remote: RemoteAddress | 'local', fetchImpl?: FetchLike): string {
    const caller = this.caller(localUser);
    caller.relay?.abort();
    caller.relay = undefined;
    if (remote === 'local') {
      caller.active = undefined;
      return 'local';
    }
    const session = caller.sessions.get(remote.id);
    if (!session || session.expires <= this.now()) {
      caller.sessions.delete(remote.id);
      throw signInAgain(remote.url);
    }
    caller.active = { id: remote.id, url: remote.url };
    if (fetchImpl) this.relay(localUser, fetchImpl);
    return remote.id;
  }

  async signOut(localUser: number, remoteId: string, fetchImpl: FetchLike): Promise<void> {
    const caller = this.callers.get(localUser);
    const session = caller?.sessions.get(remoteId);
    if (!caller || !session) throw notFound(`you are not signed in to the remote registry '${remoteId}'`);
    caller.sessions.delete(remoteId);
    if (caller.active?.id === remoteId) this.activate(localUser, 'local');
    await new RemoteShelfClient(session, fetchImpl, this.now).signOut(session);
  }

  /**
   * The local user signed out: every remote sign-in of theirs ends with it, here at once; the remotes are told in the
   * background, so signing out of this Shelf never waits on a remote that does not answer.
   */
  forget(localUser: number, fetchImpl: FetchLike): void {
    const caller = this.callers.get(localUser);
    if (!caller) return;
    caller.relay?.abort();
    this.callers.delete(localUser);
    for (const s of caller.sessions.values()) void new RemoteShelfClient(s, fetchImpl, this.now).signOut(s);
  }

  /** A remote was forgotten on the Registries screen: nobody acts on it any more. */
  dropRemote(remoteId: string): void {
    for (const caller of this.callers.values()) {
      caller.sessions.delete(remoteId);
      if (caller.active?.id === remoteId) {
        caller.relay?.abort();
        caller.relay = undefined;
        caller.active = undefined;
      }
    }
  }

  /** One call on the active remote; a session the remote no longer honours is dropped, so the screens say "sign in again". */
  async call(localUser: number, session: RemoteShelfSession, call: string, args: unknown, fetchImpl: FetchLike): Promise<unknown> {
    try {
      const result = await new RemoteShelfClient(session, fetchImpl, this.now).call(session, call, args);
      // A relay that ended (the remote restarted, the network blinked) is opened again by the next call that works.
      if (!this.callers.get(localUser)?.relay) this.relay(localUser, fetchImpl);
      return result;
    } catch (error) {
      const caller = this.callers.get(localUser);
      if (caller && (error as { code?: string }).code === 'authentication_required') {
        caller.sessions.delete(session.id);
        caller.relay?.abort();
        caller.relay = undefined;
      }
      throw error;
    }
  }

  /**
   * Opens the active remote's event stream (its EVENTS_PATH, with the session cookie) and hands each event to the sink
   * for this local user. One stream per local user at most; it ends when the user switches away or signs out, or when
   * the remote ends it — the next forwarded call opens it again, so there is no retry loop here.
   */
  private relay(localUser: number, fetchImpl: FetchLike): void {
    const caller = this.callers.get(localUser);
    const session = caller?.active ? caller.sessions.get(caller.active.id) : undefined;
    if (!caller || !session) return;
    caller.relay?.abort();
    const controller = new AbortController();
    caller.relay = controller;
    const ended = () => {
      if (caller.relay === controller) caller.relay = undefined;
    };
    void readEvents(session, fetchImpl, controller.signal, (event) => this.sink(event, localUser)).then(ended, ended);
  }
}

async function readEvents(
  session: RemoteShelfSession,
  fetchImpl: FetchLike,
  signal: AbortSignal,
  onEvent: (event: ShelfEvent) => void,
): Promise<void> {
  const url = new URL(EVENTS_PATH.slice(1), registryBase(session.url)).toString();
  const response = await fetchImpl(url, {
    headers: {
      accept: 'text/event-stream',
      cookie: `${SESSION_COOKIE}=${session.cookie}`,
      'user-agent': "shelf-desktop (relaying a remote Shelf's events)",
    },
    signal,
  });
  if (!response.ok || !response.body) {
    await response.arrayBuffer().catch(() => undefined);
    return;
  }
  const decoder = new TextDecoder();
  let buffer = '';
  // The stream ends when the remote closes it or the signal aborts; each block ("event: …\ndata: …\n\n") is one event.
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (data) {
        try {
          const parsed = ShelfEvent.safeParse(JSON.parse(data));
          if (parsed.success) onEvent(parsed.data);
        } catch {
          /* not JSON: not an event of Shelf's, dropped */
        }
      }
      end = buffer.indexOf('\n\n');
    }
    if (buffer.length > MAX_EVENT_BYTES) return;
  }
}

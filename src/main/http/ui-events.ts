// Browser mode's event stream: server-sent events carrying job progress to the signed-in user's open pages.
import type { FastifyInstance } from 'fastify';
import type { JobBoard } from '../rpc/jobs';
import { EVENTS_PATH } from './ui-paths';
import type { UiSessionStore } from './ui-session';

const HEARTBEAT_MS = 15_000;

/** `jobs` finds the board the handler table reports to; it loads the table on first use (none: this server has no events). */
export function registerEventStream(app: FastifyInstance, sessions: UiSessionStore, jobs: () => Promise<JobBoard | undefined>): void {
  // Open streams never end by themselves; closing the server ends them, or close() would wait for ever.
  const open = new Set<() => void>();
  app.addHook('onClose', async () => {
    for (const end of [...open]) end();
  });
  app.get(EVENTS_PATH, async (request, reply) => {
    // The cookie is SameSite=Strict, so another site's page cannot open this stream with it.
    const userId = await sessions.userOf(request);
    if (userId === undefined) return reply.code(401).send({ error: 'sign in to Shelf to receive progress events' });
    const board = await jobs();
    if (!board) return reply.code(404).send({ error: 'not found' });
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Content-Type-Options': 'nosniff',
    });
    res.write(': connected\n\n');
    const unsubscribe = board.subscribe((event, owner) => {
      if (owner === null || owner === userId) res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const close = () => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(end);
    };
    const end = () => {
      close();
      res.end();
    };
    open.add(end);
    request.raw.on('close', close);
  });
}

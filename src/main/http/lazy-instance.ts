// Serves a group of routes from a fastify instance built on their first request, so that start-up does not load code
// that most runs never use (the REST API, the UI's static files). The catch-all route is registered with the server
// before it listens, so no request can miss it; its onRequest hook hands the raw request to the other instance before
// anything has read the body, and that instance answers it exactly as if its routes were registered here.
import type { FastifyInstance } from 'fastify';

/** Returns a function that builds the instance now (the same one the first request would), for warming up after start. */
export function serveLazily(app: FastifyInstance, url: string, build: () => Promise<FastifyInstance>): () => Promise<unknown> {
  let instance: Promise<FastifyInstance> | undefined;
  const ready = () =>
    (instance ??= build().then(
      async (built) => {
        await built.ready();
        return built;
      },
      (error: unknown) => {
        // A failed build is tried again by the next request rather than remembered.
        instance = undefined;
        throw error;
      },
    ));

  app.all(
    url,
    {
      onRequest: async (request, reply) => {
        const built = await ready();
        reply.hijack();
        built.routing(request.raw, reply.raw);
      },
    },
    // Never reached: the hook above has handed the request on.
    async () => {
      throw new Error(`${url} is served by an instance built on first use`);
    },
  );
  app.addHook('onClose', async () => {
    const built = await instance?.catch(() => undefined);
    await built?.close();
  });
  return ready;
}

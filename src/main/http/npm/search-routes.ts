// npm search (/-/v1/search) with npm's result shape.
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../errors';
import type { Services } from '../../services';
import { principalOf } from '../request-auth';

const MAX_SEARCH_SIZE = 250;

export function registerSearchRoutes(app: FastifyInstance, services: Services, now: () => Date): void {
  app.get('/-/v1/search', async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const asked = query.size === undefined ? 20 : Number(query.size);
    const from = query.from === undefined ? 0 : Number(query.from);
    if (!Number.isInteger(asked) || asked < 1) throw badRequest('size must be a whole number from 1 to 250');
    // npm's registry answers a larger size with its 250 results rather than an error, and clients rely on that.
    const size = Math.min(asked, MAX_SEARCH_SIZE);
    if (!Number.isInteger(from) || from < 0) throw badRequest('from must be a whole number, 0 or more');
    const principal = await principalOf(services.auth, request);
    const result = await services.search.search({ text: query.text ?? '', size, from }, principal);
    return reply.header('Cache-Control', 'no-cache').send({ ...result, time: now().toUTCString() });
  });
}

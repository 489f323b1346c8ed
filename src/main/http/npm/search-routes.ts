// npm search (/-/v1/search) with npm's result shape.
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../errors';
import type { Services } from '../../services';
import { principalOf } from '../request-auth';

export function registerSearchRoutes(app: FastifyInstance, services: Services, now: () => Date): void {
  app.get('/-/v1/search', async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const size = query.size === undefined ? 20 : Number(query.size);
    const from = query.from === undefined ? 0 : Number(query.from);
    if (!Number.isInteger(size) || size < 1 || size > 250) throw badRequest('size must be a whole number from 1 to 250');
    if (!Number.isInteger(from) || from < 0) throw badRequest('from must be a whole number, 0 or more');
    const principal = await principalOf(services.auth, request);
    const result = services.search.search({ text: query.text ?? '', size, from }, principal);
    return reply.header('Cache-Control', 'no-cache').send({ ...result, time: now().toUTCString() });
  });
}

// ping and the audit endpoints (empty answers until the mirror proxies advisories upstream).
import type { FastifyInstance } from 'fastify';

const EMPTY_QUICK_AUDIT = {
  actions: [],
  advisories: {},
  muted: [],
  metadata: {
    vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0 },
    dependencies: 0,
    devDependencies: 0,
    optionalDependencies: 0,
    totalDependencies: 0,
  },
};

export function registerMiscRoutes(app: FastifyInstance): void {
  app.get('/-/ping', async (_request, reply) => reply.header('Cache-Control', 'no-cache').send({}));

  // Shelf has no advisory data of its own; "no known advisories" is the honest answer for local packages.
  app.post('/-/npm/v1/security/advisories/bulk', async (_request, reply) => reply.send({}));
  app.post('/-/npm/v1/security/audits/quick', async (_request, reply) => reply.send(EMPTY_QUICK_AUDIT));
  app.post('/-/npm/v1/security/audits', async (_request, reply) => reply.send(EMPTY_QUICK_AUDIT));
}

// ping and the audit endpoints (empty answers until the mirror proxies advisories upstream).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MirrorService } from '../../services/mirror/mirror-service';

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

/**
 * Says whether advisory data was consulted: 'upstream' when the mirror's upstream answered, 'cache' when the advisories
 * the policy cached answered (upstream unreachable or offline), 'unavailable' otherwise.
 */
export const AUDIT_HEADER = 'X-Shelf-Audit';

export function registerMiscRoutes(app: FastifyInstance, mirror: MirrorService): void {
  app.get('/-/ping', async (_request, reply) => reply.header('Cache-Control', 'no-cache').send({}));

  // Shelf has no advisory data of its own: the upstream answers when it can; otherwise the answer is empty and says so.
  const proxied = (path: string, empty: unknown) => async (request: FastifyRequest, reply: FastifyReply) => {
    const answer = await mirror.auditBulk(path, request.body);
    if (!answer.available || answer.status >= 400) return reply.header(AUDIT_HEADER, 'unavailable').send(empty);
    return reply
      .header(AUDIT_HEADER, answer.source ?? 'upstream')
      .code(answer.status)
      .send(answer.body);
  };
  app.post('/-/npm/v1/security/advisories/bulk', proxied('-/npm/v1/security/advisories/bulk', {}));
  app.post('/-/npm/v1/security/audits/quick', proxied('-/npm/v1/security/audits/quick', EMPTY_QUICK_AUDIT));
  app.post('/-/npm/v1/security/audits', proxied('-/npm/v1/security/audits', EMPTY_QUICK_AUDIT));
}

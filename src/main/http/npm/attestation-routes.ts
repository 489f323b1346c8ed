// npm's attestations endpoint for mirrored packages (`npm audit signatures` fetches each version's provenance here):
// answered from the bundles the policy verified and kept, so it works with the upstream unreachable.
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../errors';
import type { Services } from '../../services';
import { policyOf } from '../../services/policy/policy-service';

const PREFIX = '/-/npm/v1/attestations/';

export function registerAttestationRoutes(app: FastifyInstance, services: Services): void {
  app.get(`${PREFIX}*`, async (request, reply) => {
    const { name, version } = parseSpec(request.raw.url!.slice(PREFIX.length).split('?')[0]!);
    return reply.header('Cache-Control', 'no-cache').send(await policyOf(services).servedAttestations(name, version));
  });
}

/** `name@version` or `@scope%2fname@version` (as npm writes it), either slash form accepted. */
function parseSpec(raw: string): { name: string; version: string } {
  let spec: string;
  try {
    spec = decodeURIComponent(raw);
  } catch {
    throw badRequest(`'${raw}' is not a package version (name@version)`);
  }
  const at = spec.lastIndexOf('@');
  if (at <= 0 || at === spec.length - 1) throw badRequest(`'${spec}' is not a package version (name@version)`);
  return { name: spec.slice(0, at), version: spec.slice(at + 1) };
}

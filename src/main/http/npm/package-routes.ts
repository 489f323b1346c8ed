// The package URLs of the npm protocol: packuments, versions, tarballs, publish, unpublish (GET/PUT/DELETE /<name>…).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../../errors';
import type { Services } from '../../services';
import type { Principal } from '../../services/auth/principal';
import { packageNameWarnings } from '../../services/packages/names';
import { answerAsMissing } from '../../services/packages/read';
import { POLICY_HEADER, PolicyRefusal } from '../../services/policy/policy-service';
import { parsePackagePath, pathOf } from '../npm-paths';
import { principalOf } from '../request-auth';
import { requestBaseUrl, type BaseUrlRules } from './base-url';
import { sendStoredDocument, wantsAbbreviated } from './stored-document';

/** Tells clients how an upstream package was served: hit, miss, revalidated, offline or offline-fallback. */
export const CACHE_HEADER = 'X-Shelf-Cache';

export function registerPackageRoutes(app: FastifyInstance, services: Services, baseUrlRules?: BaseUrlRules): void {
  const { packages, auth, mirror } = services;
  // Tarball links point at the address the client used (without rules: the server's own address).
  const rules: BaseUrlRules = baseUrlRules ?? { publicUrl: undefined, allowed: new Set(), fallback: () => packages.ctx.baseUrl() };
  const baseUrlOf = (request: FastifyRequest) => requestBaseUrl(request, rules);

  const target = (request: FastifyRequest) => {
    const parsed = parsePackagePath(pathOf(request.raw.url));
    if (!parsed) throw notFound('not found');
    return parsed;
  };

  // The upstream's registry signing keys, kept by the policy, so `npm audit signatures` against Shelf checks mirrored packages.
  app.get('/-/npm/v1/keys', async (_request, reply) => {
    const keys = await services.policy?.servedKeys();
    if (!keys) throw notFound("Shelf knows no registry signing keys: set the policy's signatures rule so the upstream's are fetched");
    return reply.header('Cache-Control', 'no-cache').send(keys);
  });

  app.get('/*', async (request, reply) => {
    const { name, rest } = target(request);
    const principal = await principalOf(auth, request);
    // A published document in memory (public, nothing written since) answers at once: it is local, so no mirror lookup.
    if (rest.length === 0) {
      const abbreviated = wantsAbbreviated(request);
      const hot = packages.hotPackument(name, abbreviated);
      if (hot) return await sendStoredDocument(request, reply, hot, abbreviated, baseUrlOf(request));
    }
    // A name published here is always served from here: local packages are never mixed with upstream ones.
    if (!(await mirror.handles(name))) {
      try {
        return await serveLocal(reply, request, principal, name, rest);
      } catch (error) {
        // Headers the local path set before refusing would tell a restricted name from a missing one.
        reply.removeHeader('Cache-Control');
        throw answerAsMissing(error, name, mirror.upstreamFor(name)?.upstream.url);
      }
    }
    if (rest.length === 0) {
      const abbreviated = wantsAbbreviated(request);
      const { doc, state } = await mirror.packument(name, abbreviated);
      const held = await services.policy?.header(name);
      if (held) reply.header(POLICY_HEADER, held);
      return await sendStoredDocument(request, reply.header(CACHE_HEADER, state), doc, abbreviated, baseUrlOf(request));
    }
    if (rest.length === 2 && rest[0] === '-') {
      const tarball = await mirror.tarball(name, rest[1]!).catch(withPolicyHeader(reply));
      return sendTarball(reply.header(CACHE_HEADER, tarball.state), tarball);
    }
    if (rest.length === 1) {
      const manifest = await mirror.version(name, rest[0]!, baseUrlOf(request)).catch(withPolicyHeader(reply));
      return reply.header('Cache-Control', 'no-cache').send(manifest);
    }
    throw notFound('not found');
  });

  async function serveLocal(reply: FastifyReply, request: FastifyRequest, principal: Principal | undefined, name: string, rest: string[]) {
    if (rest.length === 0) {
      const abbreviated = wantsAbbreviated(request);
      return await sendStoredDocument(
        request,
        reply,
        await packages.readPackument(principal, name, abbreviated),
        abbreviated,
        baseUrlOf(request),
      );
    }
    if (rest.length === 2 && rest[0] === '-') {
      const tarball = await packages.openTarball(principal, name, rest[1]!);
      services.stats.countDownload(tarball.packageId, tarball.version);
      return sendTarball(reply, tarball);
    }
    if (rest.length === 1)
      return reply.header('Cache-Control', 'no-cache').send(await packages.readVersion(principal, name, rest[0]!, baseUrlOf(request)));
    throw notFound('not found');
  }

  app.put('/*', async (request, reply) => {
    const { name, rest } = target(request);
    const principal = await principalOf(auth, request);
    let rev: string | undefined;
    if (rest.length === 2 && rest[0] === '-rev') rev = rest[1];
    else if (rest.length !== 0) throw notFound('not found');
    const outcome = await packages.update(principal, name, request.body, rev);
    const warnings = outcome.kind === 'published' ? packageNameWarnings(name) : [];
    // npm prints an npm-notice header as it arrives ("npm notice …"); other clients read the reply's warnings.
    if (warnings.length > 0) reply.header('npm-notice', `${name} was published with an old-style name: ${warnings.join('; ')}`);
    return reply
      .code(outcome.kind === 'published' ? 201 : 200)
      .send({ ok: true, success: true, id: name, rev: outcome.kind, ...(warnings.length > 0 && { warnings }) });
  });

  app.delete('/*', async (request, reply) => {
    const { name, rest } = target(request);
    const principal = await principalOf(auth, request);
    // DELETE /<name>/-rev/<rev>: the whole package.
    if (rest.length === 2 && rest[0] === '-rev') {
      await packages.unpublishPackage(principal, name, rest[1]);
      return reply.send({ ok: true });
    }
    // DELETE /<name>/-/<file>.tgz/-rev/<rev>: the last step of a version unpublish.
    if (rest.length === 4 && rest[0] === '-' && rest[2] === '-rev') {
      await packages.confirmTarballRemoved(principal, name, rest[1]!);
      return reply.send({ ok: true });
    }
    if (rest.length === 0) throw badRequest('to unpublish a package, DELETE /<name>/-rev/<rev> (as `npm unpublish <name> --force` does)');
    throw notFound('not found');
  });
}

/** A policy refusal also names its rule (and, for the quarantine, its end) in the X-Shelf-Policy header. */
const withPolicyHeader =
  (reply: FastifyReply) =>
  (error: unknown): never => {
    if (error instanceof PolicyRefusal) reply.header(POLICY_HEADER, error.header);
    throw error;
  };

function sendTarball(
  reply: FastifyReply,
  tarball: { body: Buffer | NodeJS.ReadableStream; size: number; integrity: string; isPublic: boolean },
): FastifyReply {
  return reply
    .header('Content-Type', 'application/octet-stream')
    .header('Content-Length', String(tarball.size))
    .header('ETag', `"${tarball.integrity}"`)
    .header('Cache-Control', tarball.isPublic ? 'public, max-age=31536000, immutable' : 'private, max-age=31536000, immutable')
    .send(tarball.body);
}

// Package metadata under /-/package/<name>/…: dist-tags, owners (pnpm's form), access, visibility, collaborators.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../../errors';
import type { Services } from '../../services';
import { requireUser } from '../../services/auth/principal';
import { parsePackagePath, pathOf } from '../npm-paths';
import { principalOf } from '../request-auth';

const PREFIX = '/-/package/';

function target(request: FastifyRequest): { name: string; what: string; arg?: string } {
  const parsed = parsePackagePath(pathOf(request.raw.url).slice(PREFIX.length - 1));
  const what = parsed?.rest[0];
  if (!parsed || !what || parsed.rest.length > 2) throw notFound('not found');
  return { name: parsed.name, what, arg: parsed.rest[1] };
}

export function registerPackageMetaRoutes(app: FastifyInstance, services: Services): void {
  const { packages, auth } = services;

  app.get(`${PREFIX}*`, async (request, reply) => {
    const { name, what, arg } = target(request);
    const principal = await principalOf(auth, request);
    reply.header('Cache-Control', 'no-cache');
    if (arg !== undefined) throw notFound('not found');
    switch (what) {
      case 'dist-tags':
        return reply.send(await packages.listDistTags(principal, name));
      case 'owners':
        return reply.send((await packages.listOwners(principal, name)).map((m) => ({ username: m.name, email: m.email ?? '' })));
      case 'visibility':
        return reply.send({ public: (await packages.getAccess(principal, name)) === 'public' });
      case 'access':
        return reply.send({ access: await packages.getAccess(principal, name) });
      case 'collaborators': {
        const owners = await packages.listOwners(principal, name);
        // pnpm 11 asks with ?format=cli and expects a list; npm expects an object of user → permission.
        if ((request.query as Record<string, string>).format === 'cli') {
          return reply.send(owners.map((m) => ({ user: m.name, email: m.email ?? '', permissions: 'read-write' })));
        }
        return reply.send(Object.fromEntries(owners.map((m) => [m.name, 'read-write'])));
      }
      default:
        throw notFound('not found');
    }
  });

  app.put(`${PREFIX}*`, async (request, reply) => {
    const { name, what, arg } = target(request);
    const principal = await principalOf(auth, request);
    if (what === 'dist-tags' && arg !== undefined) {
      await packages.addDistTag(principal, name, arg, request.body);
      return reply.code(201).send({ ok: true });
    }
    if (what === 'owners' && arg === undefined) {
      const user = (request.body as { user?: unknown } | undefined)?.user;
      if (typeof user !== 'string' || !user) throw badRequest('send {"user": "<name>"} to add an owner');
      await packages.addOwner(principal, name, user);
      return reply.code(201).send({ ok: true });
    }
    throw notFound('not found');
  });

  app.delete(`${PREFIX}*`, async (request, reply) => {
    const { name, what, arg } = target(request);
    const principal = await principalOf(auth, request);
    if (what === 'dist-tags' && arg !== undefined) {
      await packages.removeDistTag(principal, name, arg);
      return reply.send({ ok: true });
    }
    if (what === 'owners' && arg !== undefined) {
      await packages.removeOwner(principal, name, arg);
      return reply.send({ ok: true });
    }
    throw notFound('not found');
  });

  app.post(`${PREFIX}*`, async (request, reply) => {
    const { name, what } = target(request);
    const principal = await principalOf(auth, request);
    if (what !== 'access') throw notFound('not found');
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (body.access !== undefined) await packages.setAccess(principal, name, body.access);
    else if (body.publish_requires_tfa !== undefined || body.automation_token_overrides_tfa !== undefined) {
      throw badRequest('Shelf has no two-factor authentication, so there is no 2FA requirement to set');
    } else throw badRequest('send {"access": "public"} or {"access": "restricted"}');
    return reply.send({ ok: true });
  });

  // npm access list packages @scope → /-/org/<scope>/package
  app.get('/-/org/:scope/package', async (request, reply) => {
    const principal = await principalOf(auth, request);
    const scope = (request.params as { scope: string }).scope;
    const found = await packages.scopePackages(principal, scope.startsWith('@') ? scope : `@${scope}`);
    if (Object.keys(found).length === 0) throw notFound(`no packages in scope @${scope.replace(/^@/, '')} that you can see`);
    return reply.send(found);
  });

  // pnpm 11's own-packages list.
  app.get('/-/-/package', async (request, reply) => {
    const principal = requireUser(await principalOf(auth, request), 'list your packages');
    return reply.send(await packages.userPackages(principal, principal.user.id));
  });

  app.all('/-/team/*', async () => {
    throw notFound('Shelf has no teams; give people access by making them owners (`npm owner add`)');
  });
}

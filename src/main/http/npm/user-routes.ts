// Accounts over the npm protocol: couch login/adduser, user documents, logout, whoami, and the (absent) web login.
import type { FastifyInstance } from 'fastify';
import { badRequest, notFound, unauthorized } from '../../errors';
import type { Services } from '../../services';
import { pathOf } from '../npm-paths';
import { principalOf } from '../request-auth';

const COUCH_PREFIX = 'org.couchdb.user:';

type Json = Record<string, unknown>;

export function registerUserRoutes(app: FastifyInstance, services: Services): void {
  const { auth, packages } = services;

  /** The segments after /-/user/, decoded. */
  const segmentsOf = (rawUrl: string | undefined): string[] =>
    pathOf(rawUrl)
      .slice('/-/user/'.length)
      .split('/')
      .map((s) => decodeURIComponent(s));

  app.put('/-/user/*', async (request, reply) => {
    const segments = segmentsOf(request.raw.url);
    const first = segments[0] ?? '';
    if (!first.startsWith(COUCH_PREFIX)) throw notFound('not found');
    const name = first.slice(COUCH_PREFIX.length);
    const body = (request.body ?? {}) as Json;
    if (typeof body.name !== 'string' || body.name !== name) {
      throw badRequest(`the user name in the body ('${String(body.name)}') differs from the one in the URL ('${name}')`);
    }
    // A couch login is a password login on every path, yarn's retry after a 409 (PUT …/-rev/<rev>) included: a
    // token presented alongside is never enough to be handed a new one, which could be wider than itself.
    const relogin = segments[1] === '-rev';
    if (typeof body.password !== 'string' || body.password === '') {
      throw unauthorized(
        relogin
          ? `logging in again as ${name} needs the password in the request body; a token cannot make a new token this way (use \`npm token create\`)`
          : 'a password is required to log in',
      );
    }
    const result = await auth.couchLogin(
      { name, password: body.password, email: typeof body.email === 'string' ? body.email : undefined, existingOnly: relogin },
      request.ip,
    );
    return reply.code(201).send({ ok: true, id: first, rev: `1-${result.user.id}`, token: result.token });
  });

  app.get('/-/user/*', async (request, reply) => {
    const segments = segmentsOf(request.raw.url);
    const first = segments[0] ?? '';
    const principal = await principalOf(auth, request);
    if (first.startsWith(COUCH_PREFIX)) {
      const user = await auth.findUser(first.slice(COUCH_PREFIX.length));
      if (!user) throw notFound(`there is no user '${first.slice(COUCH_PREFIX.length)}' on this registry`);
      // Email addresses are for signed-in users only (npm owner add reads them); anonymous callers get the name.
      return reply.send({
        _id: `${COUCH_PREFIX}${user.name}`,
        name: user.name,
        ...(principal && { email: user.email ?? '' }),
        type: 'user',
        roles: [],
      });
    }
    // npm access list packages <user>: GET /-/user/<user>/package
    if (segments.length === 2 && segments[1] === 'package') {
      const user = await auth.findUser(first);
      if (!user) throw notFound(`there is no user '${first}' on this registry`);
      return reply.send(await packages.userPackages(principal, user.id));
    }
    throw notFound('not found');
  });

  app.delete('/-/user/token/*', async (request, reply) => {
    const token = decodeURIComponent(pathOf(request.raw.url).slice('/-/user/token/'.length));
    if (!token) throw badRequest('name the token to log out');
    await auth.revokeBySecret(token);
    return reply.send({ ok: true });
  });

  app.get('/-/whoami', async (request, reply) => {
    const principal = await principalOf(auth, request);
    if (!principal) throw unauthorized('you are not logged in to this registry; run `npm login`');
    return reply.header('Cache-Control', 'no-cache').send({ username: principal.user.name });
  });

  // Shelf has no browser-based login; a 404 here makes npm and pnpm fall back to the couch login above.
  app.post('/-/v1/login', async (_request, reply) =>
    reply.code(404).send({ error: 'web login is not available on Shelf; your client falls back to username and password' }),
  );
}

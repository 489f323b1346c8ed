// npm token list/create/revoke (/-/npm/v1/tokens).
import type { FastifyInstance } from 'fastify';
import { badRequest, unauthorized } from '../../errors';
import type { Services } from '../../services';
import type { TokenInfo } from '../../services/auth/auth-service';
import { requireScope } from '../../services/auth/principal';
import { pathOf } from '../npm-paths';
import { principalOf } from '../request-auth';

type Json = Record<string, unknown>;

function npmToken(token: TokenInfo): Json {
  return {
    key: token.key,
    token: token.prefix,
    name: token.name,
    created: token.created,
    updated: token.updated,
    expires: token.expires,
    readonly: token.scope === 'read',
    automation: false,
    scope: token.scope,
    cidr_whitelist: token.cidrWhitelist.length > 0 ? token.cidrWhitelist : null,
  };
}

/** npm 11 sends `expires` as a number of days; other tools send a date. Left out: as long as the presenting token. */
function expiryOf(value: unknown, now: Date): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value))) {
    const days = Number(value);
    if (days <= 0 || days > 3650) throw badRequest('expires must be between 1 and 3650 days');
    return new Date(now.getTime() + days * 86_400_000).toISOString();
  }
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  throw badRequest(`expires must be a number of days or a date, not '${String(value)}'`);
}

export function registerTokenRoutes(app: FastifyInstance, services: Services, now: () => Date): void {
  const { auth } = services;

  app.get('/-/npm/v1/tokens', async (request, reply) => {
    const principal = requireScope(await principalOf(auth, request), 'admin', 'list tokens');
    const objects = (await auth.listTokens(principal.user)).map(npmToken);
    return reply.header('Cache-Control', 'no-cache').send({ objects, total: objects.length, urls: { next: null } });
  });

  app.post('/-/npm/v1/tokens', async (request, reply) => {
    const principal = requireScope(await principalOf(auth, request), 'admin', 'create tokens');
    const body = (request.body ?? {}) as Json;
    if (typeof body.password !== 'string' || body.password === '') {
      throw unauthorized('creating a token needs your password; npm asks for it');
    }
    await auth.checkPassword(principal.user.name, body.password, request.ip);
    const readonly = body.readonly === true || body.packages_and_scopes_permission === 'read-only';
    const cidr = body.cidr_whitelist ?? [];
    if (!Array.isArray(cidr) || cidr.some((c) => typeof c !== 'string')) throw badRequest('cidr_whitelist must be a list of CIDR ranges');
    // The password confirms the person; the new token is still bounded by the token presented (AuthService.mintToken).
    const { secret, token } = await auth.mintToken(principal, {
      scope: readonly ? 'read' : 'publish',
      name: typeof body.name === 'string' ? body.name : null,
      // npm sends [] when no --cidr was given: that means "as the presenting token", not "from anywhere".
      cidrWhitelist: cidr.length > 0 ? (cidr as string[]) : undefined,
      expiresAt: expiryOf(body.expires, now()),
    });
    return reply.code(201).send({ ...npmToken(token), token: secret });
  });

  app.delete('/-/npm/v1/tokens/token/*', async (request, reply) => {
    const principal = requireScope(await principalOf(auth, request), 'admin', 'revoke tokens');
    const keyOrToken = decodeURIComponent(pathOf(request.raw.url).slice('/-/npm/v1/tokens/token/'.length));
    await auth.revokeToken(principal.user, keyOrToken);
    return reply.send({ ok: true });
  });
}

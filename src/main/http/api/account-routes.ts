// /api/v1 accounts: register, login, verify, refresh, the caller, and their tokens (also under /auth/tokens).
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services';
import { principalOf } from '../request-auth';
import { bearerSecret, bodyObject, param } from './api-request';

export function registerAccountRoutes(app: FastifyInstance, services: Services): void {
  const { api, auth } = services;

  app.post('/auth/register', async (request, reply) => {
    const { user, token } = await api.accounts.register(bodyObject(request), request.ip);
    return reply.code(201).send({ success: true, user: { id: user.id, username: user.username, email: user.email }, token });
  });

  app.post('/auth/login', async (request) => ({ success: true, ...(await api.accounts.login(bodyObject(request), request.ip)) }));

  app.post('/auth/verify', async (request) => api.accounts.verify(bodyObject(request), request.ip));

  app.post('/auth/refresh', async (request) => api.accounts.refresh(await principalOf(auth, request), bearerSecret(request)));

  for (const path of ['/auth/me', '/users/me']) {
    app.get(path, async (request) => api.accounts.me(await principalOf(auth, request)));
  }

  for (const base of ['/users/me/tokens', '/auth/tokens']) {
    app.get(base, async (request) => ({ tokens: await api.accounts.listTokens(await principalOf(auth, request)) }));
    app.post(base, async (request, reply) =>
      reply.code(201).send(await api.accounts.createToken(await principalOf(auth, request), bodyObject(request))),
    );
    app.delete(`${base}/:id`, async (request) => {
      await api.accounts.revokeToken(await principalOf(auth, request), param(request, 'id'));
      return { success: true, id: param(request, 'id') };
    });
  }
}

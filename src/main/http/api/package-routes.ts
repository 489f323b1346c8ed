// /api/v1 packages: details, versions, tarballs (counted), yank and unyank, owners and per-package statistics.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services';
import { principalOf } from '../request-auth';
import { bodyObject, param, queryOf } from './api-request';

const TAR_GZ = '.tar.gz';

export function registerApiPackageRoutes(app: FastifyInstance, services: Services): void {
  const { api, auth } = services;
  const who = (request: FastifyRequest) => principalOf(auth, request);

  const sendTarball = async (request: FastifyRequest, reply: FastifyReply, version: string) => {
    const tarball = await api.catalog.openTarball(await who(request), param(request, 'name'), version);
    return reply
      .header('Content-Type', 'application/gzip')
      .header('Content-Length', String(tarball.size))
      .header('Content-Disposition', `attachment; filename="${tarball.fileName}"`)
      .header('Cache-Control', tarball.isPublic ? 'public, max-age=300' : 'private, max-age=300')
      .send(tarball.body);
  };

  app.get('/packages/:name', async (request) => api.catalog.packageDetail(await who(request), param(request, 'name')));
  app.get('/packages/:name/versions', async (request) => api.catalog.versionList(await who(request), param(request, 'name')));
  app.get('/packages/:name/stats', async (request) => api.catalog.packageStats(await who(request), param(request, 'name')));
  app.get('/packages/:name/:version', async (request, reply) => {
    const version = param(request, 'version');
    if (version.endsWith(TAR_GZ)) return sendTarball(request, reply, version.slice(0, -TAR_GZ.length));
    return api.catalog.versionDetail(await who(request), param(request, 'name'), version);
  });
  for (const leaf of ['tarball', 'download']) {
    app.get(`/packages/:name/:version/${leaf}`, async (request, reply) => sendTarball(request, reply, param(request, 'version')));
  }

  // DELETE is a yank (reversible, lockfiles keep working); ?hard=true is an admin's outright deletion.
  app.delete('/packages/:name/:version', async (request) => {
    const principal = await who(request);
    const { hard, confirm } = queryOf(request);
    if (hard === 'true' || hard === '1') {
      await api.hardDelete(principal, param(request, 'name'), param(request, 'version'), confirm);
      return { name: param(request, 'name'), version: param(request, 'version'), deleted: true };
    }
    return api.yank(principal, param(request, 'name'), param(request, 'version'));
  });
  app.post('/packages/:name/:version/yank', async (request) =>
    api.yank(await who(request), param(request, 'name'), param(request, 'version')),
  );
  app.post('/packages/:name/:version/unyank', async (request) =>
    api.unyank(await who(request), param(request, 'name'), param(request, 'version')),
  );

  app.get('/packages/:name/owners', async (request) => api.catalog.owners(await who(request), param(request, 'name')));
  for (const method of ['PUT', 'POST'] as const) {
    app.route({
      method,
      url: '/packages/:name/owners',
      handler: async (request, reply) => {
        const added = await api.addOwner(await who(request), param(request, 'name'), bodyObject(request));
        return reply.code(201).send({ success: true, name: param(request, 'name'), ...added });
      },
    });
  }
  // Scopes: who may publish new packages into one (its first publisher; an admin grants others).
  app.get('/scopes/:scope/owners', async (request) => api.scopeOwners(param(request, 'scope')));
  for (const method of ['PUT', 'POST'] as const) {
    app.route({
      method,
      url: '/scopes/:scope/owners',
      handler: async (request, reply) =>
        reply.code(201).send(await api.grantScope(await who(request), param(request, 'scope'), bodyObject(request).username)),
    });
  }
  app.delete('/scopes/:scope/owners/:username', async (request) =>
    api.revokeScope(await who(request), param(request, 'scope'), param(request, 'username')),
  );

  app.delete('/packages/:name/owners/:username', async (request) => {
    await api.removeOwner(await who(request), param(request, 'name'), param(request, 'username'));
    return { success: true, name: param(request, 'name'), username: param(request, 'username') };
  });
}

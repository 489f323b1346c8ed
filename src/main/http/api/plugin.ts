// The /api/v1 plugin: its own error shape, rate limits, multipart uploads, the routes and the OpenAPI document.
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config/config';
import type { Services } from '../../services';
import { registerAccountRoutes } from './account-routes';
import { apiErrorHandler, sendApiError } from './api-errors';
import { registerDiscoveryRoutes } from './discovery-routes';
import { openApiDocument } from './openapi';
import { registerApiPackageRoutes } from './package-routes';
import { isPartAFile, registerPublishRoutes } from './publish-routes';
import { rateLimitHook } from './rate-limit';
import { principalOf } from '../request-auth';

export interface ApiPluginDeps {
  config: Config;
  services: Services;
  now: () => Date;
  log: { error: (message: string) => void };
}

/** Register with `{ prefix: '/api/v1' }`; fastify encapsulation keeps the error handler and multipart parser inside the API. */
export function apiPlugin(deps: ApiPluginDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    const { config, services, now } = deps;
    await app.register(multipart, {
      limits: { fileSize: config.limits.maxTarballBytes, files: 2, fields: 20, fieldSize: 1024 * 1024, parts: 24 },
      throwFileSizeLimit: true,
      isPartAFile,
    });
    app.setErrorHandler(apiErrorHandler(config.limits.maxTarballBytes, deps.log.error, config.dataDir));
    app.setNotFoundHandler((request, reply) =>
      sendApiError(reply, 404, 'not_found', `no API endpoint ${request.method} ${request.url.split('?')[0]}; see /api/v1/openapi.json`),
    );
    app.addHook(
      'onRequest',
      rateLimitHook(
        config.apiRateLimit,
        () => now().getTime(),
        (request) => principalOf(services.auth, request),
        services.auth.rateWindows,
      ),
    );
    app.addHook('onSend', async (_request, reply, payload) => {
      if (!reply.hasHeader('Cache-Control')) void reply.header('Cache-Control', 'no-store');
      return payload;
    });

    registerAccountRoutes(app, services);
    registerPublishRoutes(app, services);
    registerApiPackageRoutes(app, services);
    registerDiscoveryRoutes(app, services, now);
    app.get('/openapi.json', async () => openApiDocument());
    // Anything else under /api/v1 is the API's 404, not a package name for the npm routes' wildcard.
    app.all('/*', async (request, reply) =>
      sendApiError(reply, 404, 'not_found', `no API endpoint ${request.method} ${request.url.split('?')[0]}; see /api/v1/openapi.json`),
    );
  };
}

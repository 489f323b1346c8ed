// /api/v1 discovery: search and suggestions, trending, popular, recent, categories, user profiles, statistics, health.
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../errors';
import type { Services } from '../../services';
import { SHELF_VERSION } from '../../version';
import { principalOf } from '../request-auth';
import { param, queryOf } from './api-request';

function listLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 20;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw badRequest('limit must be a whole number, 1 or more');
  return Math.min(n, 100);
}

export function registerDiscoveryRoutes(app: FastifyInstance, services: Services, now: () => Date): void {
  const { api, auth } = services;

  app.get('/search', async (request) => api.search.find(await principalOf(auth, request), queryOf(request)));
  app.get('/search/suggest', async (request) =>
    api.search.suggest(await principalOf(auth, request), queryOf(request).q, queryOf(request).limit),
  );

  app.get('/packages/trending', async (request) => {
    const { period = 'week', limit } = queryOf(request);
    if (period !== 'week' && period !== 'month' && period !== 'all') throw badRequest('period must be week, month or all');
    return { period, packages: await api.catalog.trending(await principalOf(auth, request), period, listLimit(limit)) };
  });
  app.get('/popular', async (request) => ({
    packages: await api.catalog.trending(await principalOf(auth, request), 'all', listLimit(queryOf(request).limit)),
  }));
  app.get('/recent', async (request) => ({
    packages: await api.catalog.recent(await principalOf(auth, request), listLimit(queryOf(request).limit)),
  }));
  app.get('/categories', async () => ({ categories: await api.catalog.categories() }));
  // RavensOne's client asks /packages/categories/:category ('categories' is a reserved package name, so no clash).
  for (const path of ['/categories/:category', '/packages/categories/:category']) {
    app.get(path, async (request) => ({
      category: param(request, 'category'),
      packages: await api.catalog.category(await principalOf(auth, request), param(request, 'category')),
    }));
  }

  app.get('/users/:username', async (request) => api.catalog.userProfile(await principalOf(auth, request), param(request, 'username')));
  app.get('/stats', async (request) => api.catalog.registryStats(await principalOf(auth, request)));
  // Health touches nothing slow: no database, no disk.
  app.get('/health', async () => ({ status: 'ok', timestamp: now().toISOString(), version: SHELF_VERSION }));
}

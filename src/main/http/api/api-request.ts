// Small helpers the /api/v1 routes share: the JSON body as an object, path parameters, the bearer secret.
import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../errors';

export function bodyObject(request: FastifyRequest): Record<string, unknown> {
  const body = request.body ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body must be a JSON object');
  return body as Record<string, unknown>;
}

export function param(request: FastifyRequest, key: string): string {
  return (request.params as Record<string, string>)[key] ?? '';
}

export function queryOf(request: FastifyRequest): Record<string, string | undefined> {
  return request.query as Record<string, string | undefined>;
}

export function bearerSecret(request: FastifyRequest): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

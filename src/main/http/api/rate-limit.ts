// Rate limits for /api/v1: fixed-window budgets per client address and per token, by kind of request. Counted in memory
// on one process (SQLite), or in the shared database on several nodes (services/auth/rate-windows.ts), so a budget is
// the cluster's, not each node's.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_API_RATE_LIMIT, type ApiRateLimit } from '../../config/config';
import { ShelfError } from '../../errors';
import type { Principal } from '../../services/auth/principal';

export type Budget = 'anonymous' | 'authenticated' | 'login' | 'publish';

export interface Window {
  count: number;
  resetAt: number;
}

/** Counts one request against each key (in one round trip where that costs one); the windows after counting, in order. */
export interface WindowCounter {
  hitAll(keys: string[], windowMs: number): Window[] | Promise<Window[]>;
}

/** Counts requests per key in fixed windows; memory stays bounded by dropping finished windows. */
export class FixedWindowCounter implements WindowCounter {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly now: () => number) {}

  /** Counts one request against key; returns the window as it stands after counting. */
  hit(key: string, windowMs: number): Window {
    const at = this.now();
    let window = this.windows.get(key);
    if (!window || window.resetAt <= at) {
      window = { count: 0, resetAt: at + windowMs };
      this.windows.set(key, window);
      if (this.windows.size > 50_000) this.sweep(at);
    }
    window.count += 1;
    return window;
  }

  hitAll(keys: string[], windowMs: number): Window[] {
    return keys.map((key) => this.hit(key, windowMs));
  }

  private sweep(at: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= at) this.windows.delete(key);
  }
}

const LOGIN_ROUTES = new Set(['/api/v1/auth/login', '/api/v1/auth/register']);
const PUBLISH_ROUTES = new Set(['/api/v1/packages', '/api/v1/packages/publish']);

/**
 * The budget a request counts against. The larger 'authenticated' budget is only for a credential that is valid
 * (`authenticate` resolves it, once per request, and the route reuses the answer); a wrong, expired or malformed
 * Authorization header counts as anonymous, so making one up buys nothing.
 */
export async function budgetOf(
  request: FastifyRequest,
  authenticate: (request: FastifyRequest) => Promise<Principal | undefined>,
): Promise<Budget> {
  const route = request.routeOptions.url ?? '';
  if (request.method === 'POST' && LOGIN_ROUTES.has(route)) return 'login';
  if (request.method === 'POST' && PUBLISH_ROUTES.has(route)) return 'publish';
  if (!request.headers.authorization) return 'anonymous';
  try {
    return (await authenticate(request)) ? 'authenticated' : 'anonymous';
  } catch {
    // The route reports why the credential was refused (its 401/403/429); here it only decides the budget.
    return 'anonymous';
  }
}

/**
 * An onRequest hook: counts the request against its budget for the client address and, when it carries a
 * credential, for that credential too (so one token cannot escape its budget by changing address, nor one
 * address by rotating tokens). The headers report whichever of the two is closer to running out.
 */
export function rateLimitHook(
  config: ApiRateLimit | undefined,
  now: () => number,
  authenticate: (request: FastifyRequest) => Promise<Principal | undefined>,
  shared?: WindowCounter,
) {
  const limits = config ?? DEFAULT_API_RATE_LIMIT;
  const counter = shared ?? new FixedWindowCounter(now);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!limits.enabled) return;
    const budget = await budgetOf(request, authenticate);
    const limit = limits[budget];
    const keys = [`${budget}|ip|${request.ip}`];
    const credential = request.headers.authorization;
    // Only a digest of the credential is kept (in memory or in the database). An anonymous-budget request (no credential, or one that is
    // not valid) counts per address only, so rotating made-up credentials cannot open fresh budgets either.
    if (credential && budget !== 'anonymous') keys.push(`${budget}|cred|${createHash('sha256').update(credential).digest('base64url')}`);
    const windows = await counter.hitAll(keys, limits.windowMs);
    const tightest = windows.reduce((a, b) => (b.count > a.count || (b.count === a.count && b.resetAt > a.resetAt) ? b : a));
    const remaining = Math.max(0, limit - tightest.count);
    void reply.header('X-RateLimit-Limit', String(limit));
    void reply.header('X-RateLimit-Remaining', String(remaining));
    void reply.header('X-RateLimit-Reset', String(Math.ceil(tightest.resetAt / 1000)));
    if (tightest.count > limit) {
      const retryAfter = Math.max(1, Math.ceil((tightest.resetAt - now()) / 1000));
      throw new ShelfError(
        'rate_limit_exceeded',
        `too many ${budget === 'anonymous' ? 'anonymous' : budget} requests from this client; try again in ${retryAfter} seconds`,
        {
          retryAfter,
        },
      );
    }
  };
}

// An in-process Shelf with a client for /api/v1 that validates every response it receives against the served OpenAPI document.
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { expect } from 'vitest';
import { DEFAULT_API_RATE_LIMIT, type Config } from '../../../src/main/config/config';
import { startHarness, type Harness } from '../../helpers/app-harness';

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
  bytes: Buffer;
}

export interface ApiHarness {
  h: Harness;
  /** Calls /api/v1<path> and validates the response against the OpenAPI document. */
  api(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string; headers?: Record<string, string>; form?: FormData; raw?: string },
  ): Promise<ApiResponse>;
  /** Row counts of the API's own tables plus the foundation's snapshot: equal before and after a refusal. */
  snapshot(): Promise<Record<string, unknown>>;
  /** Creates a user through /auth/register and returns their token. */
  register(username: string, password?: string): Promise<string>;
  /** How many responses were validated so far (a guard that validation ran). */
  validated(): number;
  close(): Promise<void>;
}

type OpenApi = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
  components: unknown;
};

function templateMatcher(template: string): RegExp {
  return new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
}

export async function startApi(overrides: Partial<Config> = {}, options: { now?: () => Date } = {}): Promise<ApiHarness> {
  const h = await startHarness({ apiRateLimit: { ...DEFAULT_API_RATE_LIMIT, enabled: false }, ...overrides }, options);
  const docResponse = await fetch(`${h.url}/api/v1/openapi.json`);
  const doc = (await docResponse.json()) as OpenApi;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const compiled = new Map<string, ValidateFunction>();
  const templates = Object.keys(doc.paths)
    .map((t) => ({ t, re: templateMatcher(t), params: (t.match(/\{/g) ?? []).length }))
    .sort((a, b) => a.params - b.params);
  let count = 0;

  function validate(method: string, path: string, response: ApiResponse): void {
    const bare = path.split('?')[0]!;
    // Static segments win over parameters, as in the router.
    const candidates = templates.filter(({ t, re }) => re.test(bare) && doc.paths[t]![method.toLowerCase()]);
    expect(candidates.length, `${method} ${bare} is not in the OpenAPI document`).toBeGreaterThan(0);
    const template = candidates[0]!.t;
    const operation = doc.paths[template]![method.toLowerCase()]!;
    const documented = operation.responses[String(response.status)] ?? operation.responses.default;
    expect(documented, `${method} ${template} does not document status ${response.status}: ${JSON.stringify(response.body)}`).toBeTruthy();
    const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const content = documented!.content ?? {};
    expect(Object.keys(content), `${method} ${template} ${response.status} does not document ${type}`).toContain(type);
    if (type === 'application/json') {
      const key = `${method} ${template} ${response.status}`;
      let check = compiled.get(key);
      if (!check) {
        check = ajv.compile({ components: doc.components, allOf: [content[type]!.schema] });
        compiled.set(key, check);
      }
      const ok = check(response.body);
      expect(ok, `${key} does not match the OpenAPI document: ${ajv.errorsText(check.errors)}\n${JSON.stringify(response.body)}`).toBe(
        true,
      );
    }
    count += 1;
  }

  const harness: ApiHarness = {
    h,
    async api(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      let body: string | FormData | undefined;
      if (opts.form) body = opts.form;
      else if (opts.raw !== undefined) body = opts.raw;
      else if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${h.url}/api/v1${path}`, { method, headers, body });
      const bytes = Buffer.from(await response.arrayBuffer());
      let parsed: unknown = undefined;
      if ((response.headers.get('content-type') ?? '').includes('json') && bytes.length > 0) parsed = JSON.parse(bytes.toString('utf8'));
      const result: ApiResponse = { status: response.status, headers: response.headers, body: parsed, bytes };
      validate(method, path, result);
      return result;
    },
    async snapshot() {
      const db = h.app.services.packages.ctx.db;
      const count = async (table: string) => ((await db.get(`SELECT count(*) AS n FROM ${table}`)) as { n: number }).n;
      return {
        ...(await h.snapshot()),
        yanked: await count('yanked_versions'),
        unlisted: await count('unlisted_packages'),
        downloads: await db.get('SELECT coalesce(sum(count), 0) AS n FROM download_counts'),
        categories: await count('package_categories'),
        owner_roles: await count('owner_roles'),
        token_scopes: await count('token_api_scopes'),
        checksums: await count('version_checksums'),
      };
    },
    async register(username, password = 'correct-horse-battery') {
      const response = await harness.api('POST', '/auth/register', { body: { username, password, email: `${username}@example.test` } });
      if (response.status !== 201) throw new Error(`register failed: ${response.status} ${JSON.stringify(response.body)}`);
      return response.body.token as string;
    },
    validated: () => count,
    close: () => h.close(),
  };
  return harness;
}

/** Asserts a refusal: its status, its error code, the API's error shape, and that nothing was written. */
export async function expectRefusal(a: ApiHarness, run: () => Promise<ApiResponse>, status: number, code: string): Promise<ApiResponse> {
  const before = await a.snapshot();
  const response = await run();
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error).toBe(code);
  expect(response.body.status).toBe(status);
  expect(typeof response.body.message).toBe('string');
  expect(await a.snapshot()).toEqual(before);
  return response;
}

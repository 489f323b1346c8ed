// The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json; the tests validate every response against it.
import { SHELF_VERSION } from '../../version';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer', minimum: 0 };
const bool: Schema = { type: 'boolean' };
const nullable = (type: string): Schema => ({ type: [type, 'null'] });
const dateTime: Schema = { type: 'string', format: 'date-time' };
const arrayOf = (items: Schema): Schema => ({ type: 'array', items });
const object = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema => ({
  type: 'object',
  properties,
  required,
});

const schemas: Record<string, Schema> = {
  Error: {
    ...object(
      { error: str, message: str, status: { type: 'integer', minimum: 400, maximum: 599 }, retry_after: { type: 'integer', minimum: 1 } },
      ['error', 'message', 'status'],
    ),
    description:
      'Every refusal. error is a code: invalid_request, authentication_required, permission_denied, not_found, conflict, payload_too_large, rate_limit_exceeded or internal.',
  },
  Ecosystem: {
    enum: ['npm', 'synapse', 'vais'],
    description:
      "The archive format: npm's (package/package.json), Synapse's (synapse.json at the root) or Vais's (vais.toml at the root). Only npm packages are served through the npm protocol; the others answer it 406.",
  },
  User: object({ id: int, username: str, email: nullable('string'), is_admin: bool }),
  Token: object({
    id: str,
    name: nullable('string'),
    prefix: str,
    scopes: arrayOf({ enum: ['read', 'publish', 'yank', 'admin'] }),
    created_at: dateTime,
    expires_at: { type: ['string', 'null'], format: 'date-time' },
    last_used_at: { type: ['string', 'null'], format: 'date-time' },
  }),
  Listing: object({ name: str, version: nullable('string'), description: nullable('string'), downloads: int, updated_at: dateTime }),
  VersionSummary: object({
    version: str,
    published_at: dateTime,
    downloads: int,
    yanked: bool,
    checksum: { type: ['string', 'null'], pattern: '^[0-9a-f]{64}$' },
    size: int,
    tarball_url: { type: 'string', format: 'uri' },
  }),
  PackageDetail: object({
    name: str,
    ecosystem: ref('Ecosystem'),
    description: nullable('string'),
    author: nullable('string'),
    license: nullable('string'),
    homepage: nullable('string'),
    repository: nullable('string'),
    keywords: arrayOf(str),
    categories: arrayOf(str),
    latest_version: nullable('string'),
    owners: arrayOf(str),
    created_at: dateTime,
    updated_at: dateTime,
    versions: arrayOf(ref('VersionSummary')),
    downloads: object({ total: int, week: int, month: int }),
  }),
  VersionDetail: object({
    name: str,
    version: str,
    ecosystem: ref('Ecosystem'),
    description: nullable('string'),
    author: nullable('string'),
    license: nullable('string'),
    homepage: nullable('string'),
    repository: nullable('string'),
    keywords: arrayOf(str),
    dependencies: { type: 'object', additionalProperties: str },
    checksum: { type: ['string', 'null'], pattern: '^[0-9a-f]{64}$' },
    integrity: str,
    tarball_size: int,
    tarball_url: { type: 'string', format: 'uri' },
    published_at: dateTime,
    published_by: nullable('string'),
    deprecated: nullable('string'),
    yanked: bool,
    yanked_at: { type: ['string', 'null'], format: 'date-time' },
    downloads: int,
  }),
  SearchResult: object({
    name: str,
    version: nullable('string'),
    description: nullable('string'),
    keywords: arrayOf(str),
    author: nullable('string'),
    downloads: int,
    updated_at: dateTime,
    score: { type: 'number', minimum: 0, maximum: 1 },
  }),
  YankState: object({ name: str, version: str, yanked: bool, yanked_at: { type: ['string', 'null'], format: 'date-time' } }),
  DownloadSummary: object({
    total: int,
    last_week: int,
    last_month: int,
    last_year: int,
    daily: arrayOf(object({ date: { type: 'string', format: 'date' }, count: int })),
  }),
  PublishMetadata: {
    ...object(
      {
        name: {
          type: 'string',
          description: "^[a-z0-9][a-z0-9_-]{0,63}$ or an npm scoped name; never lower-cased for you; not one of the API's route words",
        },
        version: { type: 'string', description: 'strict semver' },
        description: str,
        author: { type: ['string', 'object'] },
        license: str,
        homepage: str,
        repository: { type: ['string', 'object'] },
        keywords: arrayOf(str),
        categories: arrayOf({ type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,49}$' }),
        dependencies: { type: 'object', additionalProperties: str },
        readme: str,
        checksum: { type: 'string', description: "the archive's sha256 in hex (as Vais's client sends it); refused when it disagrees" },
        tarball: { type: 'string', contentEncoding: 'base64', description: 'the gzipped tar archive (JSON bodies only)' },
      },
      ['name', 'version'],
    ),
  },
};

const errors = (...statuses: number[]): Record<string, Schema> =>
  Object.fromEntries(
    [...statuses, 429].map((status) => [
      String(status),
      { description: 'refused', content: { 'application/json': { schema: ref('Error') } } },
    ]),
  );

const json = (status: number, schema: Schema, description = 'success'): Record<string, Schema> => ({
  [String(status)]: { description, content: { 'application/json': { schema } } },
});

const pathParam = (name: string, description: string): Schema => ({ name, in: 'path', required: true, schema: str, description });
const queryParam = (name: string, schema: Schema, description: string): Schema => ({
  name,
  in: 'query',
  required: false,
  schema,
  description,
});
const NAME = pathParam('name', "package name; encode a scoped name's slash as %2F");
const SCOPE = pathParam('scope', 'a scope, e.g. @team');
const SCOPE_OWNERS = object({ scope: str, owners: arrayOf(object({ username: str, granted_at: str })) });
const VERSION = pathParam('version', 'exact version');
const jsonBody = (schema: Schema): Schema => ({ required: true, content: { 'application/json': { schema } } });
const bearer = [{ bearer: [] }];

function op(summary: string, responses: Record<string, Schema>, extra: Schema = {}): Schema {
  return { summary, responses, ...extra };
}

const tarball = (summary: string) =>
  op(
    summary,
    {
      '200': {
        description: 'the archive; the download is counted',
        headers: { 'Content-Disposition': { schema: str, description: 'attachment; filename="NAME-VERSION.tar.gz"' } },
        content: { 'application/gzip': { schema: { type: 'string', format: 'binary' } } },
      },
      ...errors(404),
    },
    { parameters: [NAME, VERSION] },
  );

const listOf = (summary: string, parameters: Schema[] = []) =>
  op(summary, { ...json(200, object({ packages: arrayOf(ref('Listing')) }, ['packages'])), ...errors(400) }, { parameters });

const LIMIT = queryParam('limit', { type: 'integer', minimum: 1 }, 'at most 100');

const paths: Record<string, Record<string, Schema>> = {
  '/auth/register': {
    post: op(
      'Create an account',
      {
        ...json(201, object({ success: { const: true }, user: object({ id: int, username: str, email: nullable('string') }), token: str })),
        ...errors(400, 403, 409),
      },
      {
        requestBody: jsonBody(
          object(
            { username: { type: 'string', pattern: '^[A-Za-z0-9_-]{3,32}$' }, password: { type: 'string', minLength: 8 }, email: str },
            ['username', 'password'],
          ),
        ),
      },
    ),
  },
  '/auth/login': {
    post: op(
      'Log in with a username or email',
      { ...json(200, object({ success: { const: true }, token: str, expires_at: dateTime, user: ref('User') })), ...errors(400, 401) },
      {
        requestBody: jsonBody({ type: 'object', properties: { username: str, email: str, password: str }, required: ['password'] }),
      },
    ),
  },
  '/auth/verify': {
    post: op(
      'Check a token',
      {
        ...json(200, { oneOf: [object({ valid: { const: true }, user: ref('User') }), object({ valid: { const: false } })] }),
        ...errors(400),
      },
      {
        requestBody: jsonBody(object({ token: str })),
      },
    ),
  },
  '/auth/refresh': {
    post: op(
      'Replace the calling token with a new secret that keeps its scopes, address ranges and expiry',
      { ...json(200, object({ token: str, expires_at: { type: ['string', 'null'], format: 'date-time' } })), ...errors(401) },
      { security: bearer },
    ),
  },
  '/auth/me': { get: op('The caller', { ...json(200, ref('Me')), ...errors(401) }, { security: bearer }) },
  '/users/me': { get: op('The caller', { ...json(200, ref('Me')), ...errors(401) }, { security: bearer }) },
  '/packages': {
    post: op(
      'Publish a version',
      { ...json(201, ref('PublishResult')), ...errors(400, 401, 403, 409, 413) },
      { security: bearer, requestBody: { $ref: '#/components/requestBodies/PublishBody' } },
    ),
  },
  '/packages/publish': {
    post: op(
      'Publish a version (alias)',
      { ...json(201, ref('PublishResult')), ...errors(400, 401, 403, 409, 413) },
      { security: bearer, requestBody: { $ref: '#/components/requestBodies/PublishBody' } },
    ),
  },
  '/packages/trending': {
    get: op(
      'Most downloaded in a period',
      { ...json(200, object({ period: { enum: ['week', 'month', 'all'] }, packages: arrayOf(ref('Listing')) })), ...errors(400) },
      {
        parameters: [queryParam('period', { enum: ['week', 'month', 'all'] }, 'default week'), LIMIT],
      },
    ),
  },
  '/packages/{name}': { get: op('A package', { ...json(200, ref('PackageDetail')), ...errors(404) }, { parameters: [NAME] }) },
  '/packages/{name}/versions': {
    get: op(
      'Its versions in semver order',
      { ...json(200, object({ name: str, versions: arrayOf(str) })), ...errors(404) },
      { parameters: [NAME] },
    ),
  },
  '/packages/{name}/stats': {
    get: op(
      'Its downloads and dependents',
      {
        ...json(200, object({ name: str, downloads: ref('DownloadSummary'), versions_count: int, dependents_count: int })),
        ...errors(404),
      },
      {
        parameters: [NAME],
      },
    ),
  },
  '/packages/{name}/{version}': {
    get: op(
      'One version (a version ending in .tar.gz is its archive, as at .../tarball)',
      {
        '200': {
          description: 'the version, or its archive for .tar.gz',
          content: {
            'application/json': { schema: ref('VersionDetail') },
            'application/gzip': { schema: { type: 'string', format: 'binary' } },
          },
        },
        ...errors(404),
      },
      { parameters: [NAME, VERSION] },
    ),
    delete: op(
      'Yank a version; with hard=true and confirm=NAME@VERSION an admin deletes it outright',
      {
        ...json(200, { oneOf: [ref('YankState'), object({ name: str, version: str, deleted: { const: true } })] }),
        ...errors(400, 401, 403, 404, 409),
      },
      {
        security: bearer,
        parameters: [
          NAME,
          VERSION,
          queryParam('hard', { enum: ['true', '1'] }, 'delete instead of yank (admins)'),
          queryParam('confirm', str, 'NAME@VERSION'),
        ],
      },
    ),
  },
  '/packages/{name}/{version}/tarball': { get: tarball('Download the archive') },
  '/packages/{name}/{version}/download': { get: tarball('Download the archive (alias)') },
  '/packages/{name}/{version}/yank': {
    post: op(
      'Yank a version',
      { ...json(200, ref('YankState')), ...errors(401, 403, 404) },
      { security: bearer, parameters: [NAME, VERSION] },
    ),
  },
  '/packages/{name}/{version}/unyank': {
    post: op(
      'Undo a yank',
      { ...json(200, ref('YankState')), ...errors(401, 403, 404) },
      { security: bearer, parameters: [NAME, VERSION] },
    ),
  },
  '/packages/{name}/owners': {
    get: op(
      'Its owners',
      {
        ...json(200, object({ owners: arrayOf(object({ username: str, user_id: int, role: { enum: ['owner', 'maintainer'] } })) })),
        ...errors(404),
      },
      { parameters: [NAME] },
    ),
    put: op(
      'Add an owner',
      { ...json(201, ref('OwnerAdded')), ...errors(400, 401, 403, 404) },
      { security: bearer, parameters: [NAME], requestBody: jsonBody(ref('OwnerRequest')) },
    ),
    post: op(
      'Add an owner',
      { ...json(201, ref('OwnerAdded')), ...errors(400, 401, 403, 404) },
      { security: bearer, parameters: [NAME], requestBody: jsonBody(ref('OwnerRequest')) },
    ),
  },
  '/packages/{name}/owners/{username}': {
    delete: op(
      'Remove an owner',
      { ...json(200, object({ success: { const: true }, name: str, username: str })), ...errors(400, 401, 403, 404) },
      {
        security: bearer,
        parameters: [NAME, pathParam('username', 'the owner to remove')],
      },
    ),
  },
  '/scopes/{scope}/owners': {
    get: op(
      'Who may publish new packages into a scope (its first publisher, and whom an admin granted it)',
      { ...json(200, SCOPE_OWNERS), ...errors(400) },
      { parameters: [SCOPE] },
    ),
    put: op(
      'Grant a scope to a user (admins only)',
      { ...json(201, SCOPE_OWNERS), ...errors(400, 401, 403, 404) },
      { security: bearer, parameters: [SCOPE], requestBody: jsonBody(object({ username: str })) },
    ),
    post: op(
      'Grant a scope to a user (admins only)',
      { ...json(201, SCOPE_OWNERS), ...errors(400, 401, 403, 404) },
      { security: bearer, parameters: [SCOPE], requestBody: jsonBody(object({ username: str })) },
    ),
  },
  '/scopes/{scope}/owners/{username}': {
    delete: op(
      'Take a scope back from a user (admins only)',
      { ...json(200, SCOPE_OWNERS), ...errors(400, 401, 403, 404) },
      { security: bearer, parameters: [SCOPE, pathParam('username', 'the user to take the scope from')] },
    ),
  },
  '/search': {
    get: op(
      'Search packages',
      {
        ...json(
          200,
          object({ results: arrayOf(ref('SearchResult')), packages: arrayOf(ref('SearchResult')), total: int, limit: int, offset: int }),
        ),
        ...errors(400),
      },
      {
        parameters: [
          queryParam('q', str, 'words (ANDed), "phrases", -excluded, a OR b, keywords:, author:, maintainer:, scope:; empty lists all'),
          queryParam('limit', { type: 'integer', minimum: 1 }, 'default 20, at most 100'),
          queryParam('offset', { type: 'integer', minimum: 0 }, 'default 0'),
          queryParam('sort', { enum: ['relevance', 'downloads', 'newest', 'name'] }, 'default relevance'),
          queryParam('keyword', str, 'only packages with this keyword'),
          queryParam('category', str, 'only packages in this category'),
        ],
      },
    ),
  },
  '/search/suggest': {
    get: op(
      'Names starting with a prefix',
      {
        ...json(
          200,
          object({
            suggestions: arrayOf(object({ name: str, version: nullable('string'), description: nullable('string'), downloads: int })),
          }),
        ),
        ...errors(400),
      },
      { parameters: [queryParam('q', str, 'prefix'), LIMIT] },
    ),
  },
  '/categories': {
    get: op('Categories and how many packages each holds', {
      ...json(200, object({ categories: arrayOf(object({ name: str, count: int })) })),
      ...errors(),
    }),
  },
  '/categories/{category}': {
    get: op(
      'Packages in a category',
      { ...json(200, object({ category: str, packages: arrayOf(ref('Listing')) })), ...errors() },
      { parameters: [pathParam('category', 'category')] },
    ),
  },
  '/packages/categories/{category}': {
    get: op(
      'Packages in a category (the path RavensOne clients use)',
      { ...json(200, object({ category: str, packages: arrayOf(ref('Listing')) })), ...errors() },
      { parameters: [pathParam('category', 'category')] },
    ),
  },
  '/popular': { get: listOf('Most downloaded of all time', [LIMIT]) },
  '/recent': { get: listOf('Most recently changed', [LIMIT]) },
  '/users/{username}': {
    get: op(
      'A user (never their email)',
      {
        ...json(
          200,
          object({
            username: str,
            joined_at: dateTime,
            packages: arrayOf(object({ name: str, version: nullable('string'), downloads: int })),
            total_downloads: int,
          }),
        ),
        ...errors(404),
      },
      { parameters: [pathParam('username', 'user name')] },
    ),
  },
  '/stats': {
    get: op('Registry totals', {
      ...json(
        200,
        object({
          timestamp: dateTime,
          packages: object({ total: int, versions: int, downloads: int }),
          users: int,
          top_packages: arrayOf(object({ name: str, downloads: int })),
        }),
      ),
      ...errors(),
    }),
  },
  '/health': { get: op('Liveness', { ...json(200, object({ status: { const: 'ok' }, timestamp: dateTime, version: str })), ...errors() }) },
  '/openapi.json': { get: op('This document', { ...json(200, { type: 'object', required: ['openapi', 'paths'] }), ...errors() }) },
};

for (const base of ['/users/me/tokens', '/auth/tokens']) {
  paths[base] = {
    get: op(
      'Your tokens (never their secrets)',
      { ...json(200, object({ tokens: arrayOf(ref('Token')) })), ...errors(401) },
      { security: bearer },
    ),
    post: op(
      'Create a token; the secret is shown only here',
      { ...json(201, { allOf: [ref('Token'), object({ token: str })] }), ...errors(400, 401, 403) },
      {
        security: bearer,
        requestBody: jsonBody({
          type: 'object',
          properties: {
            name: str,
            scopes: arrayOf({ enum: ['read', 'publish', 'yank', 'admin'] }),
            expires_in_days: { type: 'integer', minimum: 1, maximum: 3650 },
          },
          required: ['name'],
        }),
      },
    ),
  };
  paths[`${base}/{id}`] = {
    delete: op(
      'Revoke a token',
      { ...json(200, object({ success: { const: true }, id: str })), ...errors(401, 403, 404) },
      { security: bearer, parameters: [pathParam('id', 'token id')] },
    ),
  };
}

Object.assign(schemas, {
  Me: {
    allOf: [ref('User'), object({ created_at: dateTime, packages: arrayOf(str), tokens: arrayOf(ref('Token')) })],
  },
  PublishResult: object({
    success: { const: true },
    name: str,
    version: str,
    checksum: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    package: object({ id: int, name: str, version: str, published_at: dateTime, url: { type: 'string', format: 'uri' } }),
    download_url: { type: 'string', format: 'uri' },
  }),
  OwnerRequest: object({ username: str, role: { enum: ['owner', 'maintainer'] } }, ['username']),
  OwnerAdded: object({ success: { const: true }, name: str, username: str, role: { enum: ['owner', 'maintainer'] } }),
});

const document = {
  openapi: '3.1.0',
  info: {
    title: 'Shelf REST API',
    version: SHELF_VERSION,
    description:
      "Shelf's own JSON API beside the npm protocol; the same packages through either door. Rate limits: every response carries X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (epoch seconds); a 429 carries Retry-After and retry_after.",
  },
  servers: [{ url: '/api/v1' }],
  paths,
  components: {
    schemas,
    requestBodies: {
      PublishBody: {
        required: true,
        content: {
          'application/json': { schema: { allOf: [ref('PublishMetadata'), { required: ['tarball'] }] } },
          'multipart/form-data': {
            schema: {
              type: 'object',
              properties: {
                metadata: ref('PublishMetadata'),
                tarball: {
                  type: 'string',
                  format: 'binary',
                  description:
                    "the archive (npm's .tgz, or a gzipped tar with synapse.json or vais.toml at its root); also accepted as 'archive' or 'package', with or without a filename. The metadata part may be typed application/json, or replaced by plain name, version, … fields",
                },
              },
              required: ['metadata', 'tarball'],
            },
          },
        },
      },
    },
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
  },
};

export function openApiDocument(): typeof document {
  return document;
}

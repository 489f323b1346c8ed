// The REST API's rules for package names: lower-case letters, digits, '-' and '_' (or an npm scoped name), never route words.
import validateName from 'validate-npm-package-name';
import { badRequest } from '../../errors';

const UNSCOPED = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Words that are also path segments under /api/v1/packages; a package with one of these names could not be addressed. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'versions',
  'owners',
  'stats',
  'trending',
  'categories',
  'publish',
  'yank',
  'unyank',
]);

export function assertApiPackageName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '') throw badRequest('name is required: the package name, e.g. "my-package"');
  if (RESERVED_NAMES.has(name))
    throw badRequest(`'${name}' is reserved by the API's routes and cannot be a package name; choose another name`);
  if (name.startsWith('@')) {
    if (!validateName(name).validForNewPackages || !/^@[a-z0-9][a-z0-9._~-]*\/[a-z0-9][a-z0-9._~-]*$/.test(name)) {
      throw badRequest(`invalid scoped package name '${name}': write @scope/name in lower case`);
    }
    return;
  }
  if (!UNSCOPED.test(name)) {
    const hint = name.toLowerCase() !== name ? ` (names are lower case; did you mean '${name.toLowerCase()}'?)` : '';
    throw badRequest(
      `invalid package name '${name}': use 1 to 64 lower-case letters, digits, '-' or '_', starting with a letter or digit${hint}`,
    );
  }
}

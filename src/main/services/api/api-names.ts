// The REST API's rules for package names: lower-case letters, digits, '-' and '_' (or an npm scoped name), never route words.
import validateName from 'validate-npm-package-name';
import { badRequest } from '../../errors';
import { assertNotReservedName } from '../packages/names';

const UNSCOPED = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function assertApiPackageName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '') throw badRequest('name is required: the package name, e.g. "my-package"');
  assertNotReservedName(name);
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

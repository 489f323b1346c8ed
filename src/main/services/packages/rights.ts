// Who may do what to a package: the one table every door (npm protocol, /api/v1, the UI's calls) is checked against.
// Services call `authorize` before they change anything; routes and RPC handlers carry no rules of their own.
import { forbidden } from '../../errors';
import { roleOf } from '../../storage/db/owner-roles';
import { findPackage, isMaintainer, type PackageRow } from '../../storage/db/packages';
import { tokenScopesByKey } from '../../storage/db/token-scopes';
import { requireScope, requireUser, type Principal } from '../auth/principal';
import { readablePackage, type PackageContext } from './context';

/**
 * A caller's role for one package. 'owner' and 'maintainer' are the package's people (the maintainers table, with the
 * role the REST API records; npm's `owner add` makes owners); 'user' is anyone else who is signed in.
 */
export type Role = 'admin' | 'owner' | 'maintainer' | 'user';

export type Action =
  | 'publish-new-package'
  | 'publish-version'
  | 'deprecate'
  | 'dist-tag'
  | 'yank'
  | 'unpublish-version'
  | 'unpublish-package'
  | 'change-owners'
  | 'change-access'
  | 'grant-scope';

export interface Right {
  /** The roles that may do it; nobody else may, whatever the door. */
  roles: readonly Role[];
  /** What the credential must allow besides the role ('yank' also accepts a token created with the narrower yank scope). */
  credential: 'publish' | 'yank' | 'admin';
  /** How the refusal names it: "… so you cannot <verb>". */
  verb: string;
}

/** THE rights table (docs/SECURITY.md shows it as written here). */
export const RIGHTS: Readonly<Record<Action, Right>> = {
  // Namespace rules still apply: a scope's new packages are for its owners (namespaces.ts), a just-unpublished name for its former owners.
  'publish-new-package': { roles: ['admin', 'user'], credential: 'publish', verb: 'publish a new package' },
  'publish-version': { roles: ['admin', 'owner', 'maintainer'], credential: 'publish', verb: 'publish new versions of it' },
  deprecate: { roles: ['admin', 'owner', 'maintainer'], credential: 'publish', verb: 'deprecate its versions' },
  'dist-tag': { roles: ['admin', 'owner', 'maintainer'], credential: 'publish', verb: 'change its dist-tags' },
  yank: { roles: ['admin', 'owner', 'maintainer'], credential: 'yank', verb: 'yank or unyank its versions' },
  'unpublish-version': { roles: ['admin', 'owner'], credential: 'publish', verb: 'unpublish its versions' },
  'unpublish-package': { roles: ['admin', 'owner'], credential: 'publish', verb: 'unpublish the whole package' },
  'change-owners': { roles: ['admin', 'owner'], credential: 'publish', verb: 'change its owners and maintainers' },
  'change-access': { roles: ['admin', 'owner'], credential: 'publish', verb: 'change its access' },
  'grant-scope': { roles: ['admin'], credential: 'admin', verb: 'grant a scope to other users' },
};

/** The caller's role for a package (undefined: the package does not exist yet). */
export async function roleFor(ctx: PackageContext, principal: Principal, pkg: PackageRow | undefined): Promise<Role> {
  if (principal.user.isAdmin) return 'admin';
  if (!pkg || !(await isMaintainer(ctx.db, pkg.id, principal.user.id))) return 'user';
  return roleOf(ctx.db, pkg.id, principal.user.id);
}

/** Whether the table lets `role` do `action` (the pure part, also what the property test checks against). */
export function allows(role: Role, action: Action): boolean {
  return RIGHTS[action].roles.includes(role);
}

async function requireCredential(ctx: PackageContext, principal: Principal | undefined, right: Right): Promise<Principal> {
  if (right.credential !== 'yank') return requireScope(principal, right.credential, right.verb);
  const p = requireUser(principal, right.verb);
  if (p.scope === 'publish' || p.scope === 'admin') return p;
  if (p.tokenKey && (await tokenScopesByKey(ctx.db, p.tokenKey))?.includes('yank')) return p;
  throw forbidden(`this token is read-only and cannot ${right.verb}; use a token with the publish or yank scope`);
}

function refusal(name: string, role: Role, action: Action): Error {
  const { verb, roles } = RIGHTS[action];
  if (role === 'user') {
    return forbidden(
      `you are not a maintainer of '${name}', so you cannot ${verb}; ask one of its owners (\`npm owner ls ${name}\`) to add you`,
    );
  }
  const people = roles
    .filter((r) => r === 'owner' || r === 'maintainer')
    .map((r) => `${r}s`)
    .join(' and ');
  return forbidden(
    `you are a ${role} of '${name}', and only its ${people} (or an admin) may ${verb}; ask one of its owners (\`npm owner ls ${name}\`)`,
  );
}

/**
 * Checks the credential and the caller's role against the table for an existing package the caller can see
 * (a restricted package stays a 404 to outsiders). Returns the package and the signed-in caller.
 */
export async function authorize(
  ctx: PackageContext,
  principal: Principal | undefined,
  action: Action,
  name: string,
): Promise<{ pkg: PackageRow; principal: Principal; role: Role }> {
  const p = await requireCredential(ctx, principal, RIGHTS[action]);
  const pkg = await readablePackage(ctx, name, p);
  const role = await roleFor(ctx, p, pkg);
  if (!allows(role, action)) throw refusal(name, role, action);
  return { pkg, principal: p, role };
}

/** The publish check, for a package that may not exist yet: a new version needs the package's people, a new package anyone. */
export async function authorizePublish(
  ctx: PackageContext,
  principal: Principal,
  name: string,
): Promise<{ pkg: PackageRow | undefined; role: Role }> {
  const pkg = await findPackage(ctx.db, name);
  const action: Action = pkg ? 'publish-version' : 'publish-new-package';
  await requireCredential(ctx, principal, RIGHTS[action]);
  const role = await roleFor(ctx, principal, pkg);
  if (!allows(role, action)) {
    // Publishing never reveals a restricted package to someone who cannot read it, but the name is taken either way.
    if (role === 'user') {
      throw forbidden(
        `you are not a maintainer of '${name}', so you cannot publish it; ask one of its maintainers to add you with \`npm owner add\``,
      );
    }
    throw refusal(name, role, action);
  }
  return { pkg, role };
}

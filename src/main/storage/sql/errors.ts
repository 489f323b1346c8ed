// What a failed statement means, the same way for both adapters: SQLite names its constraint errors
// (SQLITE_CONSTRAINT_UNIQUE), PostgreSQL gives an SQLSTATE (23505), and services only ask which rule was broken.

const codeOf = (error: unknown): string | undefined => (error as { code?: unknown } | null)?.code as string | undefined;

/** A UNIQUE or PRIMARY KEY constraint refused the row (e.g. a name taken by a concurrent insert). */
export function isUniqueViolation(error: unknown): boolean {
  const code = codeOf(error);
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** A FOREIGN KEY constraint refused the row (e.g. the package it points at was deleted meanwhile). */
export function isForeignKeyViolation(error: unknown): boolean {
  const code = codeOf(error);
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}

// How a database URL is shown: never with its password (banners, logs, error messages).

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`, for logs and `shelf serve`'s banner. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable database URL>';
  }
}

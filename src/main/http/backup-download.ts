// Browser mode's download of a backup the admin made from the Settings screen: GET /-/shelf/backups/<name>, answered for
// a signed-in admin only. The session cookie is scoped to /-/shelf/, so the page's own link carries it.
import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services';
import type { UiSessionStore } from './ui-session';

/** Must match BACKUP_DOWNLOAD_PATH in src/shared/contract.ts (not imported: the contract builds every zod schema). */
export const BACKUP_DOWNLOAD_PATH = '/-/shelf/backups';

export function registerBackupDownload(
  app: FastifyInstance,
  deps: { sessions: UiSessionStore; services: Pick<Services, 'auth'>; dataDir: string },
): void {
  app.get<{ Params: { name: string } }>(`${BACKUP_DOWNLOAD_PATH}/:name`, async (request, reply) => {
    reply.header('Cache-Control', 'no-store');
    const userId = await deps.sessions.userOf(request);
    const user = userId === undefined ? undefined : await deps.services.auth.getUser(userId);
    if (!user) return reply.code(401).send({ error: 'sign in to Shelf as an admin to download a backup' });
    if (!user.isAdmin) return reply.code(403).send({ error: "only an admin may download backups; ask the registry's admin" });
    // Loaded on first use: the backup service brings tar and the manifest's schema, which start-up does not need.
    const { backupDownload } = await import('../services/backup/ui-backup');
    const { path, size } = backupDownload(deps.dataDir, request.params.name);
    return reply
      .header('Content-Type', 'application/gzip')
      .header('Content-Length', size)
      .header('Content-Disposition', `attachment; filename="${request.params.name}"`)
      .header('X-Content-Type-Options', 'nosniff')
      .send(createReadStream(path));
  });
}

// The Verdaccio import as Settings offers it: run in the desktop app (paths on this machine), named as the command to
// run in browser mode, where the page cannot pick folders on the server.
import { isAbsolute } from 'node:path';
import { badRequest } from '../../errors';
import type { PackageContext } from '../packages/context';
import { importVerdaccio, readVerdaccioSource, type ImportSummary } from './verdaccio-import';

export interface UiImportOptions {
  mode: 'desktop' | 'browser';
  dataDir: string;
  storageDir: string;
  htpasswd?: string;
  config?: string;
  owner?: string;
}

/** The exact command for this Shelf's data folder. */
export function verdaccioImportCommand(dataDir: string): string {
  return `shelf import verdaccio <storage folder> --htpasswd <htpasswd file> --config <config.yaml> --data-dir ${dataDir}`;
}

export async function importVerdaccioFromUi(ctx: PackageContext, options: UiImportOptions): Promise<ImportSummary> {
  if (options.mode === 'browser') {
    throw badRequest(
      `importing from Verdaccio is done on the machine Shelf runs on, from a terminal: ${verdaccioImportCommand(options.dataDir)}`,
    );
  }
  const paths = [options.storageDir, options.htpasswd, options.config].filter((p): p is string => p !== undefined);
  if (paths.some((p) => !isAbsolute(p))) throw badRequest('give full paths for the storage folder, the htpasswd file and config.yaml');
  const source = readVerdaccioSource({ storageDir: options.storageDir, htpasswdFile: options.htpasswd, configFile: options.config });
  return importVerdaccio(ctx, source, { owner: options.owner, dataDir: options.dataDir });
}

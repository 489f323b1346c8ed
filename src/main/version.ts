// Shelf's own version, from package.json (bundled at build time).
import packageJson from '../../package.json';

export const SHELF_VERSION: string = packageJson.version;

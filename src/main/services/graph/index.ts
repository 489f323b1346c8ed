// The graph screen's service: a resolved project or package, a lockfile read as it is, two lockfiles compared.
export { resolveGraph, graphUploadFiles, type GraphTarget } from './resolve-graph';
export { lockfileGraph } from './lockfile-graph';
export { compareLocks } from './compare-locks';

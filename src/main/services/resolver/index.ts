// The resolver's public face: resolve a project, write or check its lockfile, explain and fix failures, report on the tree.
export { RegistryClient, type RegistryClientOptions, type FetchLike, type CachePolicy } from './registry-client';
export { resolveProject } from './resolve';
export { loadProject, readManifest } from './project';
export { buildLockfile, renderLockfile, serializeLockfile, type Lockfile } from './lockfile-write';
export { readLockfile, parseLockfile, type ParsedLock } from './lockfile-read';
export { checkLockfile } from './lockfile-check';
export { ResolutionFailure, type Conflict } from './failure';
export { explainConflict } from './explain';
export { findVerifiedFixes, type VerifiedFix } from './fixes';
export type { Node, Edge, EdgeType, ResolvedGraph, ResolveOptions, Manifest, Packument, Choice } from './types';
export { installFromLockfile, type InstallReport } from './install';
export { TarballCache } from './tarball-cache';
export { whyReport, treeReport, duplicatesReport, type WhyCopy, type DuplicateReport, type TreeLine } from './reports';

// Types for npm-packlist, which ships none: it takes an Arborist-like tree and resolves to the package's file paths.
declare module 'npm-packlist' {
  interface PackTree {
    path: string;
    package: Record<string, unknown>;
    isProjectRoot?: boolean;
    edgesOut: Map<string, unknown>;
    workspaces?: Map<string, string>;
  }
  function packlist(tree: PackTree, options?: { path?: string }): Promise<string[]>;
  export default packlist;
}

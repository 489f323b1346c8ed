// spdx-expression-parse (npm's own dependency, through normalize-package-data) ships no types.
declare module 'spdx-expression-parse' {
  type SpdxNode = { license: string; plus?: boolean; exception?: string } | { left: SpdxNode; conjunction: 'and' | 'or'; right: SpdxNode };
  function parse(expression: string): SpdxNode;
  export = parse;
}

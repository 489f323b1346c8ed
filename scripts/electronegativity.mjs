// Part of `npm run lint`: electronegativity over src/, failing on any HIGH or MEDIUM finding that the code does not
// justifies in place: a trailing `// eng-disable CHECK_ID` on the flagged line, with the reason in a comment above it.
// Usage: node scripts/electronegativity.mjs [folder]   (default: src)
//
// Two adjustments keep it working without network access:
// - the Electron version is read from node_modules/electron instead of letting the tool guess (it would assume v0.1.0
//   and report defaults that changed years ago);
// - AvailableSecurityFixesGlobalCheck is left out: it downloads Electron's release list to say whether a newer patch
//   exists. That question is answered by `npm outdated electron` / `npm audit`, not by reading our sources.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const run = require('@doyensec/electronegativity');

const FAILING = new Set(['HIGH', 'MEDIUM']);
const OFFLINE_EXCLUDED = ['AvailableSecurityFixesGlobalCheck'];

const electronVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules/electron/package.json'), 'utf8')).version;
const result = await run({
  input: process.argv[2] ? resolve(process.argv[2]) : join(ROOT, 'src'),
  excludeFromScan: OFFLINE_EXCLUDED.map((check) => check.toLowerCase()),
  electronVersionOverride: electronVersion,
  isRelative: true,
  isVerbose: false,
  parserPlugins: [],
});

if (result.errors.length > 0) {
  for (const error of result.errors)
    console.error(`electronegativity could not parse ${error.file}: ${error.message ?? error.error ?? ''}`);
  process.exit(1);
}
const severityOf = (issue) => String(issue.severity?.name ?? issue.severity).toUpperCase();
const failing = result.issues.filter((issue) => FAILING.has(severityOf(issue)));
for (const issue of result.issues) {
  const where = `${issue.file}:${issue.location.line}:${issue.location.column}`;
  console.log(`${severityOf(issue).padEnd(13)} ${issue.id}  ${where}  ${issue.description}`);
}
console.log(
  `electronegativity (Electron ${electronVersion}, ${result.atomicChecks + result.globalChecks} checks): ` +
    `${result.issues.length} finding(s), ${failing.length} HIGH/MEDIUM without a justification in the code`,
);
if (failing.length > 0) process.exit(1);

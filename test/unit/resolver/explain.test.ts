import { describe, expect, it } from 'vitest';
import { explainConflict, findVerifiedFixes, resolveProject, ResolutionFailure } from '../../../src/main/services/resolver';
import type { Manifest, ProjectInput } from '../../../src/main/services/resolver/types';
import { fakeClient, type FixturePackages } from './fake-registry';

const packages: FixturePackages = {
  scripts: {
    versions: {
      '4.0.0': { peerDependencies: { typescript: '^3.2.1 || ^4' } },
      '5.0.0': { peerDependencies: { typescript: '^3.2.1 || ^4' } },
      '6.0.0': { peerDependencies: { typescript: '^4 || ^5' } },
    },
    tags: { latest: '5.0.0' },
  },
  typescript: { versions: { '4.9.5': {}, '5.4.2': {} } },
  needy: {
    versions: { '1.0.0': { dependencies: { gone: '^9.0.0' } }, '0.9.0': { dependencies: { gone: '^1.0.0' } } },
    tags: { latest: '1.0.0' },
  },
  gone: { versions: { '1.0.0': {}, '1.1.0': {} } },
};

async function failure(root: Partial<Manifest>) {
  const project: ProjectInput = { dir: '/p', manifest: { name: 'app', version: '1.0.0', ...root } as Manifest, workspaces: [] };
  const client = fakeClient(packages);
  const error = await resolveProject(project, client).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ResolutionFailure);
  const conflict = (error as ResolutionFailure).conflict;
  return { project, client, conflict, sentences: explainConflict(conflict) };
}

describe('explanations of failed resolutions', () => {
  it('explains a peer conflict from the root down to the contradiction, and offers only fixes that resolve', async () => {
    const { sentences, project, client, conflict } = await failure({ dependencies: { scripts: '5.0.0', typescript: '^5.4.0' } });
    expect(sentences).toEqual([
      'Your project has scripts "5.0.0" as a dependency, which resolved to scripts@5.0.0.',
      'Because your project needs typescript "^5.4.0" as a dependency, typescript@5.4.2 is installed at node_modules/typescript, where every package below it shares it.',
      'Because scripts@5.0.0 needs typescript "^3.2.1 || ^4" as a peer (a package it expects you to install once and share) (it sits at node_modules/scripts), and 5.4.2 does not satisfy "^3.2.1 || ^4", no version of typescript satisfies both, so resolution fails.',
    ]);
    const fixes = await findVerifiedFixes(project, conflict, client, {});
    expect(fixes.map((f) => f.summary)).toEqual([
      'change your dependencies range for typescript from "^5.4.0" to "^4.9.5", which scripts@5.0.0 accepts',
      'upgrade scripts 6.0.0 instead of 5.0.0',
    ]);
    // scripts 4.0.0 was a candidate too, but it has the same peer range, so resolving with it fails and it is not offered.
    expect(fixes[1]!.diff).toEqual(['- "scripts": "5.0.0"', '+ "scripts": "6.0.0"']);
    // Every offered fix was proven: resolving with it applied succeeds.
    for (const fix of fixes) expect(fix.packages).toBeGreaterThan(0);
  });

  it('explains a range nothing satisfies, naming the dependent, its location and the versions that exist', async () => {
    const { sentences, project, client, conflict } = await failure({ dependencies: { needy: '^1.0.0' } });
    expect(sentences).toEqual([
      'Your project has needy "^1.0.0" as a dependency, which resolved to needy@1.0.0.',
      'Because needy@1.0.0 needs gone "^9.0.0" as a dependency (it sits at node_modules/needy), and the registry has these versions of gone: 1.0.0, 1.1.0, no version of gone satisfies "^9.0.0", so resolution fails.',
    ]);
    const fixes = await findVerifiedFixes(project, conflict, client, {});
    expect(fixes.map((f) => f.summary)).toEqual([
      'add an override so every package gets gone@1.1.0',
      'use the older needy 0.9.0 instead of 1.0.0',
    ]);
  });
});

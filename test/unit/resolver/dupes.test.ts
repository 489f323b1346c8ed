// The duplicates report: when no single version fits, it proposes moving the outlying dependent, verified by resolving again.
import { describe, expect, it } from 'vitest';
import { duplicatesReport } from '../../../src/main/services/resolver/reports';
import { resolveProject } from '../../../src/main/services/resolver/resolve';
import type { Manifest, ProjectInput } from '../../../src/main/services/resolver/types';
import { fakeClient } from './fake-registry';

describe('dupes', () => {
  it('suggests moving the dependent that holds the odd copy to a version whose range accepts the common one', async () => {
    const client = fakeClient({
      a: { versions: { '1.0.0': { dependencies: { shared: '^1.0.0' } } } },
      c: { versions: { '1.0.0': { dependencies: { b: '^1.0.0', shared: '^1.0.0' } } } },
      // latest is b@1.0.0, which wants shared 2; b@1.1.0 went back to shared 1.
      b: {
        versions: { '1.0.0': { dependencies: { shared: '^2.0.0' } }, '1.1.0': { dependencies: { shared: '^1.0.0' } } },
        tags: { latest: '1.0.0' },
      },
      shared: { versions: { '1.4.0': {}, '2.0.0': {} } },
    });
    const project: ProjectInput = {
      dir: '/p',
      manifest: { name: 'root', version: '1.0.0', dependencies: { a: '^1.0.0', c: '^1.0.0' } } as Manifest,
      workspaces: [],
    };
    const graph = await resolveProject(project, client);
    const [report] = await duplicatesReport(graph, project, client);
    expect(report!.name).toBe('shared');
    expect(report!.blocker).toContain('no published version of shared satisfies every range');
    expect(report!.fix).toMatchObject({ overrides: { b: '1.1.0' }, verified: true });
    expect(report!.fix!.summary).toMatch(/^move b from 1\.0\.0 to 1\.1\.0, whose range accepts shared@1\.4\.0/);
    const again = await resolveProject(project, client, { extraOverrides: report!.fix!.overrides });
    expect([...again.nodes.values()].filter((n) => n.packageName === 'shared').map((n) => n.version)).toEqual(['1.4.0']);
  });
});

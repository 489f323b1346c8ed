// Publishes of one version racing each other on one server: the loser whose tarball was already stored when the winner
// committed (it passed the first freshness check before the winner's row existed) must not leave that tarball behind.
// test/team/multi-node.test.ts races the same publishes over three nodes on PostgreSQL and S3.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTarball, publishBody, startHarness, type Harness } from '../helpers/app-harness';

describe('concurrent publishes of one version', () => {
  let h: Harness;
  let token: string;

  beforeAll(async () => {
    h = await startHarness();
    token = await h.login('racer');
  });
  afterAll(async () => h?.close());

  it('give one winner, 409 for the rest, and leave only the winner’s tarball in the store', async () => {
    const before = await h.snapshot();
    const name = 'raced';
    const attempts = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        // Different bytes per attempt, so a loser's tarball would be a blob of its own.
        const tarball = await makeTarball({
          'package.json': JSON.stringify({ name, version: '1.0.0', description: `attempt ${i}` }),
          'index.js': `module.exports = ${i};\n`,
        });
        const body = publishBody(name, '1.0.0', tarball);
        const reply = await h.call('PUT', `/${name}`, { token, body });
        return { status: reply.status, integrity: (body.versions as any)['1.0.0'].dist.integrity as string };
      }),
    );
    const winners = attempts.filter((a) => a.status === 201);
    expect(winners).toHaveLength(1);
    expect(attempts.filter((a) => a.status === 409)).toHaveLength(11);
    const after = await h.snapshot();
    // The folder store names a blob by its sha512 in hex.
    const hex = Buffer.from(winners[0]!.integrity.slice('sha512-'.length), 'base64').toString('hex');
    expect(after.blobs).toEqual([...(before.blobs as string[]), hex].sort());
  });
});

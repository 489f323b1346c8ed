// Starts ONE real S3 server (Ceph's RADOS Gateway, from Debian's packages, via ../shared/services/s3/start-s3.sh) for
// the whole vitest run and stops it afterwards. The S3 blob store tests (test/team/) and, with SHELF_TEST_BLOBS=s3,
// every suite that starts Shelf use it, each under its own key prefix in the one bucket.
//
// It starts when the run needs it: a full run (no file filters), a filter naming test/team/, or SHELF_TEST_BLOBS=s3.
// When it cannot start (no ceph packages: .ci/run installs them) the run fails here, loudly; nothing is skipped.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { runNeedsTeamServers, serviceScript } from './helpers/shared-services';

export interface S3TestServer {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's S3 server, or null when this run does not need one. */
    s3: S3TestServer | null;
  }
}

/** start-s3.sh needs PORT..PORT+9 free (rgw, mon, osd). */
const PORTS_PER_SERVER = 10;

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

async function freePortRange(): Promise<number> {
  // Bounded: 50 tries over a spread of bases; another run's cluster holds at most a few of them.
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 21000 + Math.floor(Math.random() * 3000) * PORTS_PER_SERVER;
    let free = true;
    for (let port = base; port < base + PORTS_PER_SERVER && free; port++) free = await portFree(port);
    if (free) return base;
  }
  throw new Error('no free range of 10 loopback ports for the S3 test server');
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!runNeedsTeamServers(process.env.SHELF_TEST_BLOBS === 's3')) {
    project.provide('s3', null);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'shelf-s3-'));
  let started;
  try {
    started = await serviceScript('s3', 'start-s3.sh', [dir, String(await freePortRange())], 150_000);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `the S3 test server (Ceph RGW) did not start: ${(error as Error).message}\n` +
        'Install radosgw ceph-mon ceph-osd ceph-common (apt), as .ci/run does; the S3 tests do not skip.',
    );
  }
  const values = Object.fromEntries(
    (/S3_ENDPOINT=.*$/m.exec(started.stdout)?.[0] ?? '').split(' ').map((pair) => pair.split('=') as [string, string]),
  );
  const server: S3TestServer = {
    endpoint: values.S3_ENDPOINT!,
    accessKey: values.S3_ACCESS_KEY!,
    secretKey: values.S3_SECRET_KEY!,
    bucket: values.S3_BUCKET!,
  };
  if (!server.endpoint || !server.bucket) throw new Error(`start-s3.sh printed no S3_ENDPOINT line:\n${started.stdout}`);
  project.provide('s3', server);
  return async () => {
    await serviceScript('s3', 'stop-s3.sh', [dir, '--purge'], 60_000).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
}

// Revalidating a warm metadata cache (shelf lock's default) asks about every cached document of the tree in one round:
// the conditional requests for a chain top → mid → base are all in flight before the registry has answered the first,
// instead of one round trip per dependency level. A loopback gate in front of a real Shelf holds every conditional
// request until it has seen the whole chain (or the event loop has turned a bounded number of times), then lets them
// through; the lockfile is the same as the one written from the registry. Where the policy trusts the cached copies
// (--prefer-offline) there is nothing to wait for, and the look-ahead stays out.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockCommand } from '../../src/main/cli/lock';
import { RegistryClient } from '../../src/main/services/resolver/registry-client';
import { startHarness, type Harness } from '../helpers/app-harness';
import { tempDir } from '../helpers/clients';
import { captureIO, publishAll, type FixtureVersion } from './resolver-fixture';

const CHAIN: FixtureVersion[] = [
  { name: 'base', version: '1.0.0' },
  { name: 'mid', version: '2.0.0', manifest: { dependencies: { base: '^1.0.0' } } },
  { name: 'top', version: '3.0.0', manifest: { dependencies: { mid: '^2.0.0' } } },
];
/** Event-loop turns the gate waits for the whole chain; loopback requests from this same process arrive within a few. */
const MAX_TURNS = 5_000;

let harness: Harness;
let gate: Server;
let gateUrl: string;
let holding = false;
const held: { name: string; release: () => void }[] = [];

/** Passes a request on to the Shelf behind the gate, unchanged, and its answer back. */
function forward(request: IncomingMessage, response: ServerResponse): void {
  const upstream = httpRequest(new URL(request.url ?? '/', harness.url), { method: request.method, headers: request.headers }, (answer) => {
    response.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(response);
  });
  request.pipe(upstream);
}

beforeAll(async () => {
  harness = await startHarness();
  const publisher = await harness.login('revalidate-publisher');
  await publishAll(harness, publisher, CHAIN);
  gate = createServer((request, response) => {
    if (!holding || request.headers['if-none-match'] === undefined) return forward(request, response);
    held.push({ name: decodeURIComponent((request.url ?? '/').slice(1)), release: () => forward(request, response) });
  });
  await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
  gateUrl = `http://127.0.0.1:${(gate.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  gate?.closeAllConnections();
  await new Promise((resolve) => gate?.close(resolve));
  await harness?.close();
});

describe('revalidating the metadata cache', () => {
  it('sends the conditional requests of a whole dependency chain together, and writes the same lockfile', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { top: '^3.0.0' } }));
    const io = captureIO(dir);
    const lock = () => lockCommand(undefined, { registry: gateUrl, json: true }, io);

    expect(await lock(), io.stderr()).toBe(0);
    const fromRegistry = readFileSync(join(dir, 'package-lock.json'), 'utf8');
    rmSync(join(dir, 'package-lock.json'));

    holding = true;
    const run = lock();
    for (let turn = 0; turn < MAX_TURNS && held.length < CHAIN.length; turn++) await new Promise((resolve) => setImmediate(resolve));
    const inFlightTogether = held.map((h) => h.name).sort();
    holding = false;
    for (const h of held.splice(0)) h.release();
    expect(await run, io.stderr()).toBe(0);

    expect(inFlightTogether).toEqual(['base', 'mid', 'top']);
    const report = JSON.parse(io.stdout().slice(io.stdout().lastIndexOf('{\n  "lockfile"'))) as { fetched: number; fromCache: number };
    expect(report).toMatchObject({ fetched: 0, fromCache: 3 });
    expect(readFileSync(join(dir, 'package-lock.json'), 'utf8')).toBe(fromRegistry);
  });

  it('looks nothing up ahead when the cache policy trusts every cached document (--prefer-offline), with the same lockfile', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { top: '^3.0.0' } }));
    const io = captureIO(dir);
    expect(await lockCommand(undefined, { registry: gateUrl, json: true }, io), io.stderr()).toBe(0);
    const fromRegistry = readFileSync(join(dir, 'package-lock.json'), 'utf8');
    rmSync(join(dir, 'package-lock.json'));

    // A trusted cached copy is read through peek(), once by the placement; the look-ahead (which would read each a second
    // time) has nothing to wait for, so it stays out.
    const peek = RegistryClient.prototype.peek;
    const peeked: string[] = [];
    RegistryClient.prototype.peek = function (this: RegistryClient, name: string) {
      peeked.push(name);
      return peek.call(this, name);
    };
    try {
      expect(await lockCommand(undefined, { registry: gateUrl, json: true, preferOffline: true }, io), io.stderr()).toBe(0);
    } finally {
      RegistryClient.prototype.peek = peek;
    }
    expect(peeked.sort()).toEqual(['base', 'mid', 'top']);
    const report = JSON.parse(io.stdout().slice(io.stdout().lastIndexOf('{\n  "lockfile"'))) as { fetched: number; fromCache: number };
    expect(report).toMatchObject({ fetched: 0, fromCache: 3 });
    expect(readFileSync(join(dir, 'package-lock.json'), 'utf8')).toBe(fromRegistry);
  });
});

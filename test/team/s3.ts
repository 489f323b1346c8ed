// The run's S3 server (started once by test/global-setup-s3.ts) as tests use it: a fresh key prefix per Shelf, and the
// flags and environment that point `shelf serve` at it. Light (no SDK): every suite's helpers import it.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { S3TestServer } from '../global-setup-s3';

export function s3Server(): S3TestServer {
  const server = inject('s3');
  if (!server)
    throw new Error(
      'no S3 server in this run: test/global-setup-s3.ts starts one for a full run, a run naming test/team/, or SHELF_TEST_BLOBS=s3',
    );
  return server;
}

/** A key prefix no other test uses, so every Shelf has its own corner of the one bucket. */
export function freshPrefix(label: string): string {
  return `t-${label}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Credentials the way Shelf takes them: the standard AWS variables (set here for in-process stores too). */
export function awsEnv(): NodeJS.ProcessEnv {
  const server = s3Server();
  const env = {
    AWS_ACCESS_KEY_ID: server.accessKey,
    AWS_SECRET_ACCESS_KEY: server.secretKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  Object.assign(process.env, env);
  return env;
}

/** `shelf serve` flags for the bucket under `prefix`. */
export function s3Args(prefix: string): string[] {
  const server = s3Server();
  return ['--blobs', `s3://${server.bucket}/${prefix}`, '--s3-endpoint', server.endpoint, '--s3-path-style'];
}

/** The same location as a Config's `blobs`. */
export function s3Location(prefix: string) {
  const server = s3Server();
  return { kind: 's3' as const, bucket: server.bucket, prefix, endpoint: server.endpoint, region: 'us-east-1', pathStyle: true };
}

/** The key a blob has under a prefix: the data folder's layout. */
export function blobKey(prefix: string, integrity: string): string {
  const hex = Buffer.from(integrity.replace(/^sha512-/, ''), 'base64').toString('hex');
  return `${prefix}/blobs/sha512/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`;
}

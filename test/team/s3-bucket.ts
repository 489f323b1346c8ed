// A plain SDK client to look at the run's S3 bucket from outside Shelf (what is stored, under which keys).
import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { s3Server } from './s3';

let client: S3Client | undefined;
export function s3Client(): S3Client {
  const server = s3Server();
  client ??= new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return client;
}

/** Every key under a prefix, sorted (bounded: tests store a handful). */
export async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < 100; page++) {
    const listing = await s3Client().send(
      new ListObjectsV2Command({ Bucket: s3Server().bucket, Prefix: `${prefix}/`, ContinuationToken: token }),
    );
    keys.push(...(listing.Contents ?? []).map((o) => o.Key!));
    if (!listing.IsTruncated) break;
    token = listing.NextContinuationToken;
  }
  return keys.sort();
}

export async function deletePrefix(prefix: string): Promise<void> {
  for (const key of await listKeys(prefix)) await s3Client().send(new DeleteObjectCommand({ Bucket: s3Server().bucket, Key: key }));
}

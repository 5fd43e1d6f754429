/**
 * The shared evidence store suite (test/support/evidence-suite.ts) on the S3-compatible store, against a real
 * S3 server — Versity S3 Gateway over a temporary directory — started on a free loopback port
 * (scripts/provision-s3.sh provides the binary).
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3EvidenceStore } from '../../shared/evidence/s3-store';
import { evidenceStoreSuite } from '../support/evidence-suite';
import { startS3Server } from '../support/s3-server';

const PREFIX = 'frontier';

evidenceStoreSuite('S3-compatible (versitygw)', async () => {
  const s3 = await startS3Server();
  const location = { bucket: s3.bucket, prefix: PREFIX, endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true };
  const Bucket = s3.bucket;
  return {
    open: (ring, config) => new S3EvidenceStore(location, ring, config, new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3.credentials })),
    async keys() {
      const out = await s3.client.send(new ListObjectsV2Command({ Bucket, MaxKeys: 1000 }));
      return (out.Contents ?? []).map((o) => o.Key as string).sort();
    },
    async read(key) {
      const out = await s3.client.send(new GetObjectCommand({ Bucket, Key: `${PREFIX}/${key}` }));
      return Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    },
    async write(key, bytes) {
      await s3.client.send(new PutObjectCommand({ Bucket, Key: `${PREFIX}/${key}`, Body: bytes }));
    },
    cleanup: () => s3.stop(),
  };
});

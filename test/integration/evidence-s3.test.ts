/**
 * The shared evidence store suite (test/support/evidence-suite.ts) on the S3-compatible store, against a real
 * SeaweedFS server started on free loopback ports (scripts/provision-seaweedfs.sh provides the binary).
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3EvidenceStore } from '../../shared/evidence/s3-store';
import { evidenceStoreSuite } from '../support/evidence-suite';
import { startSeaweedFs } from '../support/seaweedfs';

const PREFIX = 'frontier';

evidenceStoreSuite('S3-compatible (SeaweedFS)', async () => {
  const weed = await startSeaweedFs();
  const location = { bucket: weed.bucket, prefix: PREFIX, endpoint: weed.endpoint, region: 'us-east-1', forcePathStyle: true };
  const Bucket = weed.bucket;
  return {
    open: (ring, config) => new S3EvidenceStore(location, ring, config, new S3Client({ endpoint: weed.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: weed.credentials })),
    async keys() {
      const out = await weed.client.send(new ListObjectsV2Command({ Bucket, MaxKeys: 1000 }));
      return (out.Contents ?? []).map((o) => o.Key as string).sort();
    },
    async read(key) {
      const out = await weed.client.send(new GetObjectCommand({ Bucket, Key: `${PREFIX}/${key}` }));
      return Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    },
    async write(key, bytes) {
      await weed.client.send(new PutObjectCommand({ Bucket, Key: `${PREFIX}/${key}`, Body: bytes }));
    },
    cleanup: () => weed.stop(),
  };
});

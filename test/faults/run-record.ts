/**
 * What a kept run (fault or cluster) leaves beside its logs for inspection: the sink's messages (who sent each copy,
 * when) and the ledger check's verdicts. Without them a duplicate reported by CI can only be guessed at afterwards.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StoredMail } from '../../shared/smtp-sink';
import type { Ledger } from './ledger';

export function writeRunRecord(runDir: string, mails: StoredMail[], ledger: Ledger): void {
  const sink = mails.map((m) => ({ messageId: m.messageId, receivedAt: m.receivedAt.toISOString(), clientName: m.clientName, envelopeTo: m.envelopeTo }));
  writeFileSync(path.join(runDir, 'sink.json'), `${JSON.stringify(sink, null, 1)}\n`);
  writeFileSync(path.join(runDir, 'ledger.json'), `${JSON.stringify(ledger, null, 1)}\n`);
}

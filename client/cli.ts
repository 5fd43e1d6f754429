/**
 * The `review` CLI: one command per action of DESIGN.md. Inputs are validated before connecting, so a typo
 * fails fast even without a server. Every failure is one line on stderr and a non-zero exit code.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { existsSync, writeFileSync } from 'node:fs';
import { isValidTimeZone, parseInstant } from '../workflows/timeline';
import { SEVERITIES } from '../workflows/types';
import { endpointSecret } from '../activities/webhooks';
import { makeToken, parseTokenEntries, ROLES, TokenConfigError } from './api/auth';
import type { Role, TokenEntry } from './api/auth';
import { programOfficeZone } from './digest-schedule';
import { buildExport, EXPORT_FORMATS, renderExport } from './export';
import type { ExportFormat } from './export';
import { formatList, formatStarted, formatStatus, formatUpdated } from './format';
import { readBytes, readJsonFile, readRequestFile, readText } from './input-files';
import { recordFromInspectLogBytes } from './inspect-log';
import { formatVerification, parseKeySetFile, verifyFiles } from './verify';
import { generateSigningKey, KEY_SET_ISSUER, publish, withKey } from '../shared/record/keys';
import { buildPlan } from './plan';
import { formatPlan, formatSimulation, planIcs } from './plan-output';
import { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS, PHASES, ReviewClient, ReviewError, validateUpdate } from './review-client';
import type { ReviewErrorKind, UpdateArg, UpdateName } from './review-client';
import { reviewerLoadWarning } from './read-model/load-check';
import { maxOpenFrom } from './read-model/workload';
import type { LoadWarning } from './read-model/workload';
import { addEvidenceCommands } from './evidence-commands';

/** Exit codes by failure kind, so scripts can branch without parsing messages. */
export const EXIT_CODES: Record<ReviewErrorKind | 'usage' | 'internal', number> = {
  internal: 1, usage: 2, validation: 2, 'not-found': 3, conflict: 4, rejected: 5, unavailable: 6,
};

interface GlobalOptions {
  json?: boolean;
  timeout: number;
  connectTimeout: number;
}

const seconds = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
};
const wholeDays = (v: string): number => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError('must be a whole number of days');
  return Number(v);
};
const isoInstant = (v: string): number => {
  const ms = parseInstant(v);
  if (ms === null) throw new InvalidArgumentError('must be an ISO 8601 date-time with an offset, e.g. 2027-01-20T09:00:00-08:00');
  return ms;
};
const clockTime = (v: string): { hour: number; minute: number } => {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(v);
  if (!match) throw new InvalidArgumentError('must be a 24-hour time, HH:MM (e.g. 08:00)');
  return { hour: Number(match[1]), minute: Number(match[2]) };
};
const ianaZone = (v: string): string => {
  if (!isValidTimeZone(v)) throw new InvalidArgumentError(`"${v}" is not an IANA time zone (e.g. America/New_York)`);
  return v;
};
const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
};

function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

function print(g: GlobalOptions, data: unknown, human: () => string): void {
  process.stdout.write(`${g.json ? JSON.stringify(data, null, 2) : human()}\n`);
}

async function withClient<T>(g: GlobalOptions, fn: (c: ReviewClient) => Promise<T>): Promise<T> {
  const client = await ReviewClient.connect({ connectTimeoutMs: g.connectTimeout * 1000, callTimeoutMs: g.timeout * 1000 });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Validates, connects, sends the update and prints the result (an assignment: with a reviewer-load warning, on stderr too). */
async function runUpdate<N extends UpdateName>(cmd: Command, name: N, reviewId: string, input: unknown): Promise<void> {
  const g = globals(cmd);
  const arg: UpdateArg<N> = validateUpdate(name, input);
  const { status, warning } = await withClient(g, async (c) => {
    // Checked before the change: the assignment being made does not count against the reviewer.
    const w = name === 'assignReviewer' ? await assignmentWarning(c, reviewId, arg as UpdateArg<'assignReviewer'>) : null;
    return { ...(await c.updateThenStatus(name, reviewId, arg)), warning: w };
  });
  if (warning) process.stderr.write(`warning: ${warning.message}\n`);
  print(g, warning ? { ...status, warnings: [warning] } : status, () => `${formatUpdated(name, status)}${warning ? `\nwarning: ${warning.message}` : ''}`);
}

async function assignmentWarning(c: ReviewClient, reviewId: string, a: UpdateArg<'assignReviewer'>): Promise<LoadWarning | null> {
  try {
    return await reviewerLoadWarning(c, a.reviewer.id, { reviewId, track: a.track }, Date.now(), maxOpenFrom(process.env));
  } catch (e) {
    // The check informs; it never stands in the way of the assignment.
    return { kind: 'reviewer-load', reviewerId: a.reviewer.id, open: 0, maxOpen: 0, assignments: [], message: `could not check reviewer ${a.reviewer.id}'s open assignments: ${(e as Error).message}` };
  }
}

/** Drops undefined optional fields so the strict schemas see exactly what the user gave. */
function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function actorCommand(program: Command, name: string, update: 'pauseClock' | 'resumeClock' | 'withdraw' | 'closeReview', description: string): void {
  program.command(name).description(description).argument('<id>', 'review id')
    .requiredOption('--by <name>', 'who is doing this').option('--reason <text>', 'why (recorded in the audit trail and notices)')
    .action((id: string, o: { by: string; reason?: string }, cmd: Command) => runUpdate(cmd, update, id, compact(o)));
}

export function buildProgram(): Command {
  const program = new Command('review')
    .description('Run voluntary 30-day pre-release reviews of frontier AI models (frontier-review).')
    .option('--json', 'machine-readable JSON output (errors as JSON on stderr)')
    .addOption(new Option('--timeout <seconds>', 'how long to wait for the server and a worker to answer').argParser(seconds).default(DEFAULT_CALL_TIMEOUT_MS / 1000))
    .addOption(new Option('--connect-timeout <seconds>', 'how long to wait for a connection').argParser(seconds).default(DEFAULT_CONNECT_TIMEOUT_MS / 1000))
    .showSuggestionAfterError()
    .exitOverride();

  program.command('start').description('start a review from a ReviewRequest JSON file').argument('<file.json>', 'the request (see examples/review.json)')
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const request = readRequestFile(file);
      await withClient(g, async (c) => {
        const started = await c.start(request);
        print(g, started, () => formatStarted(started, c.taskQueue));
      });
    });

  program.command('status').description("show a review's phase, dates, evaluations, notices and recent events").argument('<id>', 'review id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const status = await withClient(g, (c) => c.status(id));
      print(g, status, () => formatStatus(status));
    });

  program.command('list').description('list reviews (newest first)')
    .addOption(new Option('--phase <phase>', 'only reviews in this phase').choices(PHASES))
    .option('--lab <id>', 'only reviews of this lab: its id (lab.id), or the exact name of reviews requested without one')
    .addOption(new Option('--due-within <days>', 'only reviews whose window ends within this many days').argParser(wholeDays))
    .addOption(new Option('--limit <n>', 'at most this many').argParser(wholeDays).default(100))
    .action(async (o: { phase?: string; lab?: string; dueWithin?: number; limit: number }, cmd: Command) => {
      const g = globals(cmd);
      const rows = await withClient(g, (c) => c.list(compact({ phase: o.phase, lab: o.lab, dueWithinDays: o.dueWithin, limit: o.limit })));
      print(g, rows, () => formatList(rows));
    });

  program.command('grant-access').description('record that the lab granted access: starts the clock').argument('<id>', 'review id')
    .requiredOption('--by <name>', 'who granted access')
    .action((id: string, o: { by: string }, cmd: Command) => runUpdate(cmd, 'grantAccess', id, { by: o.by }));

  program.command('assign').description('assign (or reassign) a reviewer to an evaluation track').argument('<id>', 'review id')
    .requiredOption('--track <track>', 'evaluation track, e.g. cyber-offense')
    .requiredOption('--reviewer-id <id>', 'reviewer id').requiredOption('--reviewer-name <name>', 'reviewer name')
    .requiredOption('--reviewer-email <email>', 'reviewer e-mail')
    .addOption(new Option('--due-day <n>', 'due this many days after the clock start (default: policy.dueDay)').argParser(wholeDays))
    .option('--by <name>', 'who assigns (audit trail; default "pm")')
    .action((id: string, o: { track: string; reviewerId: string; reviewerName: string; reviewerEmail: string; dueDay?: number; by?: string }, cmd: Command) =>
      runUpdate(cmd, 'assignReviewer', id, compact({
        track: o.track, reviewer: { id: o.reviewerId, name: o.reviewerName, email: o.reviewerEmail }, dueDay: o.dueDay, by: o.by,
      })));

  program.command('submit').description("submit a track's evaluation").argument('<id>', 'review id')
    .requiredOption('--track <track>', 'evaluation track').requiredOption('--reviewer <id>', 'your reviewer id')
    .addOption(new Option('--severity <level>', 'highest severity found').choices(SEVERITIES).makeOptionMandatory())
    .option('--summary <text>', 'summary of the findings').option('--summary-file <path>', 'read the summary from a file')
    .addOption(new Option('--record <file.json>', 'how the result can be reproduced: an evaluation record (README, "Evaluation record")').conflicts('inspectLog'))
    .option('--inspect-log <file.json>', 'read the record from an Inspect evaluation log (JSON format; its header is enough)')
    .option('--model-digest <sha256:…>', 'with --inspect-log: the digest of the model evaluated (Inspect records only its name)')
    .action((id: string, o: { track: string; reviewer: string; severity: string; summary?: string; summaryFile?: string; record?: string; inspectLog?: string; modelDigest?: string }, cmd: Command) => {
      if ((o.summary === undefined) === (o.summaryFile === undefined)) throw new ReviewError('validation', 'give exactly one of --summary or --summary-file');
      if (o.modelDigest !== undefined && o.inspectLog === undefined) throw new ReviewError('validation', '--model-digest goes with --inspect-log (a record file names the digest itself)');
      const summary = o.summary ?? readText(o.summaryFile as string, 'summary file');
      const record = o.record !== undefined ? readJsonFile(o.record, 'evaluation record')
        : o.inspectLog !== undefined ? recordFromInspectLogBytes(readBytes(o.inspectLog, 'Inspect log'), o.inspectLog, compact({ modelDigest: o.modelDigest })) : undefined;
      return runUpdate(cmd, 'submitEvaluation', id, compact({ track: o.track, reviewerId: o.reviewer, severity: o.severity, summary, record }));
    });

  program.command('complete-package').description('give or complete the access package (lab or program manager)').argument('<id>', 'review id')
    .argument('<file.json>', 'the parts of the package to give: any of access, modelIdentifier, artifactDigest, apiVersion, documentation, dataHandling, outageContact')
    .option('--by <name>', 'who gives it (audit trail; default "lab")')
    .action((id: string, file: string, o: { by?: string }, cmd: Command) => {
      const parts = readJsonFile(file, 'package file');
      if (typeof parts !== 'object' || parts === null || Array.isArray(parts)) throw new ReviewError('validation', `${file}: must be a JSON object (parts of the access package)`);
      return runUpdate(cmd, 'completePackage', id, compact({ ...parts, by: o.by }));
    });

  program.command('set-release-date').description("record the lab's planned release (caps the window)").argument('<id>', 'review id')
    .argument('<iso>', 'ISO 8601 date-time with offset, e.g. 2027-01-20T09:00:00-08:00')
    .option('--by <name>', 'who reports the date (audit trail; default "lab")')
    .action((id: string, iso: string, o: { by?: string }, cmd: Command) => runUpdate(cmd, 'setReleaseDate', id, compact({ plannedReleaseAt: iso, by: o.by })));

  actorCommand(program, 'pause', 'pauseClock', 'pause the clock (lab-side access outage)');
  actorCommand(program, 'resume', 'resumeClock', 'resume a paused clock');
  actorCommand(program, 'withdraw', 'withdraw', 'the lab withdraws the model from review');
  actorCommand(program, 'close', 'closeReview', 'close the review early (outcome completed or expired)');

  program.command('cancel').description('cancel a review before access was granted').argument('<id>', 'review id')
    .requiredOption('--by <name>', 'who cancels').requiredOption('--reason <text>', 'why')
    .action((id: string, o: { by: string; reason: string }, cmd: Command) => runUpdate(cmd, 'cancelReview', id, { by: o.by, reason: o.reason }));

  program.command('confirm-disposal').description('confirm access revocation / artifact disposal after close').argument('<id>', 'review id')
    .requiredOption('--party <party>', '"lab" or a reviewer id').requiredOption('--by <name>', 'who confirms').option('--note <text>', 'note')
    .action((id: string, o: { party: string; by: string; note?: string }, cmd: Command) => runUpdate(cmd, 'confirmDisposal', id, compact(o)));

  program.command('plan').description('preview every dated event and notice a request will produce, without starting anything')
    .argument('<file.json>', 'the request (see examples/review.json)')
    .addOption(new Option('--access-granted-at <iso>', 'when access is granted (default: at the start)').argParser(isoInstant))
    .addOption(new Option('--never-granted', 'the lapse scenario: access is never granted').conflicts('accessGrantedAt'))
    .addOption(new Option('--start-at <iso>', 'plan as if the review were started then (default: now)').argParser(isoInstant))
    .option('--ics', 'print an iCalendar file (every deadline and notice) instead of the table')
    .action((file: string, o: { accessGrantedAt?: number; neverGranted?: boolean; startAt?: number; ics?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const startAt = o.startAt ?? Date.now();
      const request = readRequestFile(file, startAt);
      const plan = buildPlan(request, { startAt, accessGrantedAt: o.neverGranted ? 'never' : o.accessGrantedAt ?? startAt });
      if (o.ics) process.stdout.write(planIcs(plan));
      else print(g, plan, () => formatPlan(plan));
    });

  program.command('simulate').description('run a request with scripted events on the time-skipping test server and print the notices in order')
    .argument('<file.json>', 'the request').requiredOption('--script <what-if.json>', 'the scripted events: {"steps":[{"day":2,"action":"grantAccess","args":{"by":"…"}}],"untilDay":45}')
    .option('--quiet', 'no progress lines on stderr')
    .action(async (file: string, o: { script: string; quiet?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const request = readRequestFile(file);
      const script = readJsonFile(o.script, 'what-if script');
      // Loaded only here: the test server and worker modules are heavy. (tsx keeps import() as ESM, hence require.)
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { parseScript, simulate } = require('./simulate') as typeof import('./simulate');
      parseScript(script); // fail fast, before a server starts
      const result = await simulate(request, script, { onProgress: o.quiet || g.json ? undefined : (l) => process.stderr.write(`simulate: ${l}\n`) });
      print(g, result, () => formatSimulation(result));
    });

  program.command('receipt').description("a closed review's signed closure receipt (in-toto statement in a DSSE envelope)").argument('<id>', 'review id')
    .option('--output <file>', 'write to this file instead of stdout')
    .action(async (id: string, o: { output?: string }, cmd: Command) => {
      const g = globals(cmd);
      const status = await withClient(g, (c) => c.status(id));
      if (!status.receipt) {
        throw new ReviewError('not-found', `review ${id} has no closure receipt: ${status.closedAt === null ? 'it has not closed yet' : status.receiptError ? `it was not signed: ${status.receiptError}` : 'none was signed for it (it started before receipts existed)'}`);
      }
      const body = `${JSON.stringify(status.receipt, null, 2)}\n`;
      if (o.output) {
        writeFileSync(o.output, body);
        process.stderr.write(`wrote ${o.output}\n`);
      } else process.stdout.write(body);
    });

  program.command('verify').description('check a closure receipt offline: its signature against the published keys, and the audit chain of an export')
    .argument('<receipt.json>', 'the receipt (as mailed to the lab, or from `review receipt`)')
    .option('--export <file.json>', "the review's JSON export (`review export <id>`): its hash chain must end in the receipt's signed head")
    .option('--keys <file|url>', 'the key set (keys.json, or the API\'s /.well-known/frontier-review/keys.json URL). Default: $RECEIPT_KEYS_FILE')
    .action(async (file: string, o: { export?: string; keys?: string }, cmd: Command) => {
      const g = globals(cmd);
      const result = await verifyFiles(file, o);
      print(g, result, () => formatVerification(result));
      if (!result.ok) throw new ReviewError('rejected', `receipt ${file} did not verify: ${result.problems.join('; ')}`);
    });

  program.command('receipt-key').description('make a receipt signing key: writes the private key (PEM) and adds its public key to a key set')
    .requiredOption('--out <key.pem>', 'where to write the private key (mode 600; RECEIPT_SIGNING_KEY_FILE of the worker)')
    .requiredOption('--keys <keys.json>', 'the key set to add the public key to (created if missing; earlier keys stay, marked retired)')
    .action(async (o: { out: string; keys: string }, cmd: Command) => {
      const g = globals(cmd);
      if (existsSync(o.out)) throw new ReviewError('validation', `${o.out} exists; choose a new file (an old key must stay where it is until the worker is switched)`);
      const { key, pem } = generateSigningKey();
      const set = existsSync(o.keys) ? parseKeySetFile(o.keys) : { issuer: KEY_SET_ISSUER, keys: [] };
      const next = withKey(set, publish(key.publicKey), new Date().toISOString());
      writeFileSync(o.out, pem, { mode: 0o600 });
      writeFileSync(o.keys, `${JSON.stringify(next, null, 2)}\n`);
      print(g, { keyid: key.keyid, keyFile: o.out, keys: o.keys }, () => [
        `New receipt signing key ${key.keyid}.`,
        `  private key: ${o.out} — give it to the worker as RECEIPT_SIGNING_KEY_FILE; keep it secret`,
        `  key set:     ${o.keys} (${next.keys.length} key${next.keys.length === 1 ? '' : 's'}) — publish it: RECEIPT_KEYS_FILE of the API`,
      ].join('\n'));
    });

  program.command('export').description("a review's audit trail and all its deadlines").argument('<id>', 'review id')
    .addOption(new Option('--format <format>', 'output format').choices(EXPORT_FORMATS).default('json'))
    .option('--output <file>', 'write to this file instead of stdout')
    .action(async (id: string, o: { format: ExportFormat; output?: string }, cmd: Command) => {
      const g = globals(cmd);
      const status = await withClient(g, (c) => c.status(id));
      const { body } = renderExport(buildExport(status), o.format);
      if (o.output) {
        writeFileSync(o.output, body);
        process.stderr.write(`wrote ${o.output}\n`);
      } else process.stdout.write(body);
    });

  addEvidenceCommands(program, (cmd, fn) => withClient(globals(cmd), fn));

  const digest = program.command('digest').description('the weekly digest: each program manager gets what falls due in the coming week');
  digest.command('schedule').description('create the weekly digest schedule, or bring it up to date (safe to repeat)')
    .addOption(new Option('--time-zone <zone>', 'the program office\'s IANA zone (default $PROGRAM_OFFICE_TIME_ZONE, else America/New_York)').argParser(ianaZone))
    .addOption(new Option('--at <HH:MM>', 'local time on Mondays').argParser(clockTime).default({ hour: 8, minute: 0 }, '08:00'))
    .action(async (o: { timeZone?: string; at: { hour: number; minute: number } }, cmd: Command) => {
      const g = globals(cmd);
      const result = await withClient(g, (c) => c.ensureDigestSchedule(compact({ timeZone: o.timeZone, ...o.at })));
      const zone = o.timeZone ?? programOfficeZone();
      const at = `${String(o.at.hour).padStart(2, '0')}:${String(o.at.minute).padStart(2, '0')}`;
      print(g, { schedule: result, timeZone: zone, at }, () => `Digest schedule ${result}: Mondays ${at} ${zone}.`);
    });
  digest.command('send').description("send this week's digest now (one run of the schedule)")
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      await withClient(g, (c) => c.sendDigestNow());
      print(g, { triggered: true }, () => 'Digest started: every program manager with open reviews gets an e-mail.');
    });

  program.command('serve').description('serve the HTTP API and the web dashboard for the configured Temporal server')
    .addOption(new Option('--port <port>', 'port').argParser(port).default(Number(process.env.API_PORT ?? 8080)))
    .option('--host <host>', 'address to listen on', process.env.API_HOST ?? '127.0.0.1')
    .option('--outbox-dir <dir>', "a directory of .eml files to show as the dashboard's Outbox")
    .action(async (o: { port: number; host: string; outboxDir?: string }, cmd: Command) => {
      const g = globals(cmd);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { serve } = require('./api/serve') as typeof import('./api/serve');
      await serve({ port: o.port, host: o.host, outboxDir: o.outboxDir, connectTimeoutMs: g.connectTimeout * 1000, callTimeoutMs: g.timeout * 1000 });
    });

  program.command('api-token').description('make an API/dashboard token: prints it once, stores only its SHA-256')
    .addOption(new Option('--role <role>', 'what the token may do').choices(ROLES).makeOptionMandatory())
    .requiredOption('--name <name>', 'whose token it is (shown on the dashboard)')
    .option('--reviewer-id <id>', 'role reviewer: the reviewer id it acts as')
    .option('--email <address>', "role reviewer: the reviewer's address (the token is bound to id and address)")
    .option('--lab-id <id>', "role lab: the lab's id (lab.id in the requests)")
    .option('--lab <name>', "role lab, for reviews requested without a lab id: the lab's name")
    .option('--time-zone <zone>', 'default zone for dates on the dashboard')
    .option('--expires-in-days <n>', 'the token stops working after this many days (0: never)', '90')
    .option('--file <tokens.json>', 'add the entry to this token file (FRONTIER_REVIEW_API_TOKENS_FILE); created if missing')
    .action(async (o: { role: Role; name: string; reviewerId?: string; email?: string; labId?: string; lab?: string; timeZone?: string; expiresInDays: string; file?: string }, cmd: Command) => {
      const g = globals(cmd);
      if (!/^\d{1,4}$/.test(o.expiresInDays)) throw new ReviewError('validation', `--expires-in-days: "${o.expiresInDays.slice(0, 20)}" is not a whole number of days (0: never)`);
      const days = Number(o.expiresInDays);
      const expiresAt = days > 0 ? new Date(Date.now() + days * 86_400_000).toISOString() : undefined;
      const { token, entry } = makeToken(compact({ name: o.name, role: o.role, reviewerId: o.reviewerId, email: o.email, labId: o.labId, lab: o.lab, timeZone: o.timeZone, expiresAt }));
      try {
        parseTokenEntries([entry], 'the new token'); // role/scope combination checked before anything is written
        if (o.file) {
          let entries: TokenEntry[] = [];
          if (existsSync(o.file)) entries = parseTokenEntries(readJsonFile(o.file, 'token file'), o.file);
          writeFileSync(o.file, `${JSON.stringify({ tokens: [...entries, entry] }, null, 2)}\n`, { mode: 0o600 });
        }
      } catch (e) {
        if (e instanceof TokenConfigError) throw new ReviewError('validation', e.message.replace('the new token: 0.', ''));
        throw e;
      }
      print(g, { token, entry, ...(o.file ? { file: o.file } : {}) }, () => [
        `Token for ${o.name} (${o.role}) — shown only now, keep it secret:`,
        `  ${token}`,
        o.file ? `Added its SHA-256 to ${o.file}.` : `Add this entry to the token file (FRONTIER_REVIEW_API_TOKENS_FILE):\n  ${JSON.stringify(entry)}`,
      ].join('\n'));
    });

  program.command('webhook-secret').description("the signing secret of one review webhook endpoint (derived from the worker's WEBHOOK_SECRET), for its receiver")
    .argument('<url>', 'the endpoint exactly as the review request names it')
    .action(async (url: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const master = process.env.WEBHOOK_SECRET;
      if (!master) throw new ReviewError('validation', 'WEBHOOK_SECRET is not set: the endpoint secret is derived from the worker\'s');
      const secret = endpointSecret(master, url);
      print(g, { url, secret }, () => `Signing secret for ${url} (give it to that receiver only):\n  ${secret}`);
    });

  return program;
}

function report(err: unknown, json: boolean): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_CODES.usage; // commander already printed it
  const known = err instanceof ReviewError;
  const kind = known ? err.kind : 'internal';
  const message = err instanceof Error ? err.message : String(err);
  if (json) {
    process.stderr.write(`${JSON.stringify({ error: { kind, message, ...(known && err.issues.length ? { issues: err.issues } : {}) } })}\n`);
  } else {
    process.stderr.write(`error: ${message}\n`);
    if (!known && process.env.REVIEW_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  }
  return EXIT_CODES[kind];
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    process.exitCode = 0;
  } catch (err) {
    process.exitCode = report(err, argv.includes('--json'));
  }
  // gRPC can hold the event loop open for a moment after close; never let that keep a finished command alive.
  setTimeout(() => process.exit(), 2_000).unref();
}

void main(process.argv);

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { RecoverResult } from '../../cli/recover';
import { checkCallStatusBody } from '../../lib/call-status-body';
import { createCallStatusHandler, NOT_STORED_MESSAGES } from '../../lib/call-status-service';
import { infoLogger, withCapturedLogs } from '../support/captured-logs';
import { runRecords } from '../support/cli';
import { failedReadsWithin, ssmStandIn, ssmThrottling } from '../support/ssm-stand-in';
import {
  bodyFixture,
  lambdaContext,
  readCall,
  signedEvent,
  TEST_SECRET,
  testEnv,
  testStore,
  withFreshIds,
} from '../support/webhook';
import { recordFigure } from './figures';
import { type HostileRequest, hostileRequest, materialise } from './hostile-requests';
import { reliabilityScale } from './scale';

// Promise 5: no unverified body is ever offered for replay. With no secret to verify with (SSM never
// readable, or no secret configured at all), every request is answered 503 and logged as not verified; the
// log lines, fed to `freeclimb-records recover` with the stage's secret, give back exactly the authentic
// deliveries among them and nothing that was forged, whatever the lines say about themselves.

const PROMISE = 'unverified requests';
const scale = reliabilityScale();
const store = testStore();
const SIGNED_AT = Date.UTC(2026, 2, 6, 12) / 1000;
/** Each request comes this much later, so the SSM stand-in sees the back-off windows go by. */
const STEP_MS = 20;
let nowMs = SIGNED_AT * 1000;
const now = () => nowMs;
/** One authentic, valid delivery among every this many requests. */
const AUTHENTIC_EVERY = 10;
const SAMPLES = ['completed-inbound', 'child-leg-outbound-dial', 'busy-outbound-api', 'with-recording'];
const RECOVERED = new Set(['stored', 'duplicate', 'conflict']);

function authenticDelivery(index: number, signedAt: number): HostileRequest {
  const body = withFreshIds(bodyFixture(SAMPLES[index % SAMPLES.length] as string));
  return {
    event: signedEvent(body, { signedAt, base64: index % (2 * AUTHENTIC_EVERY) === 0 }),
    seenBytes: body,
    authentic: true,
  };
}

function callIdsIn(bytes: Buffer): string[] {
  return [...new Set(bytes.toString('utf8').match(/CA[0-9a-fA-F]{40}/g) ?? [])];
}

test(`${scale.hostileRequests} requests while no secret can be read: all 503 unverified, and recover keeps only the authentic`, async () => {
  // Prepare
  const seed = Date.now() % 2 ** 31;
  const plans = fc.sample(hostileRequest, { numRuns: scale.hostileRequests, seed });
  /** Signed the second it is sent, as FreeClimb does. */
  const signedAt = (index: number) => SIGNED_AT + Math.floor((index * STEP_MS) / 1000);
  const requests = plans.map((plan, index) =>
    index % AUTHENTIC_EVERY === 0
      ? authenticDelivery(index, signedAt(index))
      : materialise(plan, signedAt(index)),
  );
  const { client: ssm, inputs: ssmReads } = ssmStandIn([ssmThrottling()]);
  const ssmEnv = testEnv({ FREECLIMB_SIGNING_SECRET: undefined, FREECLIMB_SIGNING_SECRET_PARAMETER: '/s' });
  const noSecretEnv = testEnv({ FREECLIMB_SIGNING_SECRET: undefined });

  // Act: half to a container that cannot read SSM, half to one with no secret configured.
  const { result: statuses, logs } = await withCapturedLogs(async () => {
    const ssmDown = createCallStatusHandler({ env: ssmEnv, now, ssm, logger: infoLogger() });
    const noSecret = createCallStatusHandler({ env: noSecretEnv, now, logger: infoLogger() });
    const answers: number[] = [];
    for (const [index, request] of requests.entries()) {
      // The misconfigured container checks no size: its big bodies go where the size is checked first.
      const handle = index % 2 === 0 || request.seenBytes.length > 65_536 ? ssmDown : noSecret;
      nowMs = SIGNED_AT * 1000 + index * STEP_MS;
      answers.push((await handle(request.event, lambdaContext)).statusCode ?? 0);
    }
    return answers;
  });
  const notStored = logs.filter((line) => Object.values(NOT_STORED_MESSAGES).includes(line.message as never));
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'unverified-')), 'lines.jsonl');
  writeFileSync(file, logs.map((line) => JSON.stringify(line)).join('\n'));
  const run = await runRecords(['recover', file, '--json'], {
    env: { TZ: 'UTC', FREECLIMB_SIGNING_SECRET: TEST_SECRET },
  });
  const results = JSON.parse(run.stdout) as RecoverResult[];

  // Assess
  const unavailable = requests.filter((_, index) => statuses[index] === 503);
  const otherAnswers = statuses.filter((status) => status !== 503 && status !== 413).length;
  const offeredAsVerified = notStored.filter(
    (line) => line.verified !== false || line.message !== NOT_STORED_MESSAGES.unverified,
  ).length;
  let storedFromForged = 0;
  let forgedInTable = 0;
  let authenticValid = 0;
  let authenticRecovered = 0;
  let wrongOutcome = 0;
  for (const [index, request] of unavailable.entries()) {
    const outcome = results[index]?.outcome ?? 'missing';
    if (!request.authentic) {
      if (RECOVERED.has(outcome)) storedFromForged += 1;
      if (outcome !== 'not-authentic') wrongOutcome += 1;
      for (const callId of callIdsIn(request.seenBytes)) {
        if ((await readCall(store, callId)) !== undefined) forgedInTable += 1;
      }
      continue;
    }
    const mediaType = request.event.headers?.['content-type']?.split(';')[0]?.trim().toLowerCase();
    const valid = checkCallStatusBody(request.seenBytes).ok && mediaType === 'application/json';
    if (!valid) {
      // Authentic but not a valid callStatus: kept in the rejected table, as the webhook would have.
      if (outcome !== 'rejected') wrongOutcome += 1;
      continue;
    }
    authenticValid += 1;
    const callId = JSON.parse(request.seenBytes.toString('utf8')).callId as string;
    const item = await readCall(store, callId);
    if (outcome === 'stored' && item?.rawBody === request.seenBytes.toString('utf8')) authenticRecovered += 1;
    else wrongOutcome += 1;
  }
  const counts = new Map<string, number>();
  for (const result of results) counts.set(result.outcome, (counts.get(result.outcome) ?? 0) + 1);

  expect(otherAnswers).toBe(0);
  expect(notStored).toHaveLength(unavailable.length);
  expect(results).toHaveLength(unavailable.length);
  expect(offeredAsVerified).toBe(0);
  expect(storedFromForged).toBe(0);
  expect(forgedInTable).toBe(0);
  expect(wrongOutcome).toBe(0);
  expect(authenticRecovered).toBe(authenticValid);
  expect(authenticValid).toBeGreaterThanOrEqual(requests.length / AUTHENTIC_EVERY);
  expect(ssmReads.length).toBeLessThanOrEqual(failedReadsWithin(requests.length * STEP_MS));

  const figure = (name: string, value: number | string, bound?: string, holds?: boolean) =>
    recordFigure({ promise: PROMISE, name, value, bound, holds });
  figure('requests (seed)', `${requests.length} (seed ${seed})`);
  figure('answers other than 503 (or 413 for an oversized body)', otherAnswers, '0', otherAnswers === 0);
  figure('503 answers, each logged "not verified"', unavailable.length);
  figure('503 lines offered as verified deliveries', offeredAsVerified, '0', offeredAsVerified === 0);
  figure(
    'recover: stored from requests not signed with the secret',
    storedFromForged + forgedInTable,
    '0',
    storedFromForged + forgedInTable === 0,
  );
  figure(
    'recover: authentic valid deliveries stored with their exact bytes',
    `${authenticRecovered} of ${authenticValid}`,
    'all',
    authenticRecovered === authenticValid,
  );
  figure(
    'recover: outcomes',
    [...counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([outcome, n]) => `${outcome}: ${n}`)
      .join(', '),
  );
  const readBound = failedReadsWithin(requests.length * STEP_MS);
  figure(
    `SSM reads while it failed, over ${(requests.length * STEP_MS) / 1000} s`,
    ssmReads.length,
    `≤ ${readBound} (back-off)`,
    ssmReads.length <= readBound,
  );
}, 600_000);

import { createHmac } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Bench } from 'tinybench';
import { toCallRecord } from '../lib/call-record';
import { checkCallStatusBody } from '../lib/call-status-body';
import { parseCallStatusWebhook } from '../lib/call-status-webhook';
import { countOutcome } from '../lib/delivery-metrics';
import { findHostileStructure, parseJsonBody } from '../lib/json-body';
import { maskAddress } from '../lib/phone-mask';
import { readRawBody } from '../lib/raw-body';
import { verifySignature } from '../lib/signature';
import { BrokenBenchmarkError } from './broken-benchmark-error';
import { freshBody, signedHeaders } from './workload';
import { ZodCallStatusWebhook } from './zod-call-status-webhook';

/** Median nanoseconds per call of each task, and how many calls the median came from. */
export interface CpuTask {
  name: string;
  nsPerOp: number;
  samples: number;
}

export interface CpuPerEvent {
  tasks: CpuTask[];
  /** The bare minimum any webhook costs: HMAC-SHA256 over the signed bytes plus `JSON.parse`. */
  baselineNs: number;
  /** verify + parse + validate + map with valibot, as the handler does it. */
  valibotNs: number;
  /** The same four stages with the zod schema in place of valibot's. */
  zodNs: number;
}

/**
 * What the function adds per event before any I/O: each stage of the handler's work on one real body, all
 * stages together, against bare HMAC-SHA256 + `JSON.parse` of the same bytes. No I/O, no clock reads in the
 * tasks; tinybench warms each task up, then samples it for `timeMs`.
 */
export async function measureCpuPerEvent(secret: string, timeMs: number): Promise<CpuPerEvent> {
  // The INFO line and the metric print to stdout: it is a sink while they exist, so only their cost counts.
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await measureTasks(secret, timeMs);
  } finally {
    process.stdout.write = write;
  }
}

async function measureTasks(secret: string, timeMs: number): Promise<CpuPerEvent> {
  const nowMs = Date.now();
  const rawBody = freshBody(0);
  const bodyText = rawBody.toString('utf8');
  const header = signedHeaders(rawBody, secret, nowMs)['freeclimb-signature'] as string;
  const signedAt = Math.floor(nowMs / 1000);
  const secrets = [secret];
  const json = JSON.parse(bodyText) as unknown;
  const checked = checkCallStatusBody(rawBody);
  if (!checked.ok || !ZodCallStatusWebhook.safeParse(json).success) {
    throw new BrokenBenchmarkError('The benchmark body does not pass validation');
  }
  const payload = checked.payload;
  const delivery = { rawBody, receivedAtMs: nowMs, signedAt };
  const verify = (body: Buffer) =>
    verifySignature({ header, rawBody: body, secrets, toleranceSeconds: 300, nowMs });

  const logger = new Logger({ serviceName: 'bench', logLevel: 'INFO' });
  const silentLogger = new Logger({ serviceName: 'bench', logLevel: 'SILENT' });
  const metrics = enabledMetrics();
  // The line createCallStatusHandler writes per stored delivery, with the same fields (it is not exported).
  const logStored = (target: Logger) =>
    target.info('Delivery stored', {
      outcome: 'stored',
      status: 204,
      callId: payload.callId,
      parentCallId: payload.parentCallId ?? undefined,
      callStatus: payload.callStatus,
      from: maskAddress(payload.from),
      to: maskAddress(payload.to),
    });

  let sink: unknown;
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(250, timeMs), throws: true });
  bench
    .add('baseline: HMAC-SHA256 + JSON.parse of the same bytes', () => {
      sink = createHmac('sha256', secret).update(`${signedAt}.`).update(rawBody).digest();
      sink = JSON.parse(rawBody.toString('utf8'));
    })
    .add('verify: signature header, HMAC-SHA256, constant-time compare', () => {
      sink = verify(rawBody);
    })
    .add('parse: strict UTF-8, JSON.parse, hostile-structure check', () => {
      sink = findHostileStructure(parseJsonBody(rawBody));
    })
    .add('validate: valibot schema', () => {
      sink = parseCallStatusWebhook(json);
    })
    .add('validate: the same schema in zod', () => {
      sink = ZodCallStatusWebhook.safeParse(json);
    })
    .add('map: payload to call record item', () => {
      sink = toCallRecord(payload, delivery, 0);
    })
    .add('all four stages (valibot), as the handler runs them', () => {
      const body = readRawBody(bodyText, false, 65536);
      const at = verify(body);
      const result = checkCallStatusBody(body);
      if (result.ok)
        sink = toCallRecord(result.payload, { rawBody: body, receivedAtMs: nowMs, signedAt: at }, 0);
    })
    .add('all four stages with zod in place of valibot', () => {
      const body = readRawBody(bodyText, false, 65536);
      const at = verify(body);
      const parsed = parseJsonBody(body);
      const result =
        findHostileStructure(parsed) === undefined ? ZodCallStatusWebhook.safeParse(parsed) : undefined;
      if (result?.success)
        sink = toCallRecord(result.data, { rawBody: body, receivedAtMs: nowMs, signedAt: at }, 0);
    })
    .add('log line at INFO + metric flush (output discarded)', () => {
      logStored(logger);
      countOutcome(metrics, 'stored');
    })
    .add('log line at SILENT (level off)', () => {
      logStored(silentLogger);
    });

  await bench.run();
  void sink;

  const tasks = bench.tasks.map((task): CpuTask => {
    const result = task.result as { latency?: { p50?: number; samplesCount?: number } } | undefined;
    const p50 = result?.latency?.p50;
    if (p50 === undefined) throw new BrokenBenchmarkError(`CPU task "${task.name}" produced no result`);
    return { name: task.name, nsPerOp: p50 * 1e6, samples: result?.latency?.samplesCount ?? 0 };
  });
  const ns = (prefix: string) => tasks.find((task) => task.name.startsWith(prefix))?.nsPerOp ?? Number.NaN;
  return {
    tasks,
    baselineNs: ns('baseline'),
    valibotNs: ns('all four stages (valibot)'),
    zodNs: ns('all four stages with zod'),
  };
}

/** Metrics that really print, whatever the run set to keep the write path quiet (they read it once, here). */
function enabledMetrics(): Metrics {
  const disabled = process.env.POWERTOOLS_METRICS_DISABLED;
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  try {
    return new Metrics({ namespace: 'Bench', serviceName: 'bench' });
  } finally {
    if (disabled !== undefined) process.env.POWERTOOLS_METRICS_DISABLED = disabled;
  }
}

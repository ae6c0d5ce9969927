import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createCallStatusHandler } from '../lib/call-status-service';
import type { ServiceDefinition } from '../local/service-definition';
import { BrokenBenchmarkError } from './broken-benchmark-error';
import { startBenchEngine } from './engine';
import { runInFlight } from './in-flight';
import { DEFINITION_VARIABLE, type MemoryUse } from './memory';
import { benchContext, benchSecret, freshBody, signedEvent } from './workload';

/**
 * Child process of the memory measurement: stores `events` signed webhooks through the real handler into an
 * in-process dynalite, then prints its peak RSS as one JSON line. Events are made a block at a time, as
 * they would arrive, so the sender's backlog does not count as the service's memory.
 */
async function main(): Promise<void> {
  const [events, concurrency] = process.argv.slice(2).map(Number) as [number, number];
  const definition = JSON.parse(process.env[DEFINITION_VARIABLE] ?? '') as ServiceDefinition;
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const secret = benchSecret();
  const { env, newStore } = await startBenchEngine(definition, secret);
  const handler = createCallStatusHandler({ env, store: newStore() });
  const readyMaxRssBytes = process.resourceUsage().maxRSS * 1024;
  const block = 250;
  for (let done = 0; done < events; done += block) {
    const batch: APIGatewayProxyEventV2[] = [];
    for (let i = done; i < Math.min(done + block, events); i += 1)
      batch.push(signedEvent(freshBody(i), secret));
    await runInFlight(batch.length, concurrency, async (i) => {
      const response = await handler(batch[i] as APIGatewayProxyEventV2, benchContext);
      if (response.statusCode !== 204) throw new BrokenBenchmarkError(`Answered ${response.statusCode}`);
    });
  }
  const result: MemoryUse = {
    events,
    concurrency,
    readyMaxRssBytes,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  console.log(JSON.stringify(result));
  // dynalite holds nothing worth flushing (it is in memory): exit without waiting for its sockets to close.
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

import { type BackfillProgress, backfillCallLog } from '../lib/call-log-backfill';
import { integerArgument } from './arguments';
import type { Command } from './command';
import { json } from './format';

/** `backfill [--dry-run]`: puts records stored before the call log existed into it. */
export const backfillCommand: Command = {
  summary: 'gives records stored before the call log existed their index key (a Scan; safe to re-run)',
  usage: 'backfill [--dry-run] [--page-size <n>]',
  options: { 'dry-run': { type: 'boolean' }, 'page-size': { type: 'string' } },
  positionals: { min: 0, max: 0, names: '' },
  async run(context, values) {
    const dryRun = values['dry-run'] === true;
    const pageSize =
      typeof values['page-size'] === 'string'
        ? integerArgument(values['page-size'], '--page-size', 1, 1000)
        : undefined;
    const target = await context.target();
    const { io } = context;
    const result = await backfillCallLog(target.store, {
      dryRun,
      pageSize,
      onPage: (progress) => {
        const line = `backfill: ${describeProgress(progress, dryRun)}`;
        io.stderr(io.interactive === true ? `\r${line}` : `${line}\n`);
      },
    });
    if (io.interactive === true) io.stderr('\n');
    io.stdout(
      context.json
        ? json({ dryRun, ...result })
        : `${describeProgress(result, dryRun)} in ${target.store.callsTable}\n`,
    );
    return 0;
  },
};

function describeProgress(progress: BackfillProgress, dryRun: boolean): string {
  const parts = [
    `${progress.scanned} scanned`,
    dryRun
      ? `${progress.missing} would be added to the call log (dry run: nothing written)`
      : `${progress.updated} added to the call log`,
  ];
  if (progress.changedMeanwhile > 0)
    parts.push(`${progress.changedMeanwhile} changed meanwhile (left as they are)`);
  if (progress.unplaceable > 0)
    parts.push(`${progress.unplaceable} without a receive time (left as they are)`);
  return parts.join(', ');
}

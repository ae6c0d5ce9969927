import { findLegs } from '../../../cli/legs';
import { createCallStatusHandler } from '../../../lib/call-status-service';
import { runRecords } from '../../support/cli';
import {
  bodyFixture,
  FIXTURE_SIGNED_AT,
  freshId,
  lambdaContext,
  signedEvent,
  testEnv,
  testStore,
  withFreshIds,
} from '../../support/webhook';

// `freeclimb-records legs` against the jest engine: every call is stored by the real handler, each a few
// seconds after the previous one, so the index orders the legs by when they arrived.

let clock = (FIXTURE_SIGNED_AT + 1) * 1000;
const handle = createCallStatusHandler({ env: testEnv(), now: () => clock });

/** Stores one call (a child leg when `parentCallId` is given) and returns its id. */
async function storeCall(
  parentCallId?: string,
  durationSec = 30,
  fields: Record<string, string> = {},
): Promise<string> {
  const callId = freshId('CA');
  const sample = parentCallId === undefined ? 'completed-inbound' : 'child-leg-outbound-dial';
  const body = JSON.parse(withFreshIds(bodyFixture(sample)).toString('utf8'));
  const text = JSON.stringify({
    ...body,
    callId,
    parentCallId: parentCallId ?? null,
    callDuration: durationSec,
    ...fields,
  });
  clock += 1000;
  const response = await handle(signedEvent(text), lambdaContext);
  expect(response.statusCode).toBe(204);
  return callId;
}

/** Each tree line reduced to its drawing and its call id. */
function shape(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => /^([│├└─ ]*)(CA[0-9a-f]{40})/.exec(line))
    .filter((match) => match !== null)
    .map((match) => `${match[1]}${match[2]}`);
}

describe('legs <callId>', () => {
  test('a three-level tree: children in time order, each with its own legs, and the totals', async () => {
    // Prepare
    const root = await storeCall(undefined, 100);
    const first = await storeCall(root, 40);
    const second = await storeCall(root, 20);
    const firstChild = await storeCall(first, 10);
    const secondChildA = await storeCall(second, 5);
    const secondChildB = await storeCall(second, 0);

    // Act
    const run = await runRecords(['legs', root]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(shape(run.stdout)).toEqual([
      root,
      `├── ${first}`,
      `│   └── ${firstChild}`,
      `└── ${second}`,
      `    ├── ${secondChildA}`,
      `    └── ${secondChildB}`,
    ]);
    expect(run.stdout).toContain(
      `├── ${first}  outboundDial  completed (appHangup)  40 s  +18475550199 → sip:agent@pbx.example.com  2025-11-25T14:30:03.000Z\n`,
    );
    expect(
      run.stdout.endsWith(
        '5 legs below the call, 3 levels; 6 records, total duration 2:55 (175 s)\nby status: completed 6\n',
      ),
    ).toBe(true);
  });

  test('stored strings with control characters: one line per call (wc -l counts right), escaped', async () => {
    // Prepare: an ESC sequence in a leg's `from`, a line break and a C1 CSI in its `to`.
    const root = await storeCall(undefined, 10);
    const leg = await storeCall(root, 5, {
      from: '\u001b[2J\u001b[Hpwned',
      to: 'sip:a@b.example\n\u009b31m',
    });
    const grandchild = await storeCall(leg, 1);

    // Act
    const run = await runRecords(['legs', root]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')).toHaveLength(3 + 1 + 2 + 1);
    expect(run.stdout.replaceAll('\n', '')).not.toMatch(/\p{Cc}/u);
    expect(shape(run.stdout)).toEqual([root, `└── ${leg}`, `    └── ${grandchild}`]);
    expect(run.stdout).toContain(
      `└── ${leg}  outboundDial  completed (appHangup)  5 s  \\u001b[2J\\u001b[Hpwned → sip:a@b.example\\n\\u009b31m  `,
    );
  });

  test('more legs than one page: every page is read (page size 2, seven legs)', async () => {
    // Prepare
    const root = await storeCall();
    const legs: string[] = [];
    for (let index = 0; index < 7; index += 1) legs.push(await storeCall(root, index));

    // Act
    const run = await runRecords(['legs', root, '--page-size', '2']);

    // Assess
    expect(run.code).toBe(0);
    expect(shape(run.stdout)).toEqual([
      root,
      ...legs.map((leg, index) => `${index === legs.length - 1 ? '└── ' : '├── '}${leg}`),
    ]);
    expect(run.stdout).toContain('7 legs below the call, 2 levels; 8 records, total duration 51 s\n');
  });

  test('the tree is read in pages of the given size: one Query per page of the parent index', async () => {
    // Prepare
    const root = await storeCall();
    for (let index = 0; index < 5; index += 1) await storeCall(root, index);
    const store = testStore();
    const queriesOfRoot: Array<Record<string, unknown>> = [];
    store.doc.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { ExpressionAttributeValues?: Record<string, unknown> };
        if (JSON.stringify(input.ExpressionAttributeValues ?? {}).includes(root)) queriesOfRoot.push(input);
        return next(args);
      },
      { step: 'initialize', name: 'countLegQueries' },
    );

    // Act
    const tree = await findLegs(store, root, 2);

    // Assess
    expect(tree.legs).toHaveLength(5);
    expect(queriesOfRoot.map((input) => input.Limit)).toEqual([2, 2, 2]);
    expect(queriesOfRoot.map((input) => input.ExclusiveStartKey === undefined)).toEqual([true, false, false]);
  });

  test('--json gives the nested tree and the totals', async () => {
    // Prepare
    const root = await storeCall(undefined, 60);
    const leg = await storeCall(root, 15);
    const grandchild = await storeCall(leg, 5);

    // Act
    const run = await runRecords(['legs', root, '--json']);

    // Assess
    const tree = JSON.parse(run.stdout);
    expect(tree.callId).toBe(root);
    expect(tree.call.callDuration).toBe(60);
    expect(tree.legs.map((node: { callId: string }) => node.callId)).toEqual([leg]);
    expect(tree.legs[0].legs.map((node: { callId: string }) => node.callId)).toEqual([grandchild]);
    expect(tree.totals).toEqual({
      calls: 3,
      legs: 2,
      levels: 3,
      totalDurationSec: 80,
      byStatus: { completed: 3 },
    });
  });

  test('legs whose parent has no record yet are still shown under its id', async () => {
    // Prepare
    const parent = freshId('CA');
    const leg = await storeCall(parent, 12);

    // Act
    const run = await runRecords(['legs', parent]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(`${parent}  (no record of this call yet; its legs are below)`);
    expect(shape(run.stdout)).toEqual([parent, `└── ${leg}`]);
  });

  test('an id with neither a record nor legs is an error naming the table', async () => {
    // Prepare
    const unknown = freshId('CA');

    // Act
    const run = await runRecords(['legs', unknown]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^freeclimb-records: No call ${unknown} in \\S+-calls, and no legs of it\\n$`),
    );
  });
});

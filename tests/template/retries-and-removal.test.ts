import { conditionHolds } from '../support/cloudformation-values';
import {
  CREATE_TEMPLATE_FILE,
  packagedDirectories,
  packagedDirectory,
  readTemplate,
  type Template,
  UPDATE_TEMPLATE_FILE,
} from '../support/packaged-template';
import { ENRICH, STAGE_PARAMETER_COMBINATIONS } from '../support/stage-parameter-combinations';

// A failed first deploy can be run again, and `serverless remove` keeps what holds records or could decrypt
// them. The framework first creates a stack with the deployment bucket only, then adds everything else in an
// update: if that update rolls back, what it created must go, or the fixed names (tables, log groups) make the
// next deploy fail with "already exists" (docs/deploying.md, "The first deploy, and retrying one that failed").
// CloudFormation's RetainExceptOnCreate does that for the log groups and the key, and is Retain for every
// other operation. The tables are protected from deletion, which refuses a rollback's deletion too: they are
// Retain and created after everything else, so a failed first deploy rolls back before they exist.

const TABLES = ['CallsTable', 'RejectedTable'];
/** What holds records, their last copies, or the key to read those, with the policies that keep them. */
const KEPT: Record<string, { deletion: string; updateReplace: string }> = {
  CallsTable: { deletion: 'Retain', updateReplace: 'Retain' },
  RejectedTable: { deletion: 'Retain', updateReplace: 'Retain' },
  LogKey: { deletion: 'RetainExceptOnCreate', updateReplace: 'Retain' },
  CallStatusLogGroup: { deletion: 'RetainExceptOnCreate', updateReplace: 'Retain' },
  HttpApiLogGroup: { deletion: 'RetainExceptOnCreate', updateReplace: 'Retain' },
  EnrichCallLogGroup: { deletion: 'RetainExceptOnCreate', updateReplace: 'Retain' },
};

/**
 * What the first deploy may create after the tables, and why that is safe. Anything else must come before
 * them, including what needs a table to exist (a stream's consumer): deletion protection refuses the
 * rollback's deletion of a table, so a table that exists when the deploy fails stays behind and blocks the
 * retry, and such a resource belongs here only with the reason its creation cannot fail.
 */
const AFTER_THE_TABLES_ALLOWED: Array<{ matches: (id: string) => boolean; why: string }> = [
  {
    matches: (id) => id.startsWith('CallStatusLambdaVersion'),
    why: 'the function version: its logical id changes with the code, so no DependsOn can name it; publishing a version of a function just created does not fail on its own',
  },
  {
    matches: (id) => id === 'EnrichStreamEventSourceMapping',
    why: 'the enricher’s trigger reads the calls table’s stream, whose ARN exists only once the table does; its creation checks only what is created before the tables (the role, proven by simulation, the function and the dead-letter queue)',
  },
  {
    matches: (id) => id === 'AlarmEmailSubscription',
    why: 'only there with alarmEmail, and a DependsOn on a resource that may not exist is a template error; the address was checked at package time',
  },
];

/** The resources a resource names directly: its DependsOn and every Ref and GetAtt in it. */
function directDependencies(template: Template, id: string): string[] {
  const resource = template.Resources[id];
  if (!resource) return [];
  const named = [resource.DependsOn ?? []].flat();
  JSON.stringify(resource, (key, value) => {
    if (key === 'Ref' && typeof value === 'string') named.push(value);
    if (key === 'Fn::GetAtt' && Array.isArray(value)) named.push(String(value[0]));
    return value;
  });
  return named.filter((name) => name in template.Resources);
}

/** The resources CloudFormation creates before `id`: its dependencies, transitively. */
function dependenciesOf(template: Template, id: string): Set<string> {
  const found = new Set<string>();
  const pending = directDependencies(template, id);
  while (pending.length > 0) {
    const next = pending.pop() as string;
    if (!found.has(next)) {
      found.add(next);
      pending.push(...directDependencies(template, next));
    }
  }
  return found;
}

/** The defaults with the enricher: every resource any combination holds. */
let full: Template;

beforeAll(async () => {
  // Every combination at once (the tests below read one each), not one per test as each reaches its own.
  await packagedDirectories(STAGE_PARAMETER_COMBINATIONS);
  full = await readTemplate(await packagedDirectory(ENRICH), UPDATE_TEMPLATE_FILE);
}, 300_000);

test.each(Object.entries(KEPT))(
  '%s is kept when the stack is removed or replaces it, and deleted only if the deploy that created it rolls back (if ever)',
  (id, expected) => {
    // Prepare
    const resource = full.Resources[id];

    // Act
    const policies = { deletion: resource?.DeletionPolicy, updateReplace: resource?.UpdateReplacePolicy };

    // Assess
    expect(policies).toEqual(expected);
  },
);

test('plain Retain only where a rolled-back first deploy cannot leave it behind to block the retry', () => {
  // Prepare
  const resources = Object.entries(full.Resources);

  // Act
  const retained = resources
    .filter(([, resource]) => resource.DeletionPolicy === 'Retain')
    // The tables are created last (below). The framework keeps the function's old versions so that a rollback
    // can use them; a version has no name of its own, so one left behind blocks nothing.
    .filter(([id, resource]) => !TABLES.includes(id) && resource.Type !== 'AWS::Lambda::Version');

  // Assess
  expect(retained.map(([id]) => id)).toEqual([]);
});

test.each(TABLES)('%s is protected from deletion', (id) => {
  // Prepare
  const table = full.Resources[id];

  // Act
  const protection = table?.Properties.DeletionProtectionEnabled;

  // Assess
  expect(table?.Type).toBe('AWS::DynamoDB::Table');
  expect(protection).toBe(true);
});

test.each(STAGE_PARAMETER_COMBINATIONS.map((combination) => [combination.name, combination]))(
  'with %s, the tables are created after everything else the first deploy adds',
  async (_name, combination) => {
    // Prepare
    const dir = await packagedDirectory(combination);
    const created = await readTemplate(dir, CREATE_TEMPLATE_FILE);
    const template = await readTemplate(dir, UPDATE_TEMPLATE_FILE);
    const addedByTheUpdate = Object.entries(template.Resources)
      .filter(([id]) => !(id in created.Resources))
      .filter(([, resource]) => !resource.Condition || conditionHolds(template, resource.Condition))
      .map(([id]) => id);

    // Act
    const late = TABLES.flatMap((table) => {
      const before = dependenciesOf(template, table);
      return addedByTheUpdate
        .filter((id) => !TABLES.includes(id) && !before.has(id))
        .filter((id) => !AFTER_THE_TABLES_ALLOWED.some(({ matches }) => matches(id)))
        .map((id) => `${id} is not created before ${table}`);
    });

    // Assess
    expect(late).toEqual([]);
    for (const table of TABLES) expect(dependenciesOf(template, table).size).toBeGreaterThan(5);
  },
  300_000,
);

import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { conditionHolds, evaluate } from '../support/cloudformation-values';
import { sectionTableRows } from '../support/doc-table';
import { runInFlight } from '../support/in-flight';
import { packagedTemplate, type Template } from '../support/packaged-template';
import { ENRICH } from '../support/stage-parameter-combinations';

// AWS Control Tower's proactive controls, as AWS publishes them (cfn-guard rules), run over the template of
// `serverless package --stage prod`. A control that fails must be listed in docs/deploying.md's table as an
// accepted exception with its reason; the table is the one list, and it must say what really passes.

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const GUARD_PACKAGE = path.join(PROJECT_ROOT, 'node_modules', '@cdklabs', 'cdk-validator-cfnguard');
const RULES_DIR = path.join(GUARD_PACKAGE, 'rules', 'control-tower', 'cfn-guard');
const METADATA_DIR = path.join(GUARD_PACKAGE, 'rules', 'control-tower', 'metadata');
const CONTROLS_DOC = path.join('docs', 'deploying.md');
const CONTROLS_HEADING = '## AWS Control Tower controls';
const MAX_EXCEPTIONS = 6;
const PARALLEL_RUNS = 4;

type Verdict = 'PASS' | 'FAIL' | 'SKIP';

interface Control {
  id: string;
  name: string;
  resourceTypes: string[];
  rulesFile: string;
}

/** The cfn-guard binary the package ships for this machine. */
function guardBinary(): string {
  const os = { linux: 'ubuntu', darwin: 'macos' }[process.platform as string];
  const arch = { x64: 'x86_64', arm64: 'aarch64' }[process.arch as string];
  if (!os || !arch) throw new Error(`No cfn-guard binary for ${process.platform}/${process.arch}`);
  return path.join(GUARD_PACKAGE, 'bin', os, arch, 'cfn-guard');
}

/** Every Control Tower control the package ships, from its metadata. */
async function allControls(): Promise<Control[]> {
  const controls: Control[] = [];
  for (const service of await readdir(METADATA_DIR)) {
    for (const file of await readdir(path.join(METADATA_DIR, service))) {
      const metadata = JSON.parse(await readFile(path.join(METADATA_DIR, service, file), 'utf8')) as {
        Id: string;
        DisplayName: string;
        EvaluatedResourceTypes: string[];
      };
      controls.push({
        id: metadata.Id,
        name: metadata.DisplayName,
        resourceTypes: metadata.EvaluatedResourceTypes,
        rulesFile: path.join(RULES_DIR, service, file.replace('.metadata.json', '.guard')),
      });
    }
  }
  return controls;
}

/**
 * Control Tower runs these rules as CloudFormation hooks, on each resource CloudFormation creates, with its
 * properties resolved: conditions decided, `Fn::If` chosen, the account id, region and partition filled in.
 * The template is given to cfn-guard the same way (tests/support/cloudformation-values.ts); references to
 * other resources stay references, as the rules expect. Without this, a static rule reads `SourceAccount:
 * {Ref: AWS::AccountId}` or a log group's `Fn::If` between two keys as missing.
 */
function asTheHookSeesIt(template: Template): Template {
  const created = Object.entries(template.Resources).filter(
    ([, resource]) => resource.Condition === undefined || conditionHolds(template, resource.Condition),
  );
  const resolved = created.map(([id, resource]) => [
    id,
    { ...resource, Properties: evaluate(template, resource.Properties) },
  ]);
  return { ...template, Resources: Object.fromEntries(resolved) };
}

async function verdictOf(binary: string, dataFile: string, rulesFile: string): Promise<Verdict> {
  const args = ['validate', '--data', dataFile, '--rules', rulesFile, '--show-summary', 'pass,fail,skip'];
  const run = promisify(execFile)(binary, [...args, '--output-format', 'single-line-summary']);
  // cfn-guard exits 19 when a rule fails; its verdict line is the same either way.
  const stdout = await run.then(
    (result) => result.stdout,
    (error: { stdout?: string }) => {
      if (typeof error.stdout !== 'string') throw error;
      return error.stdout;
    },
  );
  const verdict = /Status = (PASS|FAIL|SKIP)/.exec(stdout)?.[1];
  if (!verdict) throw new Error(`No verdict from cfn-guard for ${rulesFile}:\n${stdout}`);
  return verdict as Verdict;
}

/** The documented table: control id → its verdict column ("passes", or "accepted exception: why"). */
async function documentedTable(): Promise<Map<string, string>> {
  const rows = new Map<string, string>();
  for (const [control, , verdict] of await sectionTableRows(CONTROLS_DOC, CONTROLS_HEADING)) {
    const id = /^`(CT\.[A-Z0-9.]+)`$/.exec(control ?? '')?.[1];
    if (id) rows.set(id, verdict ?? '');
  }
  return rows;
}

let verdicts: Map<string, { control: Control; verdict: Verdict }>;
let table: Map<string, string>;

beforeAll(async () => {
  // With the enricher: the defaults and every resource enrich=true adds (queues, mappings, its role and log).
  const template = await packagedTemplate(ENRICH);
  const dataFile = path.join(process.env.TEST_RUN_DIR ?? '', 'control-tower-template.json');
  await writeFile(dataFile, JSON.stringify(asTheHookSeesIt(template), null, 2));
  const present = new Set(Object.values(template.Resources).map((resource) => resource.Type));
  // A rule for resource types the template lacks can only SKIP: running it would cost time and prove nothing.
  const applicable = (await allControls()).filter((control) =>
    control.resourceTypes.some((type) => present.has(type)),
  );
  const binary = guardBinary();
  const results = await runInFlight(
    applicable.map((control) => () => verdictOf(binary, dataFile, control.rulesFile)),
    PARALLEL_RUNS,
  );
  verdicts = new Map(
    applicable.map((control, index) => [control.id, { control, verdict: results[index] as Verdict }]),
  );
  table = await documentedTable();
}, 120_000);

test('every failing control is an accepted exception in docs/deploying.md, with its reason', () => {
  // Prepare
  const failing = [...verdicts.values()].filter(({ verdict }) => verdict === 'FAIL');

  // Act
  const unexplained = failing
    .filter(({ control }) => !/^accepted exception: \S.{20,}/.test(table.get(control.id) ?? ''))
    .map(({ control }) => `${control.id} (${control.name})`);

  // Assess
  expect(unexplained).toEqual([]);
  expect(failing.length).toBeLessThanOrEqual(MAX_EXCEPTIONS);
});

test('docs/deploying.md lists exactly the controls that apply, and says passes only for those that pass', () => {
  // Prepare
  const measured = [...verdicts.entries()]
    .filter(([, { verdict }]) => verdict !== 'SKIP')
    .map(([id, { verdict }]) => `${id} ${verdict === 'PASS' ? 'passes' : 'accepted exception'}`)
    .sort();

  // Act
  const documented = [...table.entries()]
    .map(
      ([id, verdict]) => `${id} ${verdict.startsWith('accepted exception') ? 'accepted exception' : verdict}`,
    )
    .sort();

  // Assess
  expect(documented).toEqual(measured);
  expect(measured.filter((line) => line.endsWith('passes')).length).toBeGreaterThan(0);
});

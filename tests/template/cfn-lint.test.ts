import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { STAGE_PARAMETER_RULES } from '../../deploy/stage-parameters';
import { type CfnLintFinding, lintTemplates } from '../support/cfn-lint';
import { sectionTableRows } from '../support/doc-table';
import {
  CREATE_TEMPLATE_FILE,
  packagedDirectories,
  packagedDirectory,
  readTemplate,
  type Template,
  UPDATE_TEMPLATE_FILE,
} from '../support/packaged-template';
import { ENRICH, STAGE_PARAMETER_COMBINATIONS } from '../support/stage-parameter-combinations';

// AWS's CloudFormation linter over both templates `serverless deploy` sends (the stack's creation, then the
// update that adds everything), for every documented combination of stage parameters: it must report
// nothing. A check may be silenced only on a named resource (its Metadata), with the reason in
// docs/deploying.md's table; moto's ValidateTemplate runs the same linter through its Python API, which
// honours only such resource-level silences.

const SILENCED_DOC = path.join('docs', 'deploying.md');
const SILENCED_HEADING = "## Checks silenced in AWS's linter";

interface Silence {
  resource: string;
  check: string;
}

/** The checks a resource's Metadata silences (`cfn-lint: config: ignore_checks`). */
function silencesIn(template: Template): Silence[] {
  return Object.entries(template.Resources).flatMap(([resource, { Metadata }]) => {
    const config = (Metadata?.['cfn-lint'] as { config?: { ignore_checks?: string[] } } | undefined)?.config;
    return (config?.ignore_checks ?? []).map((check) => ({ resource, check }));
  });
}

/** The template with every resource's cfn-lint Metadata taken out: what the linter says without silences. */
function unsilenced(template: Template): Template {
  const resources = Object.entries(template.Resources).map(([id, resource]) => {
    const { 'cfn-lint': _silences, ...metadata } = resource.Metadata ?? {};
    return [id, { ...resource, Metadata: metadata }];
  });
  return { ...template, Resources: Object.fromEntries(resources) };
}

let directories: string[];
let findings: CfnLintFinding[];
let unsilencedFile: string;
/** The defaults with the enricher: every resource any combination holds, so every silence. */
let fullTemplate: Template;

beforeAll(async () => {
  directories = await packagedDirectories(STAGE_PARAMETER_COMBINATIONS);
  fullTemplate = await readTemplate(await packagedDirectory(ENRICH), UPDATE_TEMPLATE_FILE);
  unsilencedFile = path.join(process.env.TEST_RUN_DIR ?? '', 'unsilenced-update-stack.json');
  await writeFile(unsilencedFile, JSON.stringify(unsilenced(fullTemplate), null, 2));
  // One run over every file: cfn-lint's start-up takes seconds.
  const files = directories.flatMap((dir) => [
    path.join(dir, CREATE_TEMPLATE_FILE),
    path.join(dir, UPDATE_TEMPLATE_FILE),
  ]);
  findings = await lintTemplates([...files, unsilencedFile]);
}, 300_000);

test('every stage parameter is set away from its default by a linted combination', () => {
  // Prepare
  const names = Object.keys(STAGE_PARAMETER_RULES);

  // Act
  const set = new Set(
    STAGE_PARAMETER_COMBINATIONS.flatMap(({ params }) => params.map((param) => param.split('=')[0])),
  );

  // Assess
  expect(names.filter((name) => !set.has(name))).toEqual([]);
});

test.each(STAGE_PARAMETER_COMBINATIONS.map((combination, index) => [combination.name, index]))(
  'cfn-lint reports nothing on either template with %s',
  (_name, index) => {
    // Prepare
    const dir = directories[index as number] as string;

    // Act
    const found = findings.filter((finding) => path.dirname(finding.Filename) === dir);

    // Assess
    expect(
      found.map(
        (f) => `${f.Rule.Id} ${path.basename(f.Filename)}:${f.Location.Start.LineNumber} ${f.Message}`,
      ),
    ).toEqual([]);
  },
);

test('every silenced check is on a named resource and in docs/deploying.md with its reason, and nowhere else', async () => {
  // Prepare
  const rows = await sectionTableRows(SILENCED_DOC, SILENCED_HEADING);
  const documented = rows
    .filter(([resource]) => /^`\w+`$/.test(resource ?? ''))
    .map(([resource, check, reason]) => ({
      resource: resource?.slice(1, -1),
      check: check?.slice(1, -1),
      reason,
    }));

  // Act
  const silenced = silencesIn(fullTemplate);

  // Assess
  const key = ({ resource, check }: { resource?: string; check?: string }) => `${resource} ${check}`;
  expect(documented.map(key).sort()).toEqual(silenced.map(key).sort());
  for (const { reason } of documented) expect(reason).toMatch(/^\S.{30,}/);
  expect(fullTemplate.Metadata?.['cfn-lint']).toBeUndefined();
});

test('each silenced check would fire on its resource: no silence outlives its cause', () => {
  // Prepare
  const silenced = silencesIn(fullTemplate);

  // Act
  const fired = findings
    .filter((finding) => finding.Filename === unsilencedFile)
    .map((finding) => ({ resource: String(finding.Location.Path?.[1]), check: finding.Rule.Id }));

  // Assess
  const key = ({ resource, check }: Silence) => `${resource} ${check}`;
  expect([...new Set(fired.map(key))].sort()).toEqual(silenced.map(key).sort());
});

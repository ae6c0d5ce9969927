import { conditionHolds } from '../support/cloudformation-values';
import { packagedTemplate, type Template } from '../support/packaged-template';
import { STAGE_PARAMETER_COMBINATIONS } from '../support/stage-parameter-combinations';

// Stage parameters that decide what the stack holds reach the template as template parameters whose default
// is the stage parameter's value. `serverless deploy` passes no parameter values (osls sends `Parameters: []`,
// and CloudFormation then "uses the default value that's specified in your template"), so each deploy
// applies what the new template's defaults say; and the conditions compare a parameter, never two literals,
// which AWS's linter would flag (W8003) and then lint the branch not taken.

/** Template parameter → the stage parameter it carries, and how an empty value reads. */
const CARRIED: Record<string, string> = {
  LogKmsKeyArn: 'logKmsKeyArn',
  AlarmEmail: 'alarmEmail',
  SigningSecretParameter: 'signingSecretParameter',
  SigningSecretKmsKeyArn: 'signingSecretKmsKeyArn',
  Enrich: 'enrich',
};

/** Carried only with enrich=true, in the enricher's own resources (its role's grant names it). */
const CARRIED_WITH_THE_ENRICHER: Record<string, string> = { ApiKeyParameter: 'apiKeyParameter' };

const SERVERLESS_DEFAULTS: Record<string, string> = {
  logKmsKeyArn: '',
  alarmEmail: '',
  signingSecretParameter: '/freeclimb-call-records/prod/signing-secret',
  signingSecretKmsKeyArn: '',
  enrich: 'false',
  apiKeyParameter: '/freeclimb-call-records/prod/api-key',
};

/** Every Fn::Equals in a condition, with its two sides. */
function equalities(expression: unknown): unknown[][] {
  if (Array.isArray(expression)) return expression.flatMap(equalities);
  if (expression === null || typeof expression !== 'object') return [];
  return Object.entries(expression).flatMap(([key, inner]) =>
    key === 'Fn::Equals' ? [inner as unknown[], ...equalities(inner)] : equalities(inner),
  );
}

function refersToParameter(template: Template, side: unknown): boolean {
  const parameters = Object.keys(template.Parameters ?? {});
  return parameters.some((name) => JSON.stringify(side).includes(JSON.stringify({ Ref: name })));
}

test.each(STAGE_PARAMETER_COMBINATIONS.map((combination) => [combination.name, combination]))(
  'with %s, each template parameter defaults to its stage parameter and every condition tests one',
  async (_name, combination) => {
    // Prepare
    const template = await packagedTemplate(combination);
    const given = Object.fromEntries(combination.params.map((param) => param.split(/=(.*)/s).slice(0, 2)));

    // Act
    const defaults = Object.fromEntries(
      Object.entries(template.Parameters ?? {}).map(([name, parameter]) => [name, parameter.Default]),
    );
    const literalOnly = Object.entries(template.Conditions ?? {}).filter(([, expression]) =>
      equalities(expression).some((sides) => !sides.some((side) => refersToParameter(template, side))),
    );

    // Assess
    const carried = given.enrich === 'true' ? { ...CARRIED, ...CARRIED_WITH_THE_ENRICHER } : CARRIED;
    const expected = Object.fromEntries(
      Object.entries(carried).map(([name, stageParameter]) => [
        name,
        given[stageParameter] ?? SERVERLESS_DEFAULTS[stageParameter],
      ]),
    );
    expect(defaults).toEqual(expected);
    expect(literalOnly.map(([name]) => name)).toEqual([]);
    for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
      if (parameter.AllowedPattern)
        expect([name, String(parameter.Default)]).toEqual([
          name,
          expect.stringMatching(new RegExp(parameter.AllowedPattern)),
        ]);
    }
  },
  300_000,
);

test.each([
  [
    'defaults',
    {
      CreatesLogKey: true,
      HasAlarmEmail: false,
      SigningSecretParameterIsHierarchical: true,
      HasSigningSecretKey: false,
      Enriches: false,
    },
  ],
  [
    'enrich',
    {
      CreatesLogKey: true,
      HasAlarmEmail: false,
      SigningSecretParameterIsHierarchical: true,
      HasSigningSecretKey: false,
      Enriches: true,
      ApiKeyParameterIsHierarchical: true,
    },
  ],
  [
    'everything-set',
    {
      CreatesLogKey: false,
      HasAlarmEmail: true,
      SigningSecretParameterIsHierarchical: false,
      HasSigningSecretKey: true,
      Enriches: true,
      ApiKeyParameterIsHierarchical: false,
    },
  ],
])(
  'with %s, the conditions decide as the stage parameters say',
  async (name, expected) => {
    // Prepare
    const combination = STAGE_PARAMETER_COMBINATIONS.find((candidate) => candidate.name === name);
    const template = await packagedTemplate(combination);

    // Act
    const decided = Object.fromEntries(
      Object.keys(template.Conditions ?? {}).map((condition) => [
        condition,
        conditionHolds(template, condition),
      ]),
    );

    // Assess
    expect(decided).toEqual(expected);
  },
  300_000,
);

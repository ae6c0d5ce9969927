import { packagedTemplate } from '../support/packaged-template';
import { STAGE_PARAMETER_COMBINATIONS } from '../support/stage-parameter-combinations';

// The HTTP API stage throttles its default route (every route of this API) at the stage parameters'
// rate and burst, so a flood of requests cannot run up more than a bounded bill; the defaults are far above
// what FreeClimb sends a small team (docs/deploying.md, "Throttling, and what a flood costs").

test.each([
  ['defaults', 50, 100],
  ['everything-set', 5, 10],
])(
  'with %s, the stage throttles its default route at %d requests/s with a burst of %d',
  async (name, rate, burst) => {
    // Prepare
    const combination = STAGE_PARAMETER_COMBINATIONS.find((candidate) => candidate.name === name);
    const template = await packagedTemplate(combination);
    const stages = Object.values(template.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Stage');

    // Act
    const settings = stages.map((stage) => stage.Properties.DefaultRouteSettings as Record<string, unknown>);

    // Assess
    expect(settings).toHaveLength(1);
    const [route] = settings as [Record<string, unknown>];
    expect(Number(route.ThrottlingRateLimit)).toBe(rate);
    expect(Number(route.ThrottlingBurstLimit)).toBe(burst);
    // The framework's own setting in the same block stays.
    expect(route.DetailedMetricsEnabled).toBe(false);
  },
  300_000,
);

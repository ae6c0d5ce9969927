/**
 * Serverless Framework plugin: checks the stage parameters (deploy/stage-parameters.ts) before `package`,
 * `deploy` and `deploy function`, and stops with every problem named. The framework loads plugins with
 * require(), so this file is CommonJS; tsx loads the TypeScript rules, which reuse the function's own
 * configuration check.
 */
class StageParametersPlugin {
  constructor(serverless, options) {
    const check = () => this.check(serverless, options);
    this.hooks = {
      'before:package:initialize': check,
      'before:deploy:deploy': check,
      // `deploy function` also pushes the function's configuration (its environment) to Lambda.
      'before:deploy:function:initialize': check,
    };
  }

  check(serverless, options) {
    // Loaded here, not at start-up, so that commands that do not deploy (print, info) do not pay for it.
    const { require: requireTypeScript } = require('tsx/cjs/api');
    const { stageParameterProblems, functionConfigurationProblem } = requireTypeScript(
      './stage-parameters.ts',
      __filename,
    );
    const params = serverless.configurationInput.params ?? {};
    const stage = serverless.service.provider.stage;
    const problems = stageParameterProblems(
      {
        defaults: params.default ?? {},
        stage: params[stage] ?? {},
        commandLine: [options.param ?? []].flat(),
      },
      // `--region` or provider.region, as the framework resolved it.
      { region: serverless.service.provider.region },
    );
    if (problems.length > 0) {
      throw new serverless.classes.Error(
        `Stage parameters refused (stage "${stage}"):\n${problems.map((line) => `  - ${line}`).join('\n')}`,
      );
    }
    // Then the environment each function really gets, including what serverless.yml sets directly.
    for (const name of serverless.service.getAllFunctions()) {
      const environment = {
        ...stringsOnly(serverless.service.provider.environment),
        ...stringsOnly(serverless.service.getFunction(name).environment),
      };
      const problem = functionConfigurationProblem(environment, name);
      if (problem !== undefined) {
        throw new serverless.classes.Error(`Function "${name}" would refuse to start: ${problem}`);
      }
    }
  }
}

/** The plain-text values of an environment block (values CloudFormation computes are left out). */
function stringsOnly(environment) {
  return Object.fromEntries(
    Object.entries(environment ?? {})
      .filter(([, value]) => ['string', 'number'].includes(typeof value))
      .map(([name, value]) => [name, String(value)]),
  );
}

module.exports = StageParametersPlugin;

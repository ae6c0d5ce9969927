/**
 * The unit tests and the emulator tests once, and the integration and reliability tests once per local engine
 * (the same files, parameterised by the setup file that points them at their engine). Transpiled with SWC
 * for speed; `npm run typecheck` does the type checking.
 */
const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  setupFiles: ['<rootDir>/tests/support/worker-node.setup.ts'],
};

/**
 * dynalite: a community re-implementation, in jest's process. DynamoDB Local: AWS's own emulator (Java),
 * plus tests/dynamodb-local, which checks what only DynamoDB itself does.
 */
const engineProject = (engine, ownRoots = []) => ({
  ...shared,
  displayName: engine,
  roots: ['<rootDir>/tests/integration', '<rootDir>/tests/reliability', ...ownRoots],
  testMatch: ['**/*.test.ts'],
  globalSetup: `<rootDir>/tests/support/engines/${engine}.global-setup.ts`,
  setupFiles: [...shared.setupFiles, `<rootDir>/tests/support/engines/${engine}.setup.ts`],
});

module.exports = {
  // A global option: jest ignores it inside a project.
  testTimeout: 30000,
  // At least two workers: many files wait on a process of their own (an engine, moto, the framework, the AWS
  // CLI, cfn-lint, a nested jest), and a second worker runs another file meanwhile. On 2 cores jest's
  // default (cores - 1) is one, and each project took 1.4 to 2.4 times as long (docs/testing.md).
  maxWorkers: Math.max(2, require('node:os').availableParallelism() - 1),
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/tests/unit'], testMatch: ['**/*.test.ts'] },
    // Once, not per engine: the packaged templates, judged on their own and by AWS's linter (cfn-lint).
    {
      ...shared,
      displayName: 'template',
      roots: ['<rootDir>/tests/template'],
      testMatch: ['**/*.test.ts'],
      globalSetup: '<rootDir>/tests/support/cfn-lint.global-setup.ts',
    },
    // plus tests/dynalite: what needs an engine but not both (the benchmark's own engine is dynalite).
    engineProject('dynalite', ['<rootDir>/tests/dynalite']),
    engineProject('dynamodb-local', ['<rootDir>/tests/dynamodb-local']),
    // Once, not per engine: a real deploy on moto's AWS emulator and the IAM policy simulations.
    {
      ...shared,
      displayName: 'emulator',
      roots: ['<rootDir>/tests/emulator'],
      testMatch: ['**/*.test.ts'],
      globalSetup: '<rootDir>/tests/support/emulator.global-setup.ts',
      globalTeardown: '<rootDir>/tests/support/emulator.global-teardown.ts',
    },
  ],
};

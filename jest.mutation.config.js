const jestConfig = require('./jest.config.js');

/** The projects of jest.config.js, by name. */
const project = (name) => jestConfig.projects.find((candidate) => candidate.displayName === name);
const unit = project('unit');
const dynalite = project('dynalite');

/**
 * The jest configuration of mutation runs (stryker.config.js): the `unit` and `dynalite` projects of
 * jest.config.js as one flat configuration, because StrykerJS measures per-test coverage through the
 * top-level test environment, which jest's projects do not inherit. Deliberate choices, for run time (a
 * mutation run starts jest once per mutant, and must stay well under an hour on 2 cores):
 * - One engine, dynalite. The `dynamodb-local` project runs the same files against AWS's emulator: what it
 *   adds is the engine's behaviour, not a check of lib/'s logic, and it would start a JVM per jest run.
 * - The three scale tests of the reliability suite are left out: each drives the whole handler thousands of
 *   times, so it covers nearly every mutant and would add seconds to each. A mutation run asks whether the
 *   focused tests notice each change; `npm test` still runs the scale tests, on both engines.
 */
const SCALE_TESTS = [
  '/tests/reliability/hostile-input.test.ts',
  '/tests/reliability/failing-database.test.ts',
  '/tests/reliability/unverified-requests.test.ts',
];

module.exports = {
  rootDir: __dirname,
  testTimeout: jestConfig.testTimeout,
  testEnvironment: dynalite.testEnvironment,
  transform: dynalite.transform,
  // The support and code folders too: jest finds the tests related to a mutated file through its module map,
  // which holds only the roots' files, so a test that reaches lib/ through tests/support, cli/ or local/
  // would otherwise not be run for it.
  roots: [
    ...unit.roots,
    ...dynalite.roots,
    ...['tests/support', 'lib', 'handlers', 'cli', 'local'].map((dir) => `<rootDir>/${dir}`),
  ],
  testMatch: dynalite.testMatch,
  testPathIgnorePatterns: ['/node_modules/', ...SCALE_TESTS],
  setupFiles: dynalite.setupFiles,
  // Prepares the run as the root global setup does, then starts dynalite (in jest's process: cheap).
  globalSetup: dynalite.globalSetup,
  globalTeardown: jestConfig.globalTeardown,
};

/**
 * Mutation testing of lib/ with StrykerJS: `npm run test:mutation` (docs/testing.md, "Mutation testing"). A score
 * to read, not a CI gate: run it before a release and after any change to lib/. Which tests a mutation run
 * uses, and why only the dynalite engine, is in jest.mutation.config.js.
 */
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
module.exports = {
  mutate: ['lib/**/*.ts'],
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'jest.mutation.config.js', enableFindRelatedTests: true },
  // Each mutant runs only the tests that reached it in the first, instrumented run.
  coverageAnalysis: 'perTest',
  // A re-run tests only the mutants whose code or covering tests changed since the last run.
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, reportMutants: false, reportTests: false, reportScoreTable: true },
  tempDirName: '.stryker-tmp',
  concurrency: 2,
  // Thresholds only colour the table: the score is read, never a reason to fail the command.
  thresholds: { high: 95, low: 90, break: null },
};

import { BrokenBenchmarkError } from '../../bench/broken-benchmark-error';
import { esbuildOptionsOf } from '../../bench/esbuild-options';

// The benchmark bundles its SDK floor with the options serverless-esbuild derives from custom.esbuild.

describe("the benchmark's reading of custom.esbuild", () => {
  test('passes esbuild options through as written', () => {
    // Prepare
    const custom = {
      bundle: true,
      minify: true,
      mainFields: ['module', 'main'],
      target: 'node24',
      format: 'cjs',
    };

    // Act
    const options = esbuildOptionsOf(custom);

    // Assess
    expect(options).toEqual({ ...custom, external: [] });
  });

  test("turns the plugin's exclude into esbuild's external, after the external ones", () => {
    // Prepare
    const custom = { external: ['pg-native'], exclude: ['@aws-sdk/*', 'aws-sdk'] };

    // Act
    const options = esbuildOptionsOf(custom);

    // Assess
    expect(options).toEqual({ external: ['pg-native', '@aws-sdk/*', 'aws-sdk'] });
  });

  test('accepts a single string where a list is expected', () => {
    // Prepare
    const custom = { exclude: 'aws-sdk' };

    // Act
    const options = esbuildOptionsOf(custom);

    // Assess
    expect(options.external).toEqual(['aws-sdk']);
  });

  test("leaves nothing external for exclude '*', which hands every package to the plugin's packager", () => {
    // Prepare
    const custom = { exclude: ['*'], external: ['pg-native'] };

    // Act
    const options = esbuildOptionsOf(custom);

    // Assess
    expect(options.external).toEqual(['pg-native']);
  });

  test('refuses an exclude that is not strings', () => {
    // Prepare
    const custom = { exclude: [{ name: 'aws-sdk' }] };

    // Act
    const reading = () => esbuildOptionsOf(custom);

    // Assess
    expect(reading).toThrow(BrokenBenchmarkError);
  });
});

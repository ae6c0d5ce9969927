import type { BuildOptions } from 'esbuild';
import { BrokenBenchmarkError } from './broken-benchmark-error';

/**
 * The esbuild options serverless-esbuild builds from `custom.esbuild`, so the benchmark can bundle another
 * entry point as the function's handler is bundled. The plugin's own `exclude` becomes esbuild's `external`
 * (`*` leaves everything to its packager, which this project does not use); every other option goes to esbuild
 * as written, which refuses options it does not know. The start-up measurement checks the result: rebuilt
 * with these options, the handler must equal the one in the packaged zip byte for byte.
 */
export function esbuildOptionsOf(custom: Record<string, unknown>): BuildOptions {
  const { exclude, external, ...options } = custom;
  const excluded = stringsOf(exclude, 'exclude');
  return {
    ...(options as BuildOptions),
    external: [...stringsOf(external, 'external'), ...(excluded.includes('*') ? [] : excluded)],
  };
}

function stringsOf(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((item) => typeof item === 'string')) {
    throw new BrokenBenchmarkError(`custom.esbuild.${name} in serverless.yml is not a list of strings`);
  }
  return list;
}

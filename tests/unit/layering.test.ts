import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { PROJECT_ROOT } from '../../local/service-definition';

/**
 * The import directions between the top-level folders, as each folder's README.md states them. A target is a
 * folder (`lib`) or one module of a folder (`local/local-target`); npm packages and Node built-ins are always
 * allowed. The domain sits at the bottom and the shipped surfaces sit on it; development tooling may reach
 * into the shipped code, never the other way round.
 */
const ALLOWED_IMPORTS: Record<string, readonly string[]> = {
  lib: ['lib'],
  handlers: ['handlers', 'lib'],
  // The CLI finds `npm start` through the record it leaves and reads the local stage's tables from the
  // service definition; nothing else of the local runtime.
  cli: ['cli', 'lib', 'local/local-target', 'local/service-definition', 'local/local-dynamodb'],
  local: ['local', 'lib', 'handlers'],
  bench: ['bench', 'lib', 'handlers', 'local'],
  deploy: ['deploy', 'lib'],
  tests: ['tests', 'lib', 'handlers', 'cli', 'local', 'bench', 'deploy'],
};

const CODE_FILE = /\.(ts|js)$/;

interface ImportEdge {
  /** The importing file, relative to the project root. */
  file: string;
  /** The specifier as written. */
  specifier: string;
  /** What it resolves to, relative to the project root, without extension. */
  target: string;
}

/** The relative imports of one source file (static, `require`, dynamic with a literal), resolved. */
function relativeImportsOf(file: string, source: string): ImportEdge[] {
  const { importedFiles } = ts.preProcessFile(source, true, true);
  return importedFiles
    .map(({ fileName }) => fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => ({
      file,
      specifier,
      target: path.posix.join(path.posix.dirname(file), specifier).replace(CODE_FILE, ''),
    }));
}

/** The edges that break `ALLOWED_IMPORTS`, including imports that leave the project or a folder with no rule. */
function forbiddenImports(edges: readonly ImportEdge[]): ImportEdge[] {
  return edges.filter(({ file, target }) => {
    const allowed = ALLOWED_IMPORTS[file.split('/')[0] ?? ''];
    if (!allowed || target.startsWith('..')) return true;
    return !allowed.some((rule) => target === rule || target.startsWith(`${rule}/`));
  });
}

/** Folders at the top that git ignores (build output, local data): plain `name/` lines of .gitignore. */
function ignoredFolders(): Set<string> {
  const lines = readFileSync(path.join(PROJECT_ROOT, '.gitignore'), 'utf8').split('\n');
  return new Set(lines.filter((line) => /^[\w.-]+\/$/.test(line)).map((line) => line.slice(0, -1)));
}

/** Every .ts and .js file under the project's own top-level folders, relative to the root. */
function projectCodeFiles(): string[] {
  const ignored = ignoredFolders();
  const topFolders = readdirSync(PROJECT_ROOT, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !ignored.has(entry.name))
    .map((entry) => entry.name);
  return topFolders.flatMap((folder) =>
    readdirSync(path.join(PROJECT_ROOT, folder), { recursive: true, encoding: 'utf8' })
      .filter((name) => CODE_FILE.test(name) && !name.split(path.sep).includes('fixtures'))
      .map((name) => path.posix.join(folder, name.split(path.sep).join('/'))),
  );
}

describe('the import directions between top-level folders', () => {
  it('hold for every source file', () => {
    // Prepare
    const files = projectCodeFiles();

    // Act
    const edges = files.flatMap((file) =>
      relativeImportsOf(file, readFileSync(path.join(PROJECT_ROOT, file), 'utf8')),
    );
    const forbidden = forbiddenImports(edges);

    // Assess
    expect(files).toEqual(expect.arrayContaining(['lib/call-store.ts', 'cli/main.ts', 'local/start.ts']));
    expect(edges.length).toBeGreaterThan(100);
    expect(forbidden.map(({ file, specifier }) => `${file} imports ${specifier}`)).toEqual([]);
  });

  it('find a static, a require and a dynamic import that go the wrong way', () => {
    // Prepare
    const source = [
      "import { runCli } from '../cli/main';",
      "const target = require('../local/local-target');",
      "const definition = import('./call-store');",
      "const handler = import('../handlers/call-status');",
    ].join('\n');

    // Act
    const forbidden = forbiddenImports(relativeImportsOf('lib/example.ts', source));

    // Assess
    expect(forbidden.map(({ target }) => target)).toEqual([
      'cli/main',
      'local/local-target',
      'handlers/call-status',
    ]);
  });

  it('let the CLI reach only the parts of the local runtime that find `npm start`', () => {
    // Prepare
    const source = "import { startLocalServer } from '../local/local-server';";

    // Act
    const forbidden = forbiddenImports(relativeImportsOf('cli/example.ts', source));

    // Assess
    expect(forbidden.map(({ target }) => target)).toEqual(['local/local-server']);
  });

  it('reject code in a top-level folder with no rule, and imports that leave the project', () => {
    // Prepare
    const edges = [
      ...relativeImportsOf('scripts/example.ts', "import '../lib/config';"),
      ...relativeImportsOf('lib/example.ts', "import '../../elsewhere/config';"),
    ];

    // Act
    const forbidden = forbiddenImports(edges);

    // Assess
    expect(forbidden).toHaveLength(2);
  });
});

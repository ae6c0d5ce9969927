import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../local/service-definition';

// Every relative link in the README, docs/ and the folders' READMEs must reach a file that exists, and its
// `#anchor` a heading of that file, by the slugs GitHub gives headings.

/** Fenced code blocks and inline code: links and headings there are text, not Markdown. */
function withoutCode(markdown: string): string {
  return markdown.replace(/^(```|~~~)[\s\S]*?^\1/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchor for a heading: its text lower-cased, punctuation dropped, spaces → `-`. */
function slugOf(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/<[^>]+>/g, '');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown file's headings; a repeated heading gets `-1`, `-2`, … as on GitHub. */
function anchorsOf(markdown: string): Set<string> {
  const withoutFences = markdown.replace(/^(```|~~~)[\s\S]*?^\1/gm, '');
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of withoutFences.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const slug = slugOf(match[1] as string);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Relative link targets of a Markdown file (inline and reference-style), outside code. */
function relativeLinksOf(markdown: string): string[] {
  const text = withoutCode(markdown);
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] as string);
  const references = [...text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map(
    (m) => m[1] as string,
  );
  return [...inline, ...references].filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/**
 * The links of `file` (relative to the project root) that do not resolve; `read` returns a file's text,
 * '' for a folder, or undefined when nothing is there.
 */
function brokenLinks(file: string, read: (file: string) => string | undefined): string[] {
  const markdown = read(file) ?? '';
  return relativeLinksOf(markdown).filter((link) => {
    const [target = '', anchor] = link.split('#', 2);
    const targetFile = target === '' ? file : path.posix.join(path.posix.dirname(file), decodeURI(target));
    const content = read(targetFile);
    if (content === undefined || targetFile.startsWith('..')) return true;
    if (anchor === undefined) return false;
    return !anchorsOf(content).has(decodeURIComponent(anchor).toLowerCase());
  });
}

function readProjectFile(file: string): string | undefined {
  const full = path.join(PROJECT_ROOT, file);
  if (!existsSync(full)) return undefined;
  return statSync(full).isDirectory() ? '' : readFileSync(full, 'utf8');
}

/** README.md, docs/*.md, and the README.md of every top-level folder and of its sub-folders. */
function documentationFiles(): string[] {
  const docs = readdirSync(path.join(PROJECT_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  const folders = readdirSync(PROJECT_ROOT, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules')
    .map((entry) => entry.name);
  const folderReadmes = folders.flatMap((folder) =>
    readdirSync(path.join(PROJECT_ROOT, folder), { recursive: true, encoding: 'utf8' })
      .filter((name) => path.basename(name) === 'README.md')
      .map((name) => path.posix.join(folder, name.split(path.sep).join('/'))),
  );
  return ['README.md', ...docs, ...folderReadmes];
}

describe('the links of the documentation', () => {
  it('all resolve, anchors included', () => {
    // Prepare
    const files = documentationFiles();

    // Act
    const links = files.flatMap((file) => relativeLinksOf(readProjectFile(file) ?? ''));
    const broken = files.flatMap((file) =>
      brokenLinks(file, readProjectFile).map((link) => `${file}: ${link}`),
    );

    // Assess
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/operating.md', 'lib/README.md']));
    expect(links.length).toBeGreaterThan(20);
    expect(broken).toEqual([]);
  });

  it('find a missing file, a missing anchor and a link out of the project', () => {
    // Prepare
    const files: Record<string, string> = {
      'README.md': [
        '# Title',
        'See [the guide](docs/guide.md#set-up), [nothing](docs/none.md), [up](../other.md),',
        '[a typo](docs/guide.md#setup) and [the web](https://example.com/#x).',
      ].join('\n'),
      'docs/guide.md': '# Guide\n\n## Set up\n',
    };

    // Act
    const broken = brokenLinks('README.md', (file) => files[file]);

    // Assess
    expect(broken).toEqual(['docs/none.md', '../other.md', 'docs/guide.md#setup']);
  });

  it("follow GitHub's slugs: lower case, punctuation dropped, spaces to dashes, repeats numbered", () => {
    // Prepare
    const markdown = [
      '# Operating it: the CLI, the alarm',
      '## The call log: its key from the write rate',
      '## `calls` and `summary`',
      '## Notes',
      '## Notes',
      '```sh',
      '# not a heading',
      '```',
      '## Notes',
    ].join('\n');

    // Act
    const anchors = anchorsOf(markdown);

    // Assess
    expect([...anchors]).toEqual([
      'operating-it-the-cli-the-alarm',
      'the-call-log-its-key-from-the-write-rate',
      'calls-and-summary',
      'notes',
      'notes-1',
      'notes-2',
    ]);
  });
});

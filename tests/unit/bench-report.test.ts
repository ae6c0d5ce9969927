import { readOptions } from '../../bench/options';
import { describeRun, duration, type Report, toMarkdown, toText } from '../../bench/report';

// The report carries the run's time and the machine's load, so a reader can weigh the absolute figures.

const run = { durationMs: 151_400, loadAtStart: [0.44, 0.69, 0.36], loadAtEnd: [1.67, 1.01, 0.5], cores: 2 };

function reportOf(): Report {
  return {
    date: '2026-12-05T15:00:00.000Z',
    command: 'npm run bench',
    machine: 'Node v24.21.0, 2 × CPU, linux/x64',
    run,
    rows: [{ figure: 'a figure', value: '1 vs 2', ratio: '0.50×' }],
    sections: [],
    notes: [],
    raw: {},
  };
}

describe("the benchmark's run time", () => {
  test.each([
    [0, '0 s'],
    [59_400, '59 s'],
    [59_600, '1 min 0 s'],
    [125_400, '2 min 5 s'],
    [392_000, '6 min 32 s'],
  ])('reads %d ms as %s', (ms, text) => {
    // Prepare, Act
    const shown = duration(ms);

    // Assess
    expect(shown).toBe(text);
  });

  test('is said with the load averages at both ends and the cores', () => {
    // Prepare, Act
    const sentence = describeRun(run);

    // Assess
    expect(sentence).toBe(
      'Run time 2 min 31 s; load average (1, 5, 15 min) 0.44 0.69 0.36 at the start, 1.67 1.01 0.50 at the end, on 2 cores.',
    );
  });

  test('is in the Markdown report under its command line, and at the end of the terminal report', () => {
    // Prepare
    const report = reportOf();
    const options = readOptions([]);
    if (options === 'help') throw new Error('no options read');

    // Act
    const markdown = toMarkdown(report, options).split('\n');
    const text = toText(report).split('\n');

    // Assess
    expect(markdown.slice(2, 5)).toEqual([
      '`npm run bench` on Node v24.21.0, 2 × CPU, linux/x64; 2000 events per side and level, 32 in flight.',
      '',
      describeRun(run),
    ]);
    expect(text.at(-1)).toBe(describeRun(run));
  });
});

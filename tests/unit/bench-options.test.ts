import { DEFAULT_CALL_LOG_RECORDS, readOptions } from '../../bench/options';

// The whole benchmark must stay within a few minutes: the call log's Scan baseline is what grows fastest.

describe("the benchmark's call log size", () => {
  test('is 5,000 records, then 50,000, unless asked otherwise', () => {
    // Prepare, Act
    const options = readOptions([]);

    // Assess
    expect(options).toMatchObject({ callLogRecords: 5000 });
    expect(DEFAULT_CALL_LOG_RECORDS).toBe(5000);
  });

  test('is 2,000 in a quick run', () => {
    // Prepare, Act
    const options = readOptions(['--quick']);

    // Assess
    expect(options).toMatchObject({ callLogRecords: 2000 });
  });

  test('takes a larger table from the command line', () => {
    // Prepare, Act
    const options = readOptions(['--call-log-records', '20000']);

    // Assess
    expect(options).toMatchObject({ callLogRecords: 20_000 });
  });
});

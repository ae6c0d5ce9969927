import {
  AWS_CALL_BUDGET,
  createDocumentClient,
  createSqsClient,
  createSsmClient,
} from '../../lib/aws-clients';

// Every client the functions use must give up within the budget the reliability suite checks against the
// function's timeout; an unbounded SSM read on a cold start would use that time up before the 503.

describe('AWS clients', () => {
  test.each([
    ['DynamoDB', () => createDocumentClient().config],
    ['SSM', () => createSsmClient().config],
    ['SQS', () => createSqsClient().config],
  ])('the %s client retries at most the budgeted attempts with bounded timeouts', async (_name, configOf) => {
    // Prepare
    const config = configOf();

    // Act
    const maxAttempts = await config.maxAttempts();
    const handlerConfig = await (
      config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> }
    ).configProvider;

    // Assess
    expect(maxAttempts).toBe(AWS_CALL_BUDGET.maxAttempts);
    expect(handlerConfig).toMatchObject({
      connectionTimeout: AWS_CALL_BUDGET.connectionTimeoutMs,
      requestTimeout: AWS_CALL_BUDGET.requestTimeoutMs,
      throwOnRequestTimeout: true,
    });
  });

  test('the SQS client sends to its endpoint, not to the host a queue URL names', () => {
    // Act
    const { useQueueUrlAsEndpoint } = createSqsClient().config;

    // Assess
    expect(useQueueUrlAsEndpoint).toBe(false);
  });
});

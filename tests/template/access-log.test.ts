import { packagedTemplate } from '../support/packaged-template';

// The HTTP API's access log line must stay one valid JSON object whatever a request carries. API Gateway
// writes each $context value into the format as it is, without JSON escaping, so a `"` or `\` in a value
// that a client controls (its User-Agent) or that is free text (error messages) would break the line. Only
// variables whose values API Gateway gives a fixed form may appear; every other variable is given a hostile
// value here, so adding one fails this test. The forms are from AWS's list of HTTP API logging variables
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html).

const HOSTILE = 'say "hi" \\ "},{"status":"200';

/** Variables whose value has a fixed form, with examples of every form it takes ("-" when absent). */
const FIXED_FORM: Record<string, string[]> = {
  // "The ID that API Gateway assigns to the API request", as in the apigw-requestid response header.
  '$context.requestId': ['JpQyNhTnIAMEbXA=', '-'],
  // "The CLF-formatted request time (dd/MMM/yyyy:HH:mm:ss +-hhmm)".
  '$context.requestTime': ['05/Dec/2026:15:00:54 +0000'],
  // "The source IP address of the TCP connection making the request": IPv4 or IPv6.
  '$context.identity.sourceIp': ['203.0.113.7', '2001:db8::7'],
  // "The route key of the API request": one of this API's routes, or "-" when none matched.
  '$context.routeKey': ['POST /freeclimb/call-status', '-'],
  '$context.status': ['204', '429'],
  '$context.responseLength': ['0', '-'],
  '$context.responseLatency': ['12', '-'],
  '$context.integrationStatus': ['200', '-'],
  '$context.integrationLatency': ['9', '-'],
  // "A type of GatewayResponse": an identifier such as THROTTLED or DEFAULT_4XX.
  '$context.error.responseType': ['THROTTLED', 'DEFAULT_4XX', '-'],
};

/** The line API Gateway would write: each variable replaced by the value `valueFor` gives it. */
function line(format: string, valueFor: (variable: string) => string): string {
  return format.replace(/\$context\.[A-Za-z0-9.]*[A-Za-z0-9]/g, valueFor);
}

let format: string;

beforeAll(async () => {
  const template = await packagedTemplate();
  const stage = Object.values(template.Resources).find((r) => r.Type === 'AWS::ApiGatewayV2::Stage');
  if (!stage) throw new Error('No HTTP API stage in the template');
  format = (stage.Properties.AccessLogSettings as { Format: string }).Format;
}, 300_000);

test('the access log is one JSON object per line whatever each variable holds', () => {
  // Prepare
  const variables = [...new Set(format.match(/\$context\.[A-Za-z0-9.]*[A-Za-z0-9]/g) ?? [])];
  const rounds = Math.max(...Object.values(FIXED_FORM).map((forms) => forms.length));

  // Act
  const lines = Array.from({ length: rounds }, (_, round) => {
    const values = new Map(
      variables.map((variable) => {
        const forms = FIXED_FORM[variable];
        return [variable, forms ? (forms[round % forms.length] as string) : HOSTILE];
      }),
    );
    return { values, text: line(format, (variable) => values.get(variable) as string) };
  });

  // Assess
  expect(variables.length).toBeGreaterThan(5);
  for (const { values, text } of lines) {
    expect(text).not.toContain('\n');
    const parsed = JSON.parse(text) as Record<string, string>;
    // Every variable comes back as exactly what API Gateway put in, under its own field.
    expect(Object.values(parsed).sort()).toEqual(variables.map((variable) => values.get(variable)).sort());
  }
});

test('neither the signature nor any header or body can be in the access log', () => {
  // Prepare
  const variables = format.match(/\$context\.[A-Za-z0-9.]*[A-Za-z0-9]/g) ?? [];

  // Act
  const unexpected = variables.filter((variable) => !(variable in FIXED_FORM));

  // Assess
  expect(unexpected).toEqual([]);
  expect(format).not.toMatch(/header|body|signature/i);
});

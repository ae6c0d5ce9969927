import { DUMMY_CREDENTIALS } from './local-dynamodb';
import type { ServiceDefinition } from './service-definition';

/** Variables only the AWS deployment uses: locally the signing secret comes from FREECLIMB_SIGNING_SECRET. */
const AWS_ONLY_VARIABLES = new Set(['FREECLIMB_SIGNING_SECRET_PARAMETER', 'NODE_OPTIONS']);
/** Must name the tables just created locally, whatever the shell says. */
const ALWAYS_FROM_DEFINITION = new Set(['CALLS_TABLE', 'REJECTED_TABLE']);

/**
 * Gives this process the environment Lambda gives the function (serverless.yml's `provider.environment`),
 * pointed at a local DynamoDB endpoint with dummy credentials. Call it before the handler is imported: the
 * handler reads its configuration at module load. A variable already set in the shell wins (e.g.
 * `POWERTOOLS_LOG_LEVEL=DEBUG`), except the table names.
 */
export function applyLocalEnvironment(definition: ServiceDefinition, dynamodbEndpoint: string): void {
  for (const [name, value] of Object.entries(definition.environment)) {
    if (AWS_ONLY_VARIABLES.has(name)) continue;
    if (process.env[name] === undefined || ALWAYS_FROM_DEFINITION.has(name)) process.env[name] = value;
  }
  // With a parameter name set the handler would go to SSM; unset, it uses FREECLIMB_SIGNING_SECRET.
  delete process.env.FREECLIMB_SIGNING_SECRET_PARAMETER;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodbEndpoint;
  process.env.AWS_REGION = definition.region || 'us-east-1';
  // Never let real credentials from the shell travel along, even to a local engine.
  process.env.AWS_ACCESS_KEY_ID = DUMMY_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = DUMMY_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
}

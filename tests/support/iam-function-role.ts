import { EXAMPLE_PSEUDO_PARAMETERS, evaluate } from './cloudformation-values';
import { accountKeyPolicy } from './iam-account-key-policy';
import { type PolicyDocument, type SimulatedVerdict, simulate } from './iam-simulation';
import type { Resource, Template } from './packaged-template';

/**
 * A function's own role as IAM would hold it once a packaged template is deployed in the example account and
 * region: the policies its session carries, and the KMS key policies that decide with them. References to the
 * stack's resources get the names and ARNs those resources would have (a key's id is an example: AWS picks it).
 */

/** The id CloudFormation's KMS keys get here; AWS picks a random one. */
export const EXAMPLE_STACK_KEY_ID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

/** The role a function runs under, as its session presents it. */
export interface FunctionRole {
  functionName: string;
  roleName: string;
  /** Lambda's session of the role, named after the function: the principal of every call the code makes. */
  session: string;
  policies: PolicyDocument[];
  /** The function's environment as deployed (names the code reads). */
  environment: Record<string, string>;
  /** Key policies of the keys the stack creates, by ARN. */
  stackKeyPolicies: Map<string, PolicyDocument>;
}

/** Thrown for a reference to a resource type this file does not name yet (add it to PHYSICAL). */
export class UnnamedReferenceError extends Error {
  constructor(logicalId: string, type: string, what: string) {
    super(`${what} of ${logicalId} (${type}) has no example value in tests/support/iam-function-role.ts`);
    this.name = 'UnnamedReferenceError';
  }
}

/** What `Ref` and `Fn::GetAtt …Arn` give for the resource types a role refers to. */
const PHYSICAL: Record<
  string,
  {
    ref(resource: Resource, arn: (rest: string) => string): string;
    arn(ref: string, arn: (rest: string) => string): string;
  }
> = {
  'AWS::Logs::LogGroup': {
    ref: (resource) => resource.Properties.LogGroupName as string,
    // GetAtt Arn of a log group ends in `:*`.
    arn: (name, arn) => arn(`logs:log-group:${name}:*`),
  },
  'AWS::DynamoDB::Table': {
    ref: (resource) => resource.Properties.TableName as string,
    arn: (name, arn) => arn(`dynamodb:table/${name}`),
  },
  'AWS::KMS::Key': {
    ref: () => EXAMPLE_STACK_KEY_ID,
    arn: (id, arn) => arn(`kms:key/${id}`),
  },
  // Ref of a queue is its URL; its ARN ends in its name.
  'AWS::SQS::Queue': {
    ref: (resource, arn) => {
      const [, , , region, account] = arn('sqs:queue').split(':');
      return `https://sqs.${region}.amazonaws.com/${account}/${resource.Properties.QueueName as string}`;
    },
    arn: (url, arn) => arn(`sqs:${url.split('/').pop() as string}`),
  },
};

/**
 * The role of the function `functionId` (its logical id), with the template's parameters at their
 * defaults, as `serverless deploy` leaves them.
 */
export function functionRole(
  template: Template,
  functionId: string,
  pseudo = EXAMPLE_PSEUDO_PARAMETERS,
): FunctionRole {
  const fn = template.Resources[functionId];
  if (fn?.Type !== 'AWS::Lambda::Function') throw new Error(`${functionId} is not a function`);
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];
  const role = roleId === undefined ? undefined : template.Resources[roleId];
  if (!roleId || role?.Type !== 'AWS::IAM::Role') {
    throw new Error(`${functionId} runs under no role of the stack (Role must be Fn::GetAtt of an IAM role)`);
  }
  const resolve = (value: unknown) =>
    evaluate(template, withResources(template, value, pseudo), pseudo) as unknown;
  const functionName = resolve(fn.Properties.FunctionName) as string;
  const roleName = resolve(role.Properties.RoleName) as string;
  const policies = (resolve(role.Properties.Policies) as Array<{ PolicyDocument: PolicyDocument }>).map(
    (policy) => policy.PolicyDocument,
  );
  const unresolved = JSON.stringify(policies).match(/"(Ref|Fn::[A-Za-z]+)"/);
  if (unresolved) throw new Error(`${roleId}'s policies still hold ${unresolved[1]} after evaluation`);
  const { 'AWS::Partition': partition, 'AWS::AccountId': account } = pseudo;
  return {
    functionName,
    roleName,
    session: `arn:${partition}:sts::${account}:assumed-role/${roleName}/${functionName}`,
    policies,
    environment: (resolve(fn.Properties.Environment) as { Variables: Record<string, string> }).Variables,
    stackKeyPolicies: stackKeyPolicies(template, pseudo),
  };
}

/** The key policies of the KMS keys the stack creates, by the ARN each key gets here. */
export function stackKeyPolicies(
  template: Template,
  pseudo = EXAMPLE_PSEUDO_PARAMETERS,
): Map<string, PolicyDocument> {
  const resolve = (value: unknown) => evaluate(template, withResources(template, value, pseudo), pseudo);
  return new Map(
    Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::KMS::Key')
      .map(([id, key]) => [
        resolve({ 'Fn::GetAtt': [id, 'Arn'] }) as string,
        resolve(key.Properties.KeyPolicy) as PolicyDocument,
      ]),
  );
}

/** `value` with every Ref and GetAtt Arn of a stack resource replaced by what the resource would be. */
function withResources(template: Template, value: unknown, pseudo: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((inner) => withResources(template, inner, pseudo));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [name, argument] = entries[0] ?? [];
  const arn = (rest: string) => {
    const [service, ...resource] = rest.split(':');
    return `arn:${pseudo['AWS::Partition']}:${service}:${pseudo['AWS::Region']}:${pseudo['AWS::AccountId']}:${resource.join(':')}`;
  };
  const target = (id: unknown) => (typeof id === 'string' ? template.Resources[id] : undefined);
  if (entries.length === 1 && name === 'Ref' && target(argument)) {
    const resource = target(argument) as Resource;
    const physical = PHYSICAL[resource.Type];
    if (!physical) throw new UnnamedReferenceError(argument as string, resource.Type, 'Ref');
    return physical.ref(resource, arn);
  }
  if (entries.length === 1 && name === 'Fn::GetAtt') {
    const [id, attribute] = argument as [string, string];
    const resource = target(id);
    const physical = resource ? PHYSICAL[resource.Type] : undefined;
    if (!resource || !physical || attribute !== 'Arn') {
      throw new UnnamedReferenceError(id, resource?.Type ?? 'not in the stack', `GetAtt ${attribute}`);
    }
    return physical.arn(physical.ref(resource, arn), arn);
  }
  return Object.fromEntries(entries.map(([key, inner]) => [key, withResources(template, inner, pseudo)]));
}

/**
 * IAM's verdict on one request a function's session makes: its role's policies, and for a KMS call the key's
 * own policy (a stack key's, or one that lets the account's IAM policies count, as a given key's must).
 */
export function simulateAsFunction(
  role: FunctionRole,
  request: { action: string; resource: string; context?: Record<string, string> },
  pseudo = EXAMPLE_PSEUDO_PARAMETERS,
): Promise<SimulatedVerdict> {
  const accountId = pseudo['AWS::AccountId'] as string;
  return simulate(
    { principal: role.session, ...request, accountId },
    {
      identity: role.policies,
      ...(request.action.startsWith('kms:')
        ? { resource: role.stackKeyPolicies.get(request.resource) ?? accountKeyPolicy(accountId) }
        : {}),
    },
  );
}

import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';

/**
 * IAM's verdict on one request, from an IAM policy simulator (`@cloud-copilot/iam-simulate`, which knows
 * AWS's actions, resource types and condition keys) rather than a hand-written matcher. An action, ARN or
 * context key the simulator does not accept is an error, never a quiet "denied". Its data has known gaps,
 * each listed below with why; a request that meets one is evaluated by the same engine without the check it
 * cannot make, and says so (`unchecked`).
 */

export type IamVerdict = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** The simulator's verdict, and what it could not check itself. */
export interface SimulatedVerdict {
  result: IamVerdict;
  /** Whether it also validated the action against the resource's type. */
  validated: boolean;
  /** Context keys its data does not know for the action, evaluated as given (see CONTEXT_KEY_GAPS). */
  unchecked: string[];
}

/** An IAM policy document, as a template or AWS holds it. */
export interface PolicyDocument {
  Version: string;
  Statement: unknown[];
}

/** A request as IAM sees it. */
export interface IamRequest {
  /**
   * Who asks: a role's session (`arn:aws:sts::123456789012:assumed-role/name/session`), or for
   * AssumeRoleWithWebIdentity the identity provider the token comes from (`…:oidc-provider/<host>`).
   */
  principal: string;
  action: string;
  /** The resource's ARN, or `*` for an action that names none. */
  resource: string;
  /** The account that owns the resource. */
  accountId: string;
  context?: Record<string, string | string[]>;
}

/** Thrown when the simulator refuses the request itself (unknown action, ARN of the wrong type, bad key). */
export class IamSimulationError extends Error {
  constructor(request: IamRequest, details: unknown) {
    super(`The simulator refused ${request.action} on ${request.resource}: ${JSON.stringify(details)}`);
    this.name = 'IamSimulationError';
  }
}

/**
 * Its data knows API Gateway V2's resource types (`/apis/…`) but lists only V1's for `apigateway:GET|POST|
 * PUT|PATCH|DELETE`, so those requests are evaluated without that check.
 */
const API_GATEWAY_V2_PATH = /^arn:[^:]+:apigateway:[^:]*::\/apis(\/|$)/;

/**
 * Context keys IAM evaluates that the simulator leaves out of a request, because its data (AWS's service
 * authorization reference) does not list them for the action or because it matches a key's variable part
 * only after a `/`. A key outside this list that it leaves out is an error.
 */
const CONTEXT_KEY_GAPS: Array<(lowerCaseKey: string) => boolean> = [
  // AWS KMS lists `kms:EncryptionContext:${EncryptionContextKey}`; the simulator matches a variable part only
  // after a `/`, and an encryption context key follows a `:`.
  (key) => key.startsWith('kms:encryptioncontext:'),
  // IAM's "Available keys for OIDC federation" (`<provider>:aud`, `<provider>:sub`) on
  // AssumeRoleWithWebIdentity: the reference lists GitHub's other claims (actor, environment, …), not these two.
  (key) => ['aud', 'sub'].some((claim) => key === `token.actions.githubusercontent.com:${claim}`),
];

/**
 * Verdicts already given in this test file, by request and policies: the same request recurs often (the
 * deployer's calls for every combination of stage parameters are mostly the same ones), and a verdict
 * depends on nothing else.
 */
const verdicts = new Map<string, Promise<SimulatedVerdict>>();

/**
 * The verdict of the identity `policies` (and the resource's own policy, such as a KMS key policy or a role's
 * trust policy) on `request`. `aws:ResourceAccount` is set to the resource's account, as AWS sets it on every
 * request. Each distinct request is simulated once per test file.
 */
export function simulate(
  request: IamRequest,
  policies: { identity: PolicyDocument[]; resource?: PolicyDocument },
): Promise<SimulatedVerdict> {
  const key = JSON.stringify([request, policies]);
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    verdict = simulateAnew(request, policies);
    verdicts.set(key, verdict);
  }
  // A copy for each caller: none can change another's.
  return verdict.then((given) => ({ ...given, unchecked: [...given.unchecked] }));
}

async function simulateAnew(
  request: IamRequest,
  policies: { identity: PolicyDocument[]; resource?: PolicyDocument },
): Promise<SimulatedVerdict> {
  const simulation: Simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.accountId },
      contextVariables: { 'aws:ResourceAccount': request.accountId, ...request.context },
    },
    identityPolicies: policies.identity.map((policy, index) => ({ name: `policy${index}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(policies.resource ? { resourcePolicy: policies.resource } : {}),
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') {
    const knownGap =
      result.errors.message === 'no.resource.types' && API_GATEWAY_V2_PATH.test(request.resource);
    if (!knownGap) throw new IamSimulationError(request, result.errors);
    return { result: unvalidated(simulation), validated: false, unchecked: [] };
  }
  const ignored = [
    ...new Set(
      result.resultType === 'single'
        ? (result.result.ignoredContextKeys ?? [])
        : result.results.flatMap((one) => one.ignoredContextKeys ?? []),
    ),
  ];
  if (ignored.length === 0) return { result: result.overallResult, validated: true, unchecked: [] };
  const unknown = ignored.filter((key) => !CONTEXT_KEY_GAPS.some((covers) => covers(key.toLowerCase())));
  if (unknown.length > 0) {
    throw new IamSimulationError(request, { message: 'context keys left out', keys: unknown });
  }
  // The request, its action and ARN passed validation above; only these keys are taken as given.
  return { result: unvalidated(simulation), validated: true, unchecked: ignored };
}

/**
 * The same engine without input validation. Its loader names a resource policy only when given one in the
 * shape of iam-policy's `ValidatedPolicy` (a bare document crashes it), so the policy is passed that way.
 */
function unvalidated(simulation: Simulation): IamVerdict {
  const resourcePolicy = simulation.resourcePolicy
    ? {
        __validated: true,
        policyDocument: simulation.resourcePolicy,
        metadata: { name: 'resource' },
        errors: [],
      }
    : undefined;
  return runUnsafeSimulation({ ...simulation, resourcePolicy }, {});
}

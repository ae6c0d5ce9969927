import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';

/**
 * IAM's verdict on one request, from an IAM policy simulator (`@cloud-copilot/iam-simulate`, which knows
 * AWS's actions, resource types and condition keys) rather than a hand-written matcher. An action, ARN or
 * context key the simulator does not accept is an error, never a quiet "denied". One known gap of its data:
 * it knows API Gateway V2's resource types (`/apis/…`) but lists only V1's for `apigateway:GET|POST|PUT|
 * PATCH|DELETE`, so those requests are evaluated without that check, and say so.
 */

export type IamVerdict = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** The simulator's verdict, and whether it also validated the action against the resource's type. */
export interface SimulatedVerdict {
  result: IamVerdict;
  validated: boolean;
}

/** An IAM policy document, as a template or AWS holds it. */
export interface PolicyDocument {
  Version: string;
  Statement: unknown[];
}

/** A request as IAM sees it. */
export interface IamRequest {
  /** The calling role's session, e.g. `arn:aws:sts::123456789012:assumed-role/name/session`. */
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

const API_GATEWAY_V2_PATH = /^arn:[^:]+:apigateway:[^:]*::\/apis(\/|$)/;

/**
 * The verdict of the identity `policies` (and the resource's own policy, such as a KMS key policy) on
 * `request`. `aws:ResourceAccount` is set to the resource's account, as AWS sets it on every request.
 */
export async function simulate(
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
  if (result.resultType !== 'error') return { result: result.overallResult, validated: true };
  const knownGap =
    result.errors.message === 'no.resource.types' && API_GATEWAY_V2_PATH.test(request.resource);
  if (!knownGap) throw new IamSimulationError(request, result.errors);
  return { result: runUnsafeSimulation(simulation, {}), validated: false };
}

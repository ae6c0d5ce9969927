import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../local/service-definition';
import { EXAMPLE_PSEUDO_PARAMETERS, evaluate } from './cloudformation-values';
import type { PolicyDocument } from './iam-simulation';
import type { Template } from './packaged-template';

/**
 * The deployer role of deploy/deployer-role.yml as IAM would hold it once the template is applied with
 * given parameters, in the example account and region: its permissions policy and its trust policy.
 */

// js-yaml comes with the framework and jest; the template uses no CloudFormation short-form tags.
const { load } = require('js-yaml') as { load(text: string): unknown };

export const DEPLOYER_TEMPLATE_PATH = path.join(PROJECT_ROOT, 'deploy', 'deployer-role.yml');

/** The parameters a user passes to `aws cloudformation deploy --parameter-overrides`. */
export interface DeployerParameters {
  GitHubOrganization: string;
  GitHubRepository: string;
  DeployFromKind?: 'environment' | 'branch';
  DeployFrom: string;
  ServiceName?: string;
  Stage?: string;
  CreateOidcProvider?: 'true' | 'false';
}

/** The role as IAM holds it. */
export interface DeployerRole {
  arn: string;
  /** A session of the role, as the principal of the requests it makes. */
  session: string;
  policy: PolicyDocument;
  trust: PolicyDocument;
  /** GitHub's OIDC provider, the principal the trust policy lets in. */
  oidcProviderArn: string;
}

interface TemplateWithParameters extends Template {
  Parameters: Record<string, { Default?: string }>;
}

/** The template as written. */
export function deployerRoleTemplate(): TemplateWithParameters {
  return load(readFileSync(DEPLOYER_TEMPLATE_PATH, 'utf8')) as TemplateWithParameters;
}

/** Evaluates the role's policies with `parameters` (the template's defaults for the others). */
export function deployerRole(
  parameters: DeployerParameters,
  pseudo = EXAMPLE_PSEUDO_PARAMETERS,
): DeployerRole {
  const template = deployerRoleTemplate();
  const defaults = Object.fromEntries(
    Object.entries(template.Parameters).flatMap(([name, { Default }]) =>
      Default === undefined ? [] : [[name, Default]],
    ),
  );
  const { 'AWS::AccountId': account, 'AWS::Partition': partition } = pseudo;
  const oidcProviderArn = `arn:${partition}:iam::${account}:oidc-provider/token.actions.githubusercontent.com`;
  // Ref of an AWS::IAM::OIDCProvider is its ARN.
  const values = { ...pseudo, ...defaults, ...parameters, GitHubOidcProvider: oidcProviderArn };
  const role = template.Resources.DeployerRole;
  if (!role) throw new Error('deploy/deployer-role.yml has no DeployerRole');
  const properties = evaluate(template, role.Properties, values) as {
    Path: string;
    RoleName: string;
    AssumeRolePolicyDocument: PolicyDocument;
    Policies: Array<{ PolicyDocument: PolicyDocument }>;
  };
  const unresolved = JSON.stringify(properties).match(/"(Ref|Fn::[A-Za-z]+)"/);
  if (unresolved) throw new Error(`The deployer role still holds ${unresolved[1]} after evaluation`);
  const [policy, ...others] = properties.Policies;
  if (!policy || others.length > 0) throw new Error('The deployer role should hold exactly one policy');
  const arn = `arn:${partition}:iam::${account}:role${properties.Path}${properties.RoleName}`;
  return {
    arn,
    session: `arn:${partition}:sts::${account}:assumed-role/${properties.RoleName}/github-actions`,
    policy: policy.PolicyDocument,
    trust: properties.AssumeRolePolicyDocument,
    oidcProviderArn,
  };
}

import type { PolicyDocument } from './iam-simulation';

/**
 * The key policy statement that lets IAM policies of the key's account grant the key's use: KMS counts an
 * IAM policy only if the key policy says so. The stack's own log key has it; a key given as `logKmsKeyArn` or
 * `signingSecretKmsKeyArn` must have it too (docs/deploying.md), so simulations of such a key assume this.
 */
export function accountKeyPolicy(accountId: string, partition = 'aws'): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'IamPoliciesOfTheAccount',
        Effect: 'Allow',
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  };
}

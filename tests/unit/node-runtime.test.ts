import { lambdaNodeMajor, nodeRuntimeMismatch } from '../../local/node-runtime';
import { cachedServiceDefinition } from '../../local/service-definition-cache';

describe('the Node the tests run on', () => {
  test('is the major of the Lambda runtime serverless.yml deploys', async () => {
    // Prepare
    const { runtime } = await cachedServiceDefinition('test');

    // Act
    const mismatch = nodeRuntimeMismatch(runtime, process.version);

    // Assess
    expect(mismatch).toBeUndefined();
  });
});

describe('nodeRuntimeMismatch', () => {
  test('says which Node to install when the majors differ', () => {
    // Act
    const mismatch = nodeRuntimeMismatch('nodejs24.x', 'v20.20.2');

    // Assess
    expect(mismatch).toBe(
      'Node v20.20.2 runs this, but serverless.yml deploys nodejs24.x: use Node 24 (npm ci brings it on Linux x64 and arm64; elsewhere install it, e.g. nvm install 24, then npm ci)',
    );
  });

  test('is silent for any release of the same major', () => {
    // Act
    const mismatches = ['v24.0.0', 'v24.21.0', '24.99.1'].map((version) =>
      nodeRuntimeMismatch('nodejs24.x', version),
    );

    // Assess
    expect(mismatches).toEqual([undefined, undefined, undefined]);
  });

  test('refuses a runtime that is not Node.js', () => {
    // Act
    const read = () => lambdaNodeMajor('python3.13');

    // Assess
    expect(read).toThrow('python3.13 is not a Node.js Lambda runtime');
  });
});

import { recordWorkerNode } from './worker-node';

// Setup file of every project (jest.config.js).
recordWorkerNode();

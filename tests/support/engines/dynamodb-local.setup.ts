import { useTestEngine } from '../test-engine';

// Setup file of the `dynamodb-local` project: its test files talk to dynamodb-local.
useTestEngine('dynamodb-local');

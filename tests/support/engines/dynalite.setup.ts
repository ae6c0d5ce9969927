import { useTestEngine } from '../test-engine';

// Setup file of the `dynalite` project: its test files talk to dynalite.
useTestEngine('dynalite');

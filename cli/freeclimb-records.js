#!/usr/bin/env node
// The operator CLI is TypeScript; tsx (a runtime dependency) compiles it on load, so the bin also works
// after `npm ci --omit=dev`.
require('tsx/cjs/api').register();
require('./main.ts').main();

#!/usr/bin/env node
'use strict';
// The `review` CLI runs its TypeScript sources through tsx (no build step). Paths are relative to this
// file, so it works from any working directory and when installed as a package bin.
const path = require('node:path');

require('tsx/cjs/api').register();
require(path.join(__dirname, '..', 'client', 'cli.ts'));

#!/usr/bin/env -S node --max-semi-space-size=2
// The CLI is compiled to dist/ by `npm install` (the prepare script).
import('../dist/cli.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
    console.error('cdap-triage is not built yet: run `npm install` (or `npm run build`) first.');
    process.exit(2);
  }
  throw err;
});

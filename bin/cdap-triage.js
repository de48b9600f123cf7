#!/usr/bin/env -S node --max-semi-space-size=2
// The CLI is compiled to dist/ by `npm install` (the prepare script).
import module from 'node:module';

// From Node 22 on, V8's compiled code is kept between runs, so a command
// starts sooner; Node 20 has no such cache (the call is skipped).
module.enableCompileCache?.();
import('../dist/cli.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
    console.error('cdap-triage n’est pas encore compilé\u00a0: lancez `npm install` (ou `npm run build`).');
    process.exit(2);
  }
  throw err;
});

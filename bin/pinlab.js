#!/usr/bin/env node
// The pinlab command. The TypeScript sources are compiled to dist/ by `npm run build`
// (run automatically by `npm install` through the `prepare` script).
import { main } from '../dist/cli/main.js';

// A reader that goes away (`pinlab explore ... | head`) is not an error: stop quietly,
// as command-line tools do on SIGPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e && e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await main(process.argv.slice(2));

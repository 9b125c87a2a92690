#!/usr/bin/env node
// The pinlab command. The TypeScript sources are compiled to dist/ by `npm run build`
// (run automatically by `npm install` through the `prepare` script).
import { statSync } from 'node:fs';
import { URL } from 'node:url';

// PERF: `npm run build` also bundles dist/ into one file, dist/cli/pinlab.bundle.js (esbuild; the
// npm packages stay external), which loads in about half the CPU time of dist/cli/main.js and its
// ~250 modules. It is used only when it is at least as new as dist/cli/main.js, so a `tsc` rebuild
// without the bundle step (which rewrites every file of dist/) never runs stale code.
function entry() {
  try {
    const bundle = statSync(new URL('../dist/cli/pinlab.bundle.js', import.meta.url));
    if (bundle.mtimeMs >= statSync(new URL('../dist/cli/main.js', import.meta.url)).mtimeMs) return '../dist/cli/pinlab.bundle.js';
  } catch {
    // No bundle: the modules one by one.
  }
  return '../dist/cli/main.js';
}
const { main } = await import(entry());

// A reader that goes away (`pinlab explore ... | head`) is not an error: stop quietly,
// as command-line tools do on SIGPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e && e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await main(process.argv.slice(2));

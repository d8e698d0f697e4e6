// Run before `npm run build` and `npm test` (package.json's prebuild / pretest): stops at once, saying
// what to do, when the script would run on a Node.js older than package.json's `engines`, instead
// of failing later with an obscure error. CommonJS and plain syntax, so that an old Node can run it.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const { engines, optionalDependencies } = require(join(root, 'package.json'));
const wanted = Number(/^>=\s*(\d+)/.exec(engines.node)[1]);
const major = Number(process.versions.node.split('.')[0]);

if (major < wanted) {
  const runtimes = Object.keys(optionalDependencies).filter((name) => /^node-(bin-)?[a-z]+-[a-z0-9]+$/.test(name));
  const own = existsSync(join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'node.cmd' : 'node'));
  const advice = own
    ? 'node_modules/.bin/node is installed: run the command through npm (`npm start`, `npm test`, `npm run ...`), which puts it first on PATH.'
    : `Run \`npm install\` (or \`npm ci\`) first: it installs the project's own Node.js (${runtimes.join(', ')}: the one for this platform) into node_modules/.bin, which npm scripts run on.\n` +
      'On a platform none of them covers, install Node.js ' + engines.node + ' yourself.';
  process.stderr.write(`This project needs Node.js ${engines.node}; this is ${process.version} (${process.execPath}).\n${advice}\n`);
  process.exit(1);
}

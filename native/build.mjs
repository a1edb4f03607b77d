// Builds the kernels addon with npm's own node-gyp against this Node's
// installed headers (nothing is downloaded). A machine that cannot build it
// still installs: Strata then runs its TypeScript kernels and says so.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const nodeDir = dirname(dirname(process.execPath));
const headers = join(nodeDir, 'include', 'node', 'node_api.h');

function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const npmRoot = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' }).stdout?.trim();
  const bundled = npmRoot ? join(npmRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js') : '';
  return bundled && existsSync(bundled) ? bundled : null;
}

function skip(why) {
  console.warn(`strata: native kernels not built (${why}); the TypeScript kernels will run`);
  process.exit(0);
}

if (process.env.STRATA_NATIVE === '0') skip('STRATA_NATIVE=0');
if (!existsSync(headers)) skip(`no Node headers at ${headers}`);
const gyp = nodeGyp();
if (!gyp) skip('node-gyp not found');
const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodeDir}`, '--release'], { cwd: here, stdio: 'inherit' });
if (r.status !== 0) skip(`node-gyp exited with ${r.status}`);

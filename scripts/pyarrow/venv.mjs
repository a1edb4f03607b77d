#!/usr/bin/env node
// A Python virtual environment with pyarrow (from PyPI), for the tests that
// check other programs read what Strata writes. `node scripts/pyarrow/venv.mjs`
// makes it (or finds it) and prints its python; tests call ensurePyarrow().
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** pyarrow's major version the tests were written against; newer ones read the same files. */
const requirement = 'pyarrow>=15';

/** The venv's python with pyarrow importable; creates the venv on first use. Throws with the reason if it cannot. */
export function ensurePyarrow() {
  const venv = process.env.STRATA_TEST_VENV ?? path.join(root, '.venv');
  const python = path.join(venv, 'bin', 'python');
  const ok = () => { try { execFileSync(python, ['-c', 'import pyarrow'], { stdio: 'ignore' }); return true; } catch { return false; } };
  if (existsSync(python) && ok()) return python;
  execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', requirement], { stdio: 'inherit' });
  if (!ok()) throw new Error(`pyarrow does not import in ${venv}`);
  return python;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(ensurePyarrow());

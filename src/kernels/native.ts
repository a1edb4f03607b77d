/**
 * Loading the native kernels (native/build/Release/strata_kernels.node,
 * built by `npm ci`). Loading fails softly: the reason is kept for /health
 * and EXPLAIN, and the TypeScript kernels run instead.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Kernels } from './kernels.js';

/** The addon file, found from this module (src/kernels or dist/kernels, two levels below the package root). */
export function addonPath(): string {
  return fileURLToPath(new URL('../../native/build/Release/strata_kernels.node', import.meta.url));
}

export function loadNative(): { kernels: Kernels } | { error: string } {
  const file = addonPath();
  if (!existsSync(file)) return { error: `not built (${file} is missing; see native/build.mjs)` };
  try {
    const addon = createRequire(import.meta.url)(file) as Omit<Kernels, 'name'>;
    return { kernels: { ...addon, name: 'native' } };
  } catch (e) {
    return { error: `cannot load ${file}: ${(e as Error).message}` };
  }
}

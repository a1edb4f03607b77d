/**
 * The kernels this process uses, chosen once: native when built and
 * loadable (unless STRATA_KERNELS=typescript), TypeScript otherwise.
 */
import type { Kernels } from './kernels.js';
import { loadNative } from './native.js';
import { typescriptKernels } from './typescript.js';

export type { Kernels } from './kernels.js';
export { Agg, Op, aggI64RowsMax } from './kernels.js';
export { typescriptKernels } from './typescript.js';

export interface KernelStatus {
  /** 'native' or 'typescript'. */
  active: Kernels['name'];
  /** The native kernels' instruction set ('avx2', 'portable'), or 'js'. */
  isa: string;
  /** Why the native kernels are not active, when they are not. */
  reason?: string;
}

let chosen: { kernels: Kernels; status: KernelStatus } | null = null;

function choose(): { kernels: Kernels; status: KernelStatus } {
  if (process.env.STRATA_KERNELS === 'typescript') {
    return { kernels: typescriptKernels, status: { active: 'typescript', isa: 'js', reason: 'STRATA_KERNELS=typescript' } };
  }
  const native = loadNative();
  if ('kernels' in native) return { kernels: native.kernels, status: { active: 'native', isa: native.kernels.isa } };
  return { kernels: typescriptKernels, status: { active: 'typescript', isa: 'js', reason: native.error } };
}

export function kernels(): Kernels {
  chosen ??= choose();
  return chosen.kernels;
}

export function kernelStatus(): KernelStatus {
  chosen ??= choose();
  return chosen.status;
}

/** One line for people: 'native (avx2)', or 'typescript (why)'. */
export function describeKernels(s: KernelStatus = kernelStatus()): string {
  return s.active === 'native' ? `native (${s.isa})` : `typescript (${s.reason ?? 'chosen'})`;
}

/** The native kernels, or null when they cannot load (for tests comparing the two). */
export function nativeKernels(): Kernels | null {
  const native = loadNative();
  return 'kernels' in native ? native.kernels : null;
}

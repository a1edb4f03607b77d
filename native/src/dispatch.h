/*
 * Runtime CPU dispatch: GCC and Clang compile each hot loop twice (AVX2 and
 * the portable x86-64 baseline) and pick one at load time through an ifunc.
 * Elsewhere the loops are compiled once for the target.
 */
#ifndef STRATA_DISPATCH_H
#define STRATA_DISPATCH_H
#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__))
#define HOT __attribute__((target_clones("avx2", "default")))
#define HAVE_DISPATCH 1
#else
#define HOT
#define HAVE_DISPATCH 0
#endif
#endif

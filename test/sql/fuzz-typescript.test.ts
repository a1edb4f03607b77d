// The query fuzzer again with the TypeScript kernels, in this process and its scan workers (set before either loads).
process.env.STRATA_KERNELS = 'typescript';
await import('./fuzz-suite.js');

{
  "targets": [
    {
      "target_name": "strata_kernels",
      "sources": ["src/addon.c", "src/lz4.c", "src/filter.c", "src/aggregate.c", "src/baseline.c"],
      "cflags": ["-O3", "-std=c11", "-ffp-contract=off", "-fno-strict-aliasing", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags!": ["-O2"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-ffp-contract=off"] }
    }
  ]
}

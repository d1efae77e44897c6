# fuzz/: fuzz targets, built by make fuzz (clang, libFuzzer).

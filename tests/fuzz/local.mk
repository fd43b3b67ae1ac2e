# tests/fuzz/: libFuzzer targets for every parser (--enable-fuzzers, clang).

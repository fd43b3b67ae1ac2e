# tests/fuzz/: libFuzzer targets for every parser (--enable-fuzzers, clang).
# `tests/fuzz/run [SECONDS]` builds them with clang directly and runs each for a fixed budget (CI).
# Each target compiles the library sources it exercises itself, so they carry the fuzzer's coverage
# instrumentation.
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_COMMON = lib/strbuf.c lib/err.c lib/model.c
if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_pattern tests/fuzz/fuzz_constraint
tests_fuzz_fuzz_pattern_SOURCES = tests/fuzz/fuzz_pattern.c lib/pattern.c $(FUZZ_COMMON)
tests_fuzz_fuzz_pattern_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_pattern_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_pattern_LDADD =
tests_fuzz_fuzz_constraint_SOURCES = tests/fuzz/fuzz_constraint.c lib/constraint.c lib/pattern.c $(FUZZ_COMMON)
tests_fuzz_fuzz_constraint_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_constraint_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_constraint_LDADD =
endif
EXTRA_DIST += tests/fuzz/run tests/fuzz/corpus

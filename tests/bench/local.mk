# tests/bench/: pool solver benchmarks.  `tests/bench/run` builds them and prints the figures.
noinst_PROGRAMS += tests/bench/bench_solver
tests_bench_bench_solver_SOURCES = tests/bench/bench_solver.c \
	tests/bench/gen_inventory.c tests/bench/gen_inventory.h \
	tests/bench/baseline_greedy.c tests/bench/baseline_greedy.h
tests_bench_bench_solver_LDADD = $(LDADD)
EXTRA_DIST += tests/bench/run
# The end-to-end `tide pool plan --from` figure (run by tests/bench/run).
EXTRA_DIST += tests/bench/bench_pool_plan
# tided against a real Slurm and tide-sim: 1000-node resume, srun/sbatch to running (needs root).
EXTRA_DIST += tests/bench/run-slurm

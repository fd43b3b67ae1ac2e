/*
 * bench_solver.c - the pool solver on synthetic sites: time, and the same
 * cases through manta's greedy (baseline_greedy.c), compared on the solver's
 * own objective.  Prints figures; it is not a timed test.
 *
 *   bench_solver [--sizes 1000,10000,100000] [--repeat N] [--seed S] [--diverse] [--only TEXT] [--verbose]
 *   bench_solver --dump NODES FILE     write a synthetic site as a tide dump
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baseline_greedy.h"
#include "gen_inventory.h"
#include "pattern.h"
#include "solver.h"
#include "solver_int.h"
#include "strbuf.h"
#include "xname.h"

/* Quantities in braces are fractions of the site's node count: {0.04} at 10000 nodes is 400. */
static const char *const patterns[] = {
    "bench:nvidia:8",
    "bench:nvidia:4:memory:64",
    "bench:a100:16:7713:4",
    "bench:mi200:16",
    "bench:7742:64",
    "bench:7742:{0.04}",
    "bench:h100:32:memory:256",
    "bench:nvidia:{0.04}:mi200:{0.04}",
    "bench:memory:{1.0}",
    "bench:gold:20:memory:2000",
    "bench:epyc:{0.1}",
    "bench:ss11:{0.05}",
    "bench:80gb:16",
    "bench:40gb:8:80gb:8",
    "bench:mi300:16:h100:16",
    "bench:7763:{0.02}:9654:{0.02}",
    "bench:amd:{0.2}",
    "bench:instinct:64:7713:8",
    "bench:nvidia:2:mi200:4:7742:6:memory:80",
    "bench:7742:2:memory:{0.5}",
    "bench:nvidia:{0.05}:mi200:{0.025}:7742:{0.05}:memory:{2.0}",
    "bench:9654:{0.01}:memory:{0.5}",
    "bench:xeon:4:nvidia:4:mi300:4",
    "bench:mi200:{0.03}:memory:{0.9}",
};
#define NPATTERNS (sizeof(patterns) / sizeof(patterns[0]))

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static char *expand(const char *tmpl, size_t nodes)
{
    strbuf b = STRBUF_INIT;
    for (const char *p = tmpl; *p;) {
        if (*p == '{') {
            char *end;
            double f = strtod(p + 1, &end);
            long q = (long)(f * (double)nodes + 0.5);
            strbuf_printf(&b, "%ld", q < 1 ? 1 : q);
            p = end + 1;
        } else {
            strbuf_add(&b, p++, 1);
        }
    }
    return strbuf_steal(&b);
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static long find_type(const tide_pool_plan *plan, const char *name)
{
    for (size_t t = 0; t < plan->ntypes; t++)
        if (!strcmp(plan->types[t].name, name))
            return (long)t;
    return -1;
}

/* Every candidate's supply over the plan's types, counted as the solver's adapter does. */
static void typed_view(typed_pool *tp, const tide_pattern *pat, const tide_pool_plan *plan,
                       const tide_node_hw *hw, const unsigned char *in_t, size_t n)
{
    memset(tp, 0, sizeof(*tp));
    tp->ntypes = plan->ntypes;
    tp->name = xcalloc(plan->ntypes + 1, sizeof(char *));
    tp->nic = xcalloc(plan->ntypes + 1, sizeof(int));
    tp->requested = xcalloc(plan->ntypes + 1, sizeof(int64_t));
    for (size_t t = 0; t < plan->ntypes; t++) {
        tp->name[t] = plan->types[t].name;
        tp->requested[t] = plan->types[t].requested;
    }
    tp->n = n;
    tp->xname = xcalloc(n + 1, sizeof(char *));
    tp->in_target = (unsigned char *)in_t;
    tp->supply = xcalloc(n * plan->ntypes + 1, sizeof(int64_t));
    long memory = find_type(plan, TIDE_PATTERN_MEMORY);
    for (size_t i = 0; i < n; i++) {
        tp->xname[i] = hw[i].xname;
        const tide_counts *parts[] = { &hw[i].processors, &hw[i].accelerators, &hw[i].hsn_nics };
        for (size_t k = 0; k < 3; k++) {
            for (size_t j = 0; j < parts[k]->n; j++) {
                char *type = tide_pattern_type_of(pat, parts[k]->items[j].name);
                long t = find_type(plan, type);
                free(type);
                if (t < 0)
                    continue;
                tp->supply[i * tp->ntypes + (size_t)t] += parts[k]->items[j].count;
                if (k == 2)
                    tp->nic[t] = 1;
            }
        }
        if (memory >= 0)
            tp->supply[i * tp->ntypes + (size_t)memory] += tide_node_memory_units(&hw[i]);
    }
}

static void free_typed_view(typed_pool *tp)
{
    free(tp->name);
    free(tp->nic);
    free(tp->requested);
    free(tp->xname);
    free(tp->supply);
}

/* The solver's objective for any set: supplies, waste, moves, pulled in, chassis. */
typedef struct score {
    int64_t *supply;
    double   waste;
    int64_t  moves, pulled, nodes, chassis;
} score;

static void score_of(score *s, const typed_pool *tp, const tide_pool_plan *plan, const unsigned char *chosen)
{
    char prev[64] = "", cur[64];
    s->supply = xcalloc(tp->ntypes + 1, sizeof(int64_t));
    s->moves = s->pulled = s->nodes = s->chassis = 0;
    for (size_t i = 0; i < tp->n; i++) {
        s->moves += chosen[i] != tp->in_target[i];
        s->pulled += chosen[i] && !tp->in_target[i];
        if (!chosen[i])
            continue;
        s->nodes++;
        for (size_t c = 0; c < tp->ntypes; c++)
            s->supply[c] += tp->supply[i * tp->ntypes + c];
        /* Candidates come in xname order, so a chassis is a run. */
        tide_xname_prefix(tp->xname[i], 2, cur, sizeof(cur));
        if (strcmp(cur, prev)) {
            s->chassis++;
            memcpy(prev, cur, sizeof(prev));
        }
    }
    long double w = 0;
    for (size_t c = 0; c < tp->ntypes; c++)
        w += (long double)(s->supply[c] - tp->requested[c]) / (long double)plan->types[c].pool;
    s->waste = (double)w;
}

/* Exact: is ours worse than theirs on (waste, moves), keep: (pulled, waste, moves)? */
static int worse(const score *ours, const score *theirs, const tide_pool_plan *plan, int keep)
{
    if (keep && ours->pulled != theirs->pulled)
        return ours->pulled > theirs->pulled;
    int64_t *num = xcalloc(plan->ntypes + 1, sizeof(int64_t)), *den = xcalloc(plan->ntypes + 1, sizeof(int64_t));
    for (size_t c = 0; c < plan->ntypes; c++) {
        num[c] = ours->supply[c] - theirs->supply[c];
        den[c] = plan->types[c].pool;
    }
    int sign = solver_exact_sign(num, den, plan->ntypes);
    free(num);
    free(den);
    return sign ? sign > 0 : ours->moves > theirs->moves;
}

typedef struct totals {
    size_t cases, baseline_cases, never_worse, strictly_better, failed;
} totals;

static void bench_size(size_t nodes, int repeat, uint64_t seed, int diverse, const char *only, int verbose,
                       totals *all)
{
    bench_site site;
    double t0 = now_ms();
    bench_site_generate(&site, nodes, seed, diverse);
    double gen_ms = now_ms() - t0;
    size_t n = 0, ntarget = 0;
    tide_node_hw *hw = xcalloc(site.n + 1, sizeof(*hw));
    unsigned char *in_t = xcalloc(site.n + 1, 1);
    for (size_t i = 0; i < site.n; i++) {
        if (!site.candidate[i])
            continue;
        hw[n] = site.hw[i];
        in_t[n++] = site.in_target[i];
        ntarget += site.in_target[i];
    }
    printf("\n== %zu nodes: %zu candidates (%zu in the target group), %zu hardware profiles; generated in %.0f ms ==\n",
           nodes, n, ntarget, site.nprofiles, gen_ms);
    printf("%-58s %5s %8s %5s %4s %7s | %-17s | %-16s | %-20s | %s\n", "pattern", "nodes", "waste", "moves", "chs",
           "ms", "manta unpin w/mv", "keep: pull w/mv", "manta pin: pull w/mv", "never worse");

    double solve_ms[NPATTERNS], adapt_ms[NPATTERNS], keep_ms[NPATTERNS];
    size_t search[NPATTERNS];
    unsigned char *base = xcalloc(n + 1, 1), *ours = xcalloc(n + 1, 1);
    size_t ran = 0;
    for (size_t k = 0; k < NPATTERNS; k++) {
        if (only && !strstr(patterns[k], only))
            continue;
        char *text = expand(patterns[k], nodes);
        tide_pattern pat;
        tide_err e = { 0 };
        if (tide_pattern_parse(text, &pat, &e)) {
            fprintf(stderr, "bench: %s\n", e.msg);
            exit(1);
        }
        t0 = now_ms();
        tide_pool_problem *p = tide_pool_problem_new(pat.group);
        tide_pool_problem_from_hw(p, &pat, hw, in_t, n, &e);
        adapt_ms[ran] = now_ms() - t0;

        tide_pool_plan plan[2];
        double times[64];
        int failed = 0;
        for (int keep = 0; keep < 2 && !failed; keep++) {
            tide_pool_set_keep(p, keep);
            for (int r = 0; r < repeat; r++) {
                t0 = now_ms();
                if (tide_pool_solve(p, &plan[keep], &e)) {
                    printf("%-58.58s FAILED (%s) after %.0f ms: %s\n", text, keep ? "keep" : "default",
                           now_ms() - t0, e.msg);
                    failed = 1;
                    break;
                }
                times[r] = now_ms() - t0;
                if (r < repeat - 1)
                    tide_pool_plan_free(&plan[keep]);
            }
            qsort(times, (size_t)repeat, sizeof(double), dcmp);
            (keep ? keep_ms : solve_ms)[ran] = times[repeat / 2];
        }
        if (failed) {
            tide_pool_plan_free(&plan[0]);   /* solved before keep failed, or zeroed by the failed solve */
            all->failed++;
            all->cases++;
            tide_pool_problem_free(p);
            tide_pattern_free(&pat);
            free(text);
            continue;
        }
        search[ran] = plan[0].search_nodes;

        typed_pool tp;
        typed_view(&tp, &pat, &plan[0], hw, in_t, n);
        int nic_term = 0;
        for (size_t c = 0; c < tp.ntypes; c++)
            nic_term |= tp.nic[c] && tp.requested[c];
        char cols[2][64] = { "n/a (NIC term)", "n/a (NIC term)" };
        const char *verdict = "-";
        int ok = 1, better = 0;
        for (int keep = 0; keep < 2 && !nic_term; keep++) {
            score so, sb;
            memset(ours, 0, n);
            for (size_t c = 0, i = 0; c < plan[keep].nchosen; c++) {
                while (strcmp(hw[i].xname, plan[keep].chosen[c]))
                    i++;
                ours[i] = 1;
            }
            score_of(&so, &tp, &plan[keep], ours);
            if (baseline_greedy(&tp, keep, base)) {
                snprintf(cols[keep], sizeof(cols[keep]), "ran out of nodes");
                free(so.supply);
                continue;
            }
            score_of(&sb, &tp, &plan[keep], base);
            if (keep)
                snprintf(cols[1], sizeof(cols[1]), "%lld %.4f/%lld", (long long)sb.pulled, sb.waste,
                         (long long)sb.moves);
            else
                snprintf(cols[0], sizeof(cols[0]), "%.4f/%lld", sb.waste, (long long)sb.moves);
            if (worse(&so, &sb, &plan[keep], keep))
                ok = 0;
            else if (worse(&sb, &so, &plan[keep], keep))
                better = 1;
            free(so.supply);
            free(sb.supply);
        }
        if (!nic_term) {
            verdict = !ok ? "NO" : better ? "yes (better)" : "yes (equal)";
            all->baseline_cases++;
            all->never_worse += ok;
            all->strictly_better += better && ok;
        }
        all->cases++;
        char keepcol[64];
        snprintf(keepcol, sizeof(keepcol), "%zu %.4f/%zu", plan[1].nadd, plan[1].waste, plan[1].moves);
        printf("%-58.58s %5zu %8.4f %5zu %4zu %7.3f | %-17s | %-16s | %-20s | %s\n", text, plan[0].nchosen,
               plan[0].waste, plan[0].moves, plan[0].chassis, solve_ms[ran], cols[0], keepcol, cols[1], verdict);
        if (verbose)
            printf("    why: %s\n    keep: %s\n    adapter %.2f ms, keep solve %.3f ms, %zu search nodes (keep: %zu)\n",
                   plan[0].why, plan[1].why, adapt_ms[ran], keep_ms[ran], search[ran], plan[1].search_nodes);
        ran++;
        free_typed_view(&tp);
        tide_pool_plan_free(&plan[0]);
        tide_pool_plan_free(&plan[1]);
        tide_pool_problem_free(p);
        tide_pattern_free(&pat);
        free(text);
    }
    if (ran) {
        qsort(solve_ms, ran, sizeof(double), dcmp);
        qsort(keep_ms, ran, sizeof(double), dcmp);
        qsort(adapt_ms, ran, sizeof(double), dcmp);
        printf("solve over %zu patterns (median of %d runs each): p50 %.3f ms, max %.3f ms; with keep: p50 %.3f ms, "
               "max %.3f ms; adapter (inventory -> classes): p50 %.2f ms, max %.2f ms\n",
               ran, repeat, solve_ms[ran / 2], solve_ms[ran - 1], keep_ms[ran / 2], keep_ms[ran - 1], adapt_ms[ran / 2],
               adapt_ms[ran - 1]);
    }
    free(base);
    free(ours);
    free(hw);
    free(in_t);
    bench_site_free(&site);
}

static int dump(size_t nodes, const char *file)
{
    bench_site site;
    bench_site_generate(&site, nodes, 1, 0);
    char *text = bench_site_dump(&site);
    FILE *f = fopen(file, "w");
    if (!f || fputs(text, f) < 0 || fclose(f)) {
        perror(file);
        return 1;
    }
    free(text);
    bench_site_free(&site);
    return 0;
}

int main(int argc, char **argv)
{
    size_t sizes[8] = { 1000, 10000, 100000 }, nsizes = 3;
    int repeat = 5, verbose = 0, diverse = 0;
    const char *only = NULL;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dump") && i + 2 < argc)
            return dump((size_t)strtoul(argv[i + 1], NULL, 10), argv[i + 2]);
        if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
            nsizes = 0;
            for (char *s = argv[++i]; *s && nsizes < 8; s += *s == ',')
                sizes[nsizes++] = (size_t)strtoul(s, &s, 10);
        } else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) {
            repeat = atoi(argv[++i]);
            repeat = repeat < 1 ? 1 : repeat > 64 ? 64 : repeat;
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
        } else if (!strcmp(argv[i], "--diverse")) {
            diverse = 1;
        } else if (!strcmp(argv[i], "--verbose")) {
            verbose = 1;
        } else {
            fprintf(stderr, "usage: bench_solver [--sizes N,N,...] [--repeat N] [--seed S] [--diverse] [--only TEXT] [--verbose]\n"
                            "       bench_solver --dump NODES FILE\n");
            return 2;
        }
    }
    totals all = { 0 };
    for (size_t k = 0; k < nsizes; k++)
        bench_size(sizes[k], repeat, seed, diverse, only, verbose, &all);
    printf("\nbaseline comparison: %zu of %zu cases expressible in manta; tide never worse in %zu, strictly better in "
           "%zu%s\n", all.baseline_cases, all.cases, all.never_worse, all.strictly_better,
           all.never_worse == all.baseline_cases ? "" : "  *** WORSE SOMEWHERE ***");
    if (all.failed)
        printf("%zu case(s) FAILED to solve\n", all.failed);
    return all.never_worse == all.baseline_cases && !all.failed ? 0 : 1;
}

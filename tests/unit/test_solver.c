/*
 * test_solver.c - the pool solver: exact arithmetic, the seed example on the
 * zinal site, input errors, and the property test: on random small instances
 * (both modes) the solver's set is exactly the one brute force finds by
 * applying levels a) to e) literally to every subset of the candidates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "inventory.h"
#include "jsonutil.h"
#include "pattern.h"
#include "solver.h"
#include "solver_int.h"
#include "xname.h"

#define SITE_FILE TEST_DATA_DIR "/../../../contrib/sim/sites/zinal.json"

/* ---- exact arithmetic ---- */

static int sign3(int64_t n0, int64_t d0, int64_t n1, int64_t d1, int64_t n2, int64_t d2)
{
    int64_t num[] = { n0, n1, n2 }, den[] = { d0, d1, d2 };
    return solver_exact_sign(num, den, 3);
}

static void exact_sign_of_fraction_sums(void **state)
{
    (void)state;
    assert_int_equal(sign3(1, 6, 1, 10, -4, 15), 0);                 /* 5/30 + 3/30 - 8/30 */
    assert_int_equal(sign3(1, 3, 1, 6, -1, 2), 0);
    assert_int_equal(sign3(1, 4294967291, -1, 4294967279, 0, 1), -1);
    /* 1/x is convex: 1/(m-6) + 1/(m+6) - 2/m = 72/(m(m^2-36)) ~ 9e-28, far below a double's reach. */
    int64_t m = 4294967279 - 6;
    assert_int_equal(sign3(1, m - 6, 1, m + 6, -2, m), 1);
    assert_int_equal(sign3(-1, m - 6, -1, m + 6, 2, m), -1);
    /* Big numerators. */
    assert_int_equal(sign3(3000000000000, 4294967291, -3000000000000, 4294967291, 0, 5), 0);
    assert_int_equal(sign3(3000000000001, 4294967291, -3000000000000, 4294967291, 0, 5), 1);
    /* Many terms that cancel exactly: sum over d = 2..40 of (1/d - 1/d) split across other denominators. */
    int64_t num[80], den[80];
    size_t n = 0;
    for (int64_t d = 2; d <= 40; d++) {
        num[n] = 2;
        den[n++] = 2 * d;   /* 2/(2d) = 1/d */
        num[n] = -3;
        den[n++] = 3 * d;
    }
    assert_int_equal(solver_exact_sign(num, den, n), 0);
    num[0] = 3;   /* 3/4 instead of 2/4 */
    assert_int_equal(solver_exact_sign(num, den, n), 1);
}

/* ---- building instances ---- */

#define MAXN 20   /* the property test stays at 14 and below; the seed check uses 20 */
#define MAXT 8

typedef struct inst {
    size_t  n, ntypes;
    char    xname[MAXN][32];
    int     in_t[MAXN];
    int64_t supply[MAXN][MAXT];
    int64_t req[MAXT];    /* 0: not requested */
    int     keep;
} inst;

static tide_pool_problem *problem_of(const inst *in)
{
    tide_pool_problem *p = tide_pool_problem_new("rand");
    tide_err e = { 0 };
    char names[MAXT][24];
    tide_count sup[MAXT + 1];
    tide_pool_set_keep(p, in->keep);
    for (size_t t = 0; t < in->ntypes; t++) {
        snprintf(names[t], sizeof(names[t]), "t%zu", t);
        if (in->req[t])
            assert_int_equal(tide_pool_request(p, names[t], in->req[t], &e), 0);
    }
    for (size_t i = 0; i < in->n; i++) {
        size_t k = 0;
        for (size_t t = 0; t < in->ntypes; t++)
            sup[k++] = (tide_count){ names[t], (int)in->supply[i][t] };   /* zeros too: they must not matter */
        if (i % 3 == 0 && in->ntypes)
            sup[k++] = (tide_count){ names[0], 0 };                       /* a repeated name adds up */
        assert_int_equal(tide_pool_add_node(p, in->xname[i], in->in_t[i], sup, k, &e), 0);
    }
    return p;
}

/* ---- brute force: every subset, the objective applied literally ---- */

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Sorted lists of ranks, as bit sets over ranks: is a smaller than b (lexicographically, a prefix first)? */
static int ranks_less(uint32_t a, uint32_t b)
{
    while (a && b) {
        uint32_t la = a & -a, lb = b & -b;
        if (la != lb)
            return la < lb;
        a ^= la;
        b ^= lb;
    }
    return !a && b;
}

/* 1 when `got` covers `req` in every type.  *waste: the sum of each type's left-over over its
 * pool (level b), exactly, as a numerator over lcm. */
static int covers(const int64_t *got, const int64_t *req, const int64_t *pool, __int128 lcm, size_t ntypes,
                  __int128 *waste)
{
    int ok = 1;
    *waste = 0;
    for (size_t t = 0; t < ntypes; t++) {
        ok &= got[t] >= req[t];
        if (pool[t])
            *waste += (__int128)(got[t] - req[t]) * (lcm / pool[t]);
    }
    return ok;
}

/* How often levels d) and e) had to decide (ties of the best on a) to c), and on a) to d)). */
typedef struct tie_stats {
    size_t feasible, infeasible, tied_c, tied_d;
} tie_stats;

/* The best subset as a bit set over node indices, or -1 when nothing is feasible. */
static long brute_force(const inst *in, tie_stats *stats)
{
    int64_t pool[MAXT] = { 0 }, lcm = 1;
    int rank[MAXN], chassis[MAXN];
    char prefix[MAXN][32];
    for (size_t i = 0; i < in->n; i++)
        for (size_t t = 0; t < in->ntypes; t++)
            pool[t] += in->supply[i][t];
    for (size_t t = 0; t < in->ntypes; t++)
        if (pool[t])
            lcm = lcm / gcd64(lcm, pool[t]) * pool[t];
    for (size_t i = 0; i < in->n; i++) {
        rank[i] = 0;
        for (size_t j = 0; j < in->n; j++)
            rank[i] += tide_xname_cmp(in->xname[j], in->xname[i]) < 0;
        assert_int_equal(tide_xname_prefix(in->xname[i], 2, prefix[i], sizeof(prefix[i])), 0);
        chassis[i] = (int)i;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(prefix[i], prefix[j])) {
                chassis[i] = chassis[j];
                break;
            }
    }
    long best = -1;
    int64_t best_pulled = 0, best_moves = 0, best_chassis = 0;
    __int128 best_waste = 0;
    uint32_t best_ranks = 0;
    size_t ties_c = 0, ties_d = 0;   /* subsets equal to the best so far on a) to c), on a) to d) */
    for (uint32_t s = 0; s < (1u << in->n); s++) {
        int64_t got[MAXT] = { 0 }, pulled = 0, moves = 0;
        uint32_t ranks = 0;
        uint64_t chs = 0;
        for (size_t i = 0; i < in->n; i++) {
            int chosen = (s >> i) & 1;
            if (chosen) {
                for (size_t t = 0; t < in->ntypes; t++)
                    got[t] += in->supply[i][t];
                ranks |= 1u << rank[i];
                chs |= 1ull << chassis[i];
            }
            pulled += chosen && !in->in_t[i];
            moves += chosen != in->in_t[i];
        }
        __int128 waste;
        if (!covers(got, in->req, pool, lcm, in->ntypes, &waste))
            continue;
        int64_t nch = __builtin_popcountll(chs);
        int better = best < 0;
        if (!better && in->keep && pulled != best_pulled)
            better = pulled < best_pulled;
        else if (!better && waste != best_waste)
            better = waste < best_waste;
        else if (!better && moves != best_moves)
            better = moves < best_moves;
        else if (!better && nch != best_chassis)
            better = nch < best_chassis;
        else if (!better)
            better = ranks_less(ranks, best_ranks);
        int same_c = best >= 0 && (!in->keep || pulled == best_pulled) && waste == best_waste && moves == best_moves;
        int newbest_c = best < 0 || (!same_c && better);
        if (better) {
            best = s;
            best_pulled = pulled;
            best_waste = waste;
            best_moves = moves;
            ties_d = newbest_c || nch != best_chassis ? 1 : ties_d + 1;
            best_chassis = nch;
            best_ranks = ranks;
        } else if (same_c && nch == best_chassis) {
            ties_d++;
        }
        ties_c = newbest_c ? 1 : ties_c + same_c;
    }
    if (stats) {
        stats->feasible += best >= 0;
        stats->infeasible += best < 0;
        stats->tied_c += ties_c > 1;
        stats->tied_d += ties_d > 1;
    }
    return best;
}

/* ---- the property test ---- */

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64: seeded, reproducible everywhere */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int rnd(uint64_t *s, int n)
{
    return (int)(rng_next(s) % (uint64_t)n);
}

/* Random, tie-prone instances: few profiles, few chassis, small counts. */
static void random_instance(uint64_t *rs, inst *in, int keep)
{
    memset(in, 0, sizeof(*in));
    in->keep = keep;
    in->n = 1 + (size_t)rnd(rs, rnd(rs, 5) ? 11 : 14);
    in->ntypes = 1 + (size_t)rnd(rs, 5);
    int nprof = 1 + rnd(rs, 4), ncab = 1 + rnd(rs, 2), nch = 1 + rnd(rs, 3);
    int64_t prof[4][MAXT];
    for (int p = 0; p < nprof; p++)
        for (size_t t = 0; t < in->ntypes; t++)
            prof[p][t] = rnd(rs, 2) ? rnd(rs, 4) : 0;
    for (size_t i = 0; i < in->n; i++) {
        for (;;) {   /* a distinct xname */
            snprintf(in->xname[i], sizeof(in->xname[i]), "x%dc%ds%db%dn%d", 1000 + rnd(rs, ncab), rnd(rs, nch),
                     rnd(rs, 4), rnd(rs, 2), rnd(rs, 2));
            size_t j = 0;
            while (j < i && strcmp(in->xname[j], in->xname[i]))
                j++;
            if (j == i)
                break;
        }
        int p = rnd(rs, nprof);
        memcpy(in->supply[i], prof[p], sizeof(prof[p]));
        if (!rnd(rs, 5)) {
            size_t t = (size_t)rnd(rs, (int)in->ntypes);
            in->supply[i][t] += in->supply[i][t] && rnd(rs, 2) ? -1 : 1;
        }
        in->in_t[i] = rnd(rs, 5) < 2;
    }
    for (size_t t = 0; t < in->ntypes; t++) {
        int64_t total = 0;
        for (size_t i = 0; i < in->n; i++)
            total += in->supply[i][t];
        if (rnd(rs, 5) >= 3)
            continue;
        if (!rnd(rs, 12))
            in->req[t] = total + 1;                            /* not enough */
        else if (total)
            in->req[t] = 1 + rnd(rs, rnd(rs, 10) < 7 && total > 1 ? (int)total / 2 : (int)total);
    }
}

/* Instances where d) and e) decide: every node of profile j supplies one of type j (and the same
 * amount of a shared type), requests take part of each profile, and the chassis mix profiles. */
static void chassis_instance(uint64_t *rs, inst *in, int keep)
{
    memset(in, 0, sizeof(*in));
    in->keep = keep;
    in->n = 8 + (size_t)rnd(rs, 7);
    in->ntypes = 2 + (size_t)rnd(rs, 3);   /* the last type is the shared one */
    size_t nprof = in->ntypes - 1;
    int nch = 2 + rnd(rs, 3);
    int64_t count[MAXT] = { 0 };
    for (size_t i = 0; i < in->n; i++) {
        for (;;) {
            snprintf(in->xname[i], sizeof(in->xname[i]), "x3000c%ds%db%dn%d", rnd(rs, nch), rnd(rs, 4),
                     rnd(rs, 2), rnd(rs, 2));
            size_t j = 0;
            while (j < i && strcmp(in->xname[j], in->xname[i]))
                j++;
            if (j == i)
                break;
        }
        size_t p = (size_t)rnd(rs, (int)nprof);
        in->supply[i][p] = 1;
        in->supply[i][nprof] = 2;
        count[p]++;
        in->in_t[i] = !rnd(rs, 6);
    }
    for (size_t p = 0; p < nprof; p++)
        if (count[p])
            in->req[p] = 1 + rnd(rs, (int)count[p]);
}

static void describe(const inst *in, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "keep=%d req=", in->keep);
    for (size_t t = 0; t < in->ntypes && len < size; t++)
        len += (size_t)snprintf(buf + len, size - len, "%lld ", (long long)in->req[t]);
    for (size_t i = 0; i < in->n && len < size; i++) {
        len += (size_t)snprintf(buf + len, size - len, "| %s%s", in->xname[i], in->in_t[i] ? "*" : "");
        for (size_t t = 0; t < in->ntypes && len < size; t++)
            len += (size_t)snprintf(buf + len, size - len, " %lld", (long long)in->supply[i][t]);
    }
}

static void check_instance(const inst *in, size_t number, tie_stats *stats)
{
    tide_pool_problem *p = problem_of(in);
    tide_pool_plan plan;
    tide_err e = { 0 };
    long want = brute_force(in, stats);
    int rc = tide_pool_solve(p, &plan, &e);
    char text[2048];
    describe(in, text, sizeof(text));
    if (want < 0) {
        if (rc != -1 || !strstr(e.msg, "not enough hardware for pool rand among the"))
            fail_msg("instance %zu (%s): brute force finds nothing feasible, the solver: rc %d %s", number, text,
                     rc, e.msg);
    } else {
        if (rc)
            fail_msg("instance %zu (%s): solver failed: %s", number, text, e.msg);
        uint32_t got = 0;
        for (size_t k = 0; k < plan.nchosen; k++)
            for (size_t i = 0; i < in->n; i++)
                if (!strcmp(plan.chosen[k], in->xname[i]))
                    got |= 1u << i;
        if (got != (uint32_t)want || __builtin_popcount(got) != (int)plan.nchosen)
            fail_msg("instance %zu (%s): solver chose %#x, brute force %#lx", number, text, got, want);
        for (size_t k = 1; k < plan.nchosen; k++)
            assert_true(tide_xname_cmp(plan.chosen[k - 1], plan.chosen[k]) < 0);
        tide_pool_plan_free(&plan);
    }
    tide_pool_problem_free(p);
}

#define PROPERTY_INSTANCES 1000

static void matches_brute_force(void **state)
{
    (void)state;
    for (int keep = 0; keep < 2; keep++) {
        uint64_t rs = 20240601 + (uint64_t)keep;
        tie_stats stats = { 0 };
        for (size_t k = 0; k < PROPERTY_INSTANCES; k++) {
            inst in;
            random_instance(&rs, &in, keep);
            check_instance(&in, k, &stats);
        }
        /* The instances must exercise every level, or the test proves little. */
        printf("keep=%d: %zu instances, %zu feasible, %zu infeasible; best tied on a)-c) in %zu, on a)-d) in %zu\n",
               keep, (size_t)PROPERTY_INSTANCES, stats.feasible, stats.infeasible, stats.tied_c, stats.tied_d);
        assert_true(stats.infeasible >= PROPERTY_INSTANCES / 20);
        assert_true(stats.tied_c >= PROPERTY_INSTANCES / 10);
        assert_true(stats.tied_d >= PROPERTY_INSTANCES / 20);

        rs = 777 + (uint64_t)keep;
        memset(&stats, 0, sizeof(stats));
        for (size_t k = 0; k < PROPERTY_INSTANCES / 2; k++) {
            inst in;
            chassis_instance(&rs, &in, keep);
            check_instance(&in, k, &stats);
        }
        printf("keep=%d: %zu chassis-heavy instances; best tied on a)-c) in %zu, on a)-d) in %zu\n", keep,
               (size_t)PROPERTY_INSTANCES / 2, stats.tied_c, stats.tied_d);
        assert_true(stats.tied_c >= PROPERTY_INSTANCES / 4);
    }
}

/* ---- mid-size instances: levels a) to c) against enumeration of every count per profile ---- */

#define MID_PROFILES 4
#define MID_TYPES 4

typedef struct mid {
    size_t  nprof, ntypes;
    int64_t a[MID_PROFILES][MID_TYPES];   /* supply per node */
    int64_t t[MID_PROFILES], f[MID_PROFILES];
    int64_t req[MID_TYPES];
    int     keep;
} mid;

/* The best (pulled, waste numerator over the lcm, moves) by trying every count vector. */
static int mid_enumerate(const mid *m, int64_t *pulled_out, __int128 *waste_out, int64_t *moves_out)
{
    int64_t pool[MID_TYPES] = { 0 }, k[MID_PROFILES] = { 0 };
    __int128 lcm = 1;
    for (size_t p = 0; p < m->nprof; p++)
        for (size_t c = 0; c < m->ntypes; c++)
            pool[c] += (m->t[p] + m->f[p]) * m->a[p][c];
    for (size_t c = 0; c < m->ntypes; c++)
        if (pool[c])
            lcm = lcm / gcd64((int64_t)(lcm % pool[c]), pool[c]) * pool[c];
    int found = 0;
    for (;;) {
        int64_t got[MID_TYPES] = { 0 }, pulled = 0, moves = 0;
        for (size_t p = 0; p < m->nprof; p++) {
            for (size_t c = 0; c < m->ntypes; c++)
                got[c] += k[p] * m->a[p][c];
            pulled += k[p] > m->t[p] ? k[p] - m->t[p] : 0;
            moves += k[p] > m->t[p] ? k[p] - m->t[p] : m->t[p] - k[p];
        }
        __int128 waste;
        int ok = covers(got, m->req, pool, lcm, m->ntypes, &waste);
        if (ok && (!found || (m->keep && pulled < *pulled_out) ||
                   ((!m->keep || pulled == *pulled_out) &&
                    (waste < *waste_out || (waste == *waste_out && moves < *moves_out))))) {
            found = 1;
            *pulled_out = pulled;
            *waste_out = waste;
            *moves_out = moves;
        }
        size_t p = 0;
        while (p < m->nprof && ++k[p] > m->t[p] + m->f[p])
            k[p++] = 0;
        if (p == m->nprof)
            break;
    }
    return found;
}

static void mid_instance(uint64_t *rs, mid *m, int keep)
{
    memset(m, 0, sizeof(*m));
    m->keep = keep;
    m->nprof = 2 + (size_t)rnd(rs, MID_PROFILES - 1);
    m->ntypes = 2 + (size_t)rnd(rs, MID_TYPES - 1);
    for (size_t p = 0; p < m->nprof; p++) {
        for (size_t c = 0; c < m->ntypes; c++)
            m->a[p][c] = rnd(rs, 3) ? (c == 0 ? 16 * (1 + rnd(rs, 8)) : rnd(rs, 9)) : 0;   /* type 0: "memory" */
        m->t[p] = rnd(rs, 8);
        m->f[p] = 5 + rnd(rs, 30);
    }
    for (size_t c = 0; c < m->ntypes; c++) {
        int64_t total = 0;
        for (size_t p = 0; p < m->nprof; p++)
            total += (m->t[p] + m->f[p]) * m->a[p][c];
        if (total && rnd(rs, 4))
            m->req[c] = 1 + rnd(rs, (int)(total * 3 / 5));
    }
}

static int mid_check(const mid *m, size_t number)
{
    tide_pool_problem *p = tide_pool_problem_new("mid");
    tide_err e = { 0 };
    char names[MID_TYPES][8] = { "t0", "t1", "t2", "t3" }, xname[32];
    tide_count sup[MID_TYPES];
    tide_pool_set_keep(p, m->keep);
    for (size_t c = 0; c < m->ntypes; c++)
        if (m->req[c])
            assert_int_equal(tide_pool_request(p, names[c], m->req[c], &e), 0);
    size_t node = 0;
    for (size_t pr = 0; pr < m->nprof; pr++) {
        for (size_t c = 0; c < m->ntypes; c++)
            sup[c] = (tide_count){ names[c], (int)m->a[pr][c] };
        for (int64_t i = 0; i < m->t[pr] + m->f[pr]; i++, node++) {
            /* Interleave profiles over chassis so picking has work to do too. */
            snprintf(xname, sizeof(xname), "x%zuc%zus%zub0n%zu", 1000 + node % 3, node / 3 % 8, node / 24 % 8,
                     node / 192);
            assert_int_equal(tide_pool_add_node(p, xname, i < m->t[pr], sup, m->ntypes, &e), 0);
        }
    }
    int64_t pulled = 0, moves = 0;
    __int128 waste = 0;
    int feasible = mid_enumerate(m, &pulled, &waste, &moves);
    tide_pool_plan plan;
    int rc = tide_pool_solve(p, &plan, &e);
    if (!feasible) {
        assert_int_equal(rc, -1);
        tide_pool_problem_free(p);
        return 0;
    }
    if (rc)
        fail_msg("mid instance %zu: %s", number, e.msg);
    /* The plan's waste, over the same common denominator. */
    __int128 lcm = 1, got = 0;
    for (size_t t = 0; t < plan.ntypes; t++)
        lcm = lcm / gcd64((int64_t)(lcm % plan.types[t].pool), plan.types[t].pool) * plan.types[t].pool;
    for (size_t t = 0; t < plan.ntypes; t++)
        got += (__int128)(plan.types[t].supply - plan.types[t].requested) * (lcm / plan.types[t].pool);
    if (got != waste || (int64_t)plan.moves != moves || (m->keep && (int64_t)plan.nadd != pulled))
        fail_msg("mid instance %zu (keep %d): solver waste %.9f moves %zu pulled %zu, enumeration waste %.9f moves "
                 "%lld pulled %lld", number, m->keep, plan.waste, plan.moves, plan.nadd,
                 (double)waste / (double)lcm, (long long)moves, (long long)pulled);
    tide_pool_plan_free(&plan);
    tide_pool_problem_free(p);
    return 1;
}

static void mid_size_matches_enumeration(void **state)
{
    (void)state;
    for (int keep = 0; keep < 2; keep++) {
        uint64_t rs = 4242 + (uint64_t)keep;
        size_t feasible = 0;
        for (size_t k = 0; k < 60; k++) {
            mid m;
            mid_instance(&rs, &m, keep);
            feasible += (size_t)mid_check(&m, k);
        }
        assert_true(feasible >= 40);
    }
}

/* ---- the seed example: zinal:nvidia:2:mi200:4:7742:6:memory:80 on the zinal site ---- */

typedef struct site {
    tide_inventory inv;
    json_object   *groups;
} site;

/* The site file's flat hardware list, read as SMD's FullyFlat Query body. */
static void load_site(site *st)
{
    json_object *file = json_object_from_file(SITE_FILE);
    assert_non_null(file);
    json_object *hw = tide_json_array(file, "hardware"), *body = json_object_new_object();
    static const char *const kinds[][2] = { { "Node", "Nodes" }, { "Processor", "Processors" },
                                            { "Memory", "Memory" }, { "NodeAccel", "NodeAccels" },
                                            { "NodeHsnNic", "NodeHsnNics" } };
    for (size_t k = 0; k < 5; k++)
        json_object_object_add(body, kinds[k][1], json_object_new_array());
    for (size_t i = 0; i < json_object_array_length(hw); i++) {
        json_object *entry = json_object_array_get_idx(hw, i);
        for (size_t k = 0; k < 5; k++)
            if (!strcmp(tide_json_str(entry, "Type"), kinds[k][0]))
                json_object_array_add(tide_json_array(body, kinds[k][1]), json_object_get(entry));
    }
    tide_err e = { 0 };
    assert_int_equal(tide_inventory_parse(body, &st->inv, &e), 0);
    st->groups = json_object_get(tide_json_array(file, "groups"));
    json_object_put(body);
    json_object_put(file);
}

static int in_group(const site *st, const char *label, const char *xname)
{
    for (size_t g = 0; g < json_object_array_length(st->groups); g++) {
        json_object *grp = json_object_array_get_idx(st->groups, g);
        if (strcmp(tide_json_str(grp, "label"), label))
            continue;
        json_object *ids = tide_json_path(grp, "members", "ids", NULL);
        for (size_t i = 0; i < json_object_array_length(ids); i++)
            if (!strcmp(json_object_get_string(json_object_array_get_idx(ids, i)), xname))
                return 1;
    }
    return 0;
}

/* Candidates: zinal and nodes_free (at most limit_free of the latter). */
static tide_pool_problem *zinal_problem(const site *st, const char *pattern, int keep, size_t limit_free)
{
    tide_pattern pat;
    tide_err e = { 0 };
    assert_int_equal(tide_pattern_parse(pattern, &pat, &e), 0);
    tide_node_hw *hw = calloc(st->inv.n, sizeof(*hw));
    unsigned char *in_t = calloc(st->inv.n, 1);
    size_t n = 0, nfree = 0;
    for (size_t i = 0; i < st->inv.n; i++) {
        const char *x = st->inv.nodes[i].xname;
        int t = in_group(st, "zinal", x);
        if (!t && !(in_group(st, "nodes_free", x) && nfree++ < limit_free))
            continue;
        hw[n] = st->inv.nodes[i];   /* shallow: the problem copies what it needs */
        in_t[n++] = (unsigned char)t;
    }
    tide_pool_problem *p = tide_pool_problem_new(pat.group);
    tide_pool_set_keep(p, keep);
    assert_int_equal(tide_pool_problem_from_hw(p, &pat, hw, in_t, n, &e), 0);
    free(hw);
    free(in_t);
    tide_pattern_free(&pat);
    return p;
}

static void free_site(site *st)
{
    tide_inventory_free(&st->inv);
    json_object_put(st->groups);
}

static void assert_names(char **got, size_t n, const char *const *want)
{
    size_t k = 0;
    for (; want[k]; k++) {
        if (k >= n)
            fail_msg("only %zu names, wanted %s next", n, want[k]);
        assert_string_equal(got[k], want[k]);
    }
    assert_int_equal(n, k);
}

/*
 * By hand: nvidia:2 needs one A100 node (4 each), mi200:4 one MI200 node (8),
 * 7742:6 three EPYC 7742 nodes (2 sockets each); they bring 32 + 32 + 3 x 16
 * memory units >= 80, so no other node is needed and any other node only adds
 * waste.  Among the 7742 nodes x1001c1s6b0n0 has an empty DIMM slot (15
 * units): taking it wastes less memory, so it is one of the three.  All of
 * these exist in zinal already, so nothing is added (c); zinal's 7742 nodes
 * share chassis x1001c1 (d); the first xnames decide the rest (e).
 */
static const char *const seed_chosen[] = { "x1001c1s5b0n0", "x1001c1s5b0n1", "x1001c1s6b0n0", "x1005c0s4b0n0",
                                           "x1006c1s4b0n0", NULL };

static void seed_example_on_zinal(void **state)
{
    (void)state;
    site st;
    load_site(&st);
    for (int keep = 0; keep < 2; keep++) {
        tide_pool_problem *p = zinal_problem(&st, "zinal:nvidia:2:mi200:4:7742:6:memory:80", keep, SIZE_MAX);
        assert_int_equal(tide_pool_problem_nodes(p), 40);
        tide_pool_plan plan;
        tide_err e = { 0 };
        assert_int_equal(tide_pool_solve(p, &plan, &e), 0);
        assert_names(plan.chosen, plan.nchosen, seed_chosen);
        assert_int_equal(plan.nadd, 0);
        static const char *const removed[] = { "x1001c1s5b1n0", "x1001c1s5b1n1", "x1001c1s6b0n1", "x1001c1s6b1n0",
                                               "x1001c1s6b1n1", "x1001c1s7b0n0", "x1001c1s7b0n1", "x1001c1s7b1n0",
                                               "x1001c1s7b1n1", "x1005c0s4b0n1", "x1006c1s4b1n0", NULL };
        assert_names(plan.remove, plan.nremove, removed);
        assert_int_equal(plan.moves, 11);
        assert_int_equal(plan.chassis, 3);
        /* Requested terms first (sorted), then the rest by name. */
        static const struct { const char *name; int64_t req, supply, pool; } types[] = {
            { "7742", 6, 6, 48 }, { "memory", 80, 111, 895 }, { "mi200", 4, 8, 64 }, { "nvidia", 2, 4, 32 },
            { "amd epyc 7713 64-core processor", 0, 1, 8 }, { "amd epyc 7a53 64-core processor", 0, 1, 8 },
            { "ss11 200gb 2p nic mezz rev02 (hsn)", 0, 11, 88 },
        };
        assert_int_equal(plan.ntypes, 7);
        double waste = 0;
        for (size_t t = 0; t < 7; t++) {
            assert_string_equal(plan.types[t].name, types[t].name);
            assert_int_equal(plan.types[t].requested, types[t].req);
            assert_int_equal(plan.types[t].supply, types[t].supply);
            assert_int_equal(plan.types[t].pool, types[t].pool);
            waste += (double)(types[t].supply - types[t].req) / (double)types[t].pool;
        }
        assert_true(plan.waste > waste - 1e-12 && plan.waste < waste + 1e-12);
        assert_string_equal(plan.why, keep
            ? "5 nodes in 3 chassis give 7742 6/6, memory 111/80, mi200 8/4, nvidia 4/2; keeping the members that "
              "help, 0 pulled in is the fewest any choice needs; waste 0.5346 is the least such a choice takes from "
              "the pool; 0 added and 11 removed is the fewest moves at that waste, then fewest chassis, then first "
              "xnames"
            : "5 nodes in 3 chassis give 7742 6/6, memory 111/80, mi200 8/4, nvidia 4/2; waste 0.5346 is the least "
              "any choice takes from the pool; 0 added and 11 removed is the fewest moves at that waste, then "
              "fewest chassis, then first xnames");
        tide_pool_plan_free(&plan);
        tide_pool_problem_free(p);
    }
    free_site(&st);
}

/*
 * The same answer by brute force over zinal and the first four free nodes
 * (2^20 subsets), all levels a) to e) applied literally, with supply vectors
 * built by hand the way the adapter is documented to: 7742, memory, mi200,
 * nvidia, then the unasked-for EPYC 7713, EPYC 7A53 and HSN NIC types.  (It
 * is not unique on a) to c): any two of the eleven 16-unit 7742 members, either
 * A100 and either MI200 member tie there; d) and e) pick.)
 */
static void seed_example_by_brute_force(void **state)
{
    (void)state;
    site st;
    load_site(&st);
    tide_pool_problem *p = zinal_problem(&st, "zinal:nvidia:2:mi200:4:7742:6:memory:80", 0, 4);
    tide_pool_plan plan;
    tide_err e = { 0 };
    assert_int_equal(tide_pool_solve(p, &plan, &e), 0);
    assert_names(plan.chosen, plan.nchosen, seed_chosen);
    tide_pool_plan_free(&plan);
    tide_pool_problem_free(p);

    enum { T7742, TMEM, TMI200, TNVIDIA, T7713, T7A53, THSN, NT };
    static const int64_t want[NT] = { 6, 80, 4, 2, 0, 0, 0 };
    inst in = { 0 };
    size_t nfree = 0;
    in.ntypes = NT;
    memcpy(in.req, want, sizeof(want));
    for (size_t i = 0; i < st.inv.n; i++) {
        const tide_node_hw *h = &st.inv.nodes[i];
        int t = in_group(&st, "zinal", h->xname);
        if (!t && !(in_group(&st, "nodes_free", h->xname) && nfree++ < 4))
            continue;
        assert_true(in.n < MAXN);
        snprintf(in.xname[in.n], sizeof(in.xname[in.n]), "%s", h->xname);
        in.in_t[in.n] = t;
        for (size_t k = 0; k < h->processors.n; k++) {
            const char *model = h->processors.items[k].name;
            in.supply[in.n][strstr(model, "7742") ? T7742 : strstr(model, "7713") ? T7713 : T7A53] +=
                h->processors.items[k].count;
        }
        for (size_t k = 0; k < h->accelerators.n; k++)
            in.supply[in.n][strstr(h->accelerators.items[k].name, "MI200") ? TMI200 : TNVIDIA] +=
                h->accelerators.items[k].count;
        for (size_t k = 0; k < h->hsn_nics.n; k++)
            in.supply[in.n][THSN] += h->hsn_nics.items[k].count;
        in.supply[in.n][TMEM] = tide_node_memory_units(h);
        in.n++;
    }
    assert_int_equal(in.n, 20);
    long best = brute_force(&in, NULL);
    size_t k = 0;
    for (size_t i = 0; i < in.n; i++)
        if ((best >> i) & 1)
            assert_string_equal(in.xname[i], seed_chosen[k++]);
    assert_null(seed_chosen[k]);
    check_instance(&in, 0, NULL);   /* and the solver agrees through tide_pool_add_node too */
    free_site(&st);
}

/* Solving p fails with msg and leaves no plan; p is freed. */
static void expect_unsolvable(tide_pool_problem *p, const char *msg)
{
    tide_pool_plan plan;
    tide_err e = { 0 };
    assert_int_equal(tide_pool_solve(p, &plan, &e), -1);
    assert_string_equal(e.msg, msg);
    assert_null(plan.chosen);
    tide_pool_problem_free(p);
}

static void not_enough_hardware_lists_every_short_term(void **state)
{
    (void)state;
    site st;
    load_site(&st);
    tide_pool_problem *p = zinal_problem(&st, "zinal:nvidia:40:mi200:4:7742:60:memory:80:ss11:1:h100:1", 0,
                                         SIZE_MAX);
    expect_unsolvable(p, "not enough hardware for pool zinal among the 40 candidate nodes: 7742 wanted 60, "
                         "available 48; h100 wanted 1, available 0; nvidia wanted 40, available 32");
    free_site(&st);
}

/* keep pulls in as few nodes as it can, even at more waste; without keep the lean choice wins. */
static void keep_pulls_in_fewest(void **state)
{
    (void)state;
    tide_err e = { 0 };
    tide_pool_plan plan;
    tide_count big[] = { { "gpu", 8 } }, small[] = { { "gpu", 2 } };
    for (int keep = 0; keep < 2; keep++) {
        tide_pool_problem *p = tide_pool_problem_new("g");
        tide_pool_set_keep(p, keep);
        assert_int_equal(tide_pool_request(p, "gpu", 4, &e), 0);
        assert_int_equal(tide_pool_add_node(p, "x1c0s0b0n0", 1, small, 1, &e), 0);
        assert_int_equal(tide_pool_add_node(p, "x1c0s0b0n1", 0, small, 1, &e), 0);
        assert_int_equal(tide_pool_add_node(p, "x1c0s1b0n0", 0, small, 1, &e), 0);
        assert_int_equal(tide_pool_add_node(p, "x1c1s0b0n0", 1, big, 1, &e), 0);
        assert_int_equal(tide_pool_solve(p, &plan, &e), 0);
        if (keep) {
            /* The big node is already a member: nothing is pulled in. */
            static const char *const want[] = { "x1c1s0b0n0", NULL };
            assert_names(plan.chosen, plan.nchosen, want);
            assert_int_equal(plan.moves, 1);
        } else {
            /* Two small nodes waste 0 gpus (waste 0), one of them already a member. */
            static const char *const want[] = { "x1c0s0b0n0", "x1c0s0b0n1", NULL };
            assert_names(plan.chosen, plan.nchosen, want);
            assert_int_equal(plan.nadd, 1);
            assert_int_equal(plan.nremove, 1);
            assert_true(plan.waste == 0);
        }
        tide_pool_plan_free(&plan);
        tide_pool_problem_free(p);
    }
}

static void input_errors(void **state)
{
    (void)state;
    tide_err e = { 0 };
    tide_count one[] = { { "gpu", 1 } }, bad[] = { { "gpu", -1 } };
    tide_pool_problem *p = tide_pool_problem_new(NULL);
    assert_int_equal(tide_pool_request(p, "gpu", 0, &e), -1);
    assert_string_equal(e.msg, "pool request gpu:0: the quantity must be at least 1");
    assert_int_equal(tide_pool_request(p, "gpu", 1, &e), 0);
    assert_int_equal(tide_pool_request(p, "gpu", 2, &e), -1);
    assert_string_equal(e.msg, "pool request: gpu is asked for twice");
    assert_int_equal(tide_pool_add_node(p, "x1c0s0b0n0", 0, bad, 1, &e), -1);
    assert_string_equal(e.msg, "node x1c0s0b0n0: negative count -1 of gpu");
    assert_int_equal(tide_pool_add_node(p, "x1c0s0b0n0", 0, one, 1, &e), 0);
    assert_int_equal(tide_pool_add_node(p, "x1c0s0b0", 0, one, 1, &e), 0);
    expect_unsolvable(p, "\"x1c0s0b0\" is not a node xname (x<cabinet>c<chassis>s<slot>b<bmc>n<node>)");

    p = tide_pool_problem_new(NULL);
    assert_int_equal(tide_pool_request(p, "gpu", 1, &e), 0);
    assert_int_equal(tide_pool_add_node(p, "x1c0s0b0n0", 0, one, 1, &e), 0);
    assert_int_equal(tide_pool_add_node(p, "X01C0S0B0N0", 1, one, 1, &e), 0);
    expect_unsolvable(p, "x1c0s0b0n0 and X01C0S0B0N0 are the same node");

    p = tide_pool_problem_new(NULL);
    assert_int_equal(tide_pool_request(p, "gpu", 3, &e), 0);
    assert_int_equal(tide_pool_add_node(p, "x1c0s0b0n0", 0, one, 1, &e), 0);
    expect_unsolvable(p, "not enough hardware among the 1 candidate node: gpu wanted 3, available 1");
}

/* Nodes that supply nothing stay where they are; nodes that supply only unasked-for types leave. */
static void empty_and_idle_nodes(void **state)
{
    (void)state;
    tide_err e = { 0 };
    tide_pool_plan plan;
    tide_count gpu[] = { { "gpu", 1 } }, disk[] = { { "disk", 3 } };
    tide_pool_problem *p = tide_pool_problem_new("g");
    assert_int_equal(tide_pool_request(p, "gpu", 1, &e), 0);
    assert_int_equal(tide_pool_add_node(p, "x1c0s0b0n0", 1, NULL, 0, &e), 0);   /* empty, member */
    assert_int_equal(tide_pool_add_node(p, "x1c0s0b0n1", 0, NULL, 0, &e), 0);   /* empty, not */
    assert_int_equal(tide_pool_add_node(p, "x1c0s1b0n0", 1, disk, 1, &e), 0);   /* idle, member */
    assert_int_equal(tide_pool_add_node(p, "x1c2s0b0n0", 0, gpu, 1, &e), 0);
    assert_int_equal(tide_pool_solve(p, &plan, &e), 0);
    static const char *const want[] = { "x1c0s0b0n0", "x1c2s0b0n0", NULL };
    assert_names(plan.chosen, plan.nchosen, want);
    static const char *const removed[] = { "x1c0s1b0n0", NULL };
    assert_names(plan.remove, plan.nremove, removed);
    assert_int_equal(plan.chassis, 2);
    tide_pool_plan_free(&plan);
    tide_pool_problem_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_sign_of_fraction_sums),
        cmocka_unit_test(seed_example_on_zinal),
        cmocka_unit_test(seed_example_by_brute_force),
        cmocka_unit_test(not_enough_hardware_lists_every_short_term),
        cmocka_unit_test(keep_pulls_in_fewest),
        cmocka_unit_test(input_errors),
        cmocka_unit_test(empty_and_idle_nodes),
        cmocka_unit_test(matches_brute_force),
        cmocka_unit_test(mid_size_matches_enumeration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* baseline_greedy.c - see baseline_greedy.h. */
#include "baseline_greedy.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

typedef struct bprofile {
    const int64_t *row;        /* its component vector (a member's supply row) */
    size_t        *members[2]; /* [0] not in the target, [1] in the target; each in strcmp order */
    size_t         count[2], next[2];
} bprofile;

typedef struct sort_ctx {
    const typed_pool *tp;
    size_t            i;
} sort_ctx;

static int row_cmp(const typed_pool *tp, size_t a, size_t b)
{
    for (size_t c = 0; c < tp->ntypes; c++) {
        if (tp->nic[c])
            continue;
        int64_t x = tp->supply[a * tp->ntypes + c], y = tp->supply[b * tp->ntypes + c];
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

/* Profiles by component vector (NIC columns ignored), then xname. */
static int node_cmp(const void *x, const void *y)
{
    const sort_ctx *a = x, *b = y;
    int r = row_cmp(a->tp, a->i, b->i);
    return r ? r : strcmp(a->tp->xname[a->i], a->tp->xname[b->i]);
}

int baseline_greedy(const typed_pool *tp, int pin, unsigned char *chosen)
{
    size_t T = tp->ntypes, n = tp->n;
    double *scarcity = xcalloc(T + 1, sizeof(double));
    int64_t *pool = xcalloc(T + 1, sizeof(int64_t)), *final = xcalloc(T + 1, sizeof(int64_t));
    sort_ctx *idx = xmalloc(sizeof(*idx) * (n + 1));
    bprofile *prof = xcalloc(n + 1, sizeof(*prof));
    size_t nprof = 0, left_target = 0;
    int rc = 0;

    memset(chosen, 0, n);
    for (size_t i = 0; i < n; i++) {
        idx[i] = (sort_ctx){ tp, i };
        left_target += tp->in_target[i];
        for (size_t c = 0; c < T; c++)
            if (!tp->nic[c])
                pool[c] += tp->supply[i * T + c];
    }
    int64_t total = 0;
    for (size_t c = 0; c < T; c++)
        total += pool[c];
    for (size_t c = 0; c < T; c++) {
        scarcity[c] = pool[c] ? (double)total / (double)pool[c] : 0;
        final[c] = pool[c] - tp->requested[c];
    }
    qsort(idx, n, sizeof(*idx), node_cmp);
    for (size_t k = 0; k < n; k++) {
        size_t i = idx[k].i;
        if (!k || row_cmp(tp, idx[k - 1].i, i)) {
            prof[nprof].row = tp->supply + i * T;
            prof[nprof].members[0] = xmalloc(sizeof(size_t) * (n - k));
            prof[nprof].members[1] = xmalloc(sizeof(size_t) * (n - k));
            nprof++;
        }
        bprofile *p = &prof[nprof - 1];
        p->members[tp->in_target[i]][p->count[tp->in_target[i]]++] = i;
    }

    for (;;) {
        int lacking = 0;
        for (size_t c = 0; c < T; c++)
            lacking |= tp->requested[c] > 0 && pool[c] > final[c];
        if (!lacking)
            break;
        int from_target = pin && left_target > 0;
        long best = -1;
        size_t best_side = 0;
        double best_score = 0;
        for (size_t p = 0; p < nprof; p++) {
            double score = 0;
            for (size_t c = 0; c < T; c++) {
                if (tp->nic[c] || !prof[p].row[c])
                    continue;
                int plus = tp->requested[c] > 0 && pool[c] > final[c];
                score += (plus ? 1 : -1) * scarcity[c] * (double)prof[p].row[c];
            }
            for (size_t side = 0; side < 2; side++) {
                if ((from_target && !side) || prof[p].next[side] == prof[p].count[side])
                    continue;
                size_t head = prof[p].members[side][prof[p].next[side]];
                if (best < 0 || score > best_score ||
                    (score == best_score &&
                     strcmp(tp->xname[head], tp->xname[prof[best].members[best_side][prof[best].next[best_side]]]) < 0)) {
                    best = (long)p;
                    best_side = side;
                    best_score = score;
                }
            }
        }
        if (best < 0) {
            rc = -1;
            break;
        }
        size_t i = prof[best].members[best_side][prof[best].next[best_side]++];
        chosen[i] = 1;
        left_target -= tp->in_target[i];
        for (size_t c = 0; c < T; c++)
            if (!tp->nic[c])
                pool[c] -= tp->supply[i * T + c];
    }
    for (size_t p = 0; p < nprof; p++) {
        free(prof[p].members[0]);
        free(prof[p].members[1]);
    }
    free(prof);
    free(idx);
    free(scarcity);
    free(pool);
    free(final);
    return rc;
}

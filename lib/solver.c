/*
 * solver.c - see solver.h.  Building the problem, the adapter from inventory,
 * and the top of the solve: levels a) to c) in solver_search.c, d) and e) in
 * solver_pick.c, then the plan and its one-line reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "solver_int.h"
#include "xname.h"

/* ---- index tables ---- */

uint64_t solver_hash(const void *data, size_t len, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

long itable_find(const itable *t, uint64_t h, int (*eq)(const void *ctx, uint32_t index), const void *ctx)
{
    if (!t->cap)
        return -1;
    for (size_t i = h & (t->cap - 1); t->index[i]; i = (i + 1) & (t->cap - 1))
        if (t->hash[i] == h && eq(ctx, t->index[i] - 1))
            return t->index[i] - 1;
    return -1;
}

static void place(itable *t, uint64_t h, uint32_t index)
{
    size_t i = h & (t->cap - 1);
    while (t->index[i])
        i = (i + 1) & (t->cap - 1);
    t->hash[i] = h;
    t->index[i] = index + 1;
}

void itable_insert(itable *t, uint64_t h, uint32_t index)
{
    if (2 * (t->n + 1) > t->cap) {
        itable old = *t;
        t->cap = old.cap ? 2 * old.cap : 64;
        t->hash = xcalloc(t->cap, sizeof(uint64_t));
        t->index = xcalloc(t->cap, sizeof(uint32_t));
        for (size_t i = 0; i < old.cap; i++)
            if (old.index[i])
                place(t, old.hash[i], old.index[i] - 1);
        free(old.hash);
        free(old.index);
    }
    place(t, h, index);
    t->n++;
}

void itable_free(itable *t)
{
    free(t->hash);
    free(t->index);
    memset(t, 0, sizeof(*t));
}

#define HASH_SEED 0xcbf29ce484222325ULL

/* ---- building the problem ---- */

tide_pool_problem *tide_pool_problem_new(const char *label)
{
    tide_pool_problem *p = xcalloc(1, sizeof(*p));
    p->label = label ? xstrdup(label) : NULL;
    p->prof_start = xcalloc(1, sizeof(size_t));
    return p;
}

void tide_pool_problem_free(tide_pool_problem *p)
{
    if (!p)
        return;
    free(p->label);
    for (size_t t = 0; t < p->ntypes; t++)
        free(p->type_name[t]);
    free(p->type_name);
    free(p->requested);
    itable_free(&p->types);
    free(p->prof_start);
    free(p->pair_type);
    free(p->pair_count);
    itable_free(&p->profiles);
    strbuf_free(&p->names);
    free(p->name_at);
    free(p->in_target);
    free(p->profile);
    free(p);
}

void tide_pool_set_keep(tide_pool_problem *p, int keep)
{
    p->keep = keep != 0;
}

size_t tide_pool_problem_nodes(const tide_pool_problem *p)
{
    return p->nnodes;
}

const char *solver_node_name(const tide_pool_problem *p, size_t node)
{
    return p->names.s + p->name_at[node];
}

typedef struct name_key {
    const tide_pool_problem *p;
    const char *name;
} name_key;

static int type_eq(const void *ctx, uint32_t index)
{
    const name_key *k = ctx;
    return !strcmp(k->p->type_name[index], k->name);
}

static size_t type_index(tide_pool_problem *p, const char *name)
{
    name_key k = { p, name };
    uint64_t h = solver_hash(name, strlen(name), HASH_SEED);
    long t = itable_find(&p->types, h, type_eq, &k);
    if (t >= 0)
        return (size_t)t;
    p->type_name = xrealloc(p->type_name, sizeof(char *) * (p->ntypes + 1));
    p->requested = xrealloc(p->requested, sizeof(int64_t) * (p->ntypes + 1));
    p->type_name[p->ntypes] = xstrdup(name);
    p->requested[p->ntypes] = 0;
    itable_insert(&p->types, h, (uint32_t)p->ntypes);
    return p->ntypes++;
}

int tide_pool_request(tide_pool_problem *p, const char *name, int64_t qty, tide_err *e)
{
    if (qty <= 0)
        return tide_err_set(e, "pool request %s:%lld: the quantity must be at least 1", name, (long long)qty);
    size_t t = type_index(p, name);
    if (p->requested[t])
        return tide_err_set(e, "pool request: %s is asked for twice", name);
    p->requested[t] = qty;
    return 0;
}

/* A supply as (type, count) pairs sorted by type, duplicates summed, zeros dropped. */
typedef struct pairs {
    uint32_t *type;
    int64_t  *count;
    size_t    n, cap;
} pairs;

static void pairs_add(pairs *s, uint32_t type, int64_t count)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->type = xrealloc(s->type, sizeof(uint32_t) * s->cap);
        s->count = xrealloc(s->count, sizeof(int64_t) * s->cap);
    }
    s->type[s->n] = type;
    s->count[s->n++] = count;
}

static void pairs_normalize(pairs *s)
{
    for (size_t i = 1; i < s->n; i++) {   /* insertion sort: a node has a few types */
        uint32_t t = s->type[i];
        int64_t c = s->count[i];
        size_t j = i;
        for (; j > 0 && s->type[j - 1] > t; j--) {
            s->type[j] = s->type[j - 1];
            s->count[j] = s->count[j - 1];
        }
        s->type[j] = t;
        s->count[j] = c;
    }
    size_t out = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (out && s->type[out - 1] == s->type[i])
            s->count[out - 1] += s->count[i];
        else {
            s->type[out] = s->type[i];
            s->count[out++] = s->count[i];
        }
    }
    s->n = out;
    out = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->count[i]) {
            s->type[out] = s->type[i];
            s->count[out++] = s->count[i];
        }
    s->n = out;
}

typedef struct profile_key {
    const tide_pool_problem *p;
    const pairs *s;
} profile_key;

static int profile_eq(const void *ctx, uint32_t index)
{
    const profile_key *k = ctx;
    const tide_pool_problem *p = k->p;
    size_t start = p->prof_start[index], n = p->prof_start[index + 1] - start;
    return n == k->s->n && (!n || (!memcmp(p->pair_type + start, k->s->type, n * sizeof(uint32_t)) &&
                                   !memcmp(p->pair_count + start, k->s->count, n * sizeof(int64_t))));
}

static uint32_t profile_index(tide_pool_problem *p, const pairs *s)
{
    uint64_t h = solver_hash(s->type, s->n * sizeof(uint32_t), HASH_SEED);
    h = solver_hash(s->count, s->n * sizeof(int64_t), h);
    profile_key k = { p, s };
    long found = itable_find(&p->profiles, h, profile_eq, &k);
    if (found >= 0)
        return (uint32_t)found;
    p->pair_type = xrealloc(p->pair_type, sizeof(uint32_t) * (p->npairs + s->n + 1));
    p->pair_count = xrealloc(p->pair_count, sizeof(int64_t) * (p->npairs + s->n + 1));
    if (s->n) {
        memcpy(p->pair_type + p->npairs, s->type, sizeof(uint32_t) * s->n);
        memcpy(p->pair_count + p->npairs, s->count, sizeof(int64_t) * s->n);
    }
    p->npairs += s->n;
    p->prof_start = xrealloc(p->prof_start, sizeof(size_t) * (p->nprofiles + 2));
    p->prof_start[p->nprofiles + 1] = p->npairs;
    itable_insert(&p->profiles, h, (uint32_t)p->nprofiles);
    return (uint32_t)p->nprofiles++;
}

static void add_node(tide_pool_problem *p, const char *xname, int in_target, pairs *s)
{
    pairs_normalize(s);
    uint32_t prof = profile_index(p, s);
    if (p->nnodes == p->node_cap) {
        p->node_cap = p->node_cap ? 2 * p->node_cap : 64;
        p->name_at = xrealloc(p->name_at, sizeof(size_t) * p->node_cap);
        p->in_target = xrealloc(p->in_target, p->node_cap);
        p->profile = xrealloc(p->profile, sizeof(uint32_t) * p->node_cap);
    }
    p->name_at[p->nnodes] = p->names.len;
    strbuf_add(&p->names, xname, strlen(xname) + 1);
    p->in_target[p->nnodes] = in_target != 0;
    p->profile[p->nnodes++] = prof;
}

int tide_pool_add_node(tide_pool_problem *p, const char *xname, int in_target, const tide_count *supply,
                       size_t nsupply, tide_err *e)
{
    pairs s = { 0 };
    for (size_t i = 0; i < nsupply; i++) {
        if (supply[i].count < 0) {
            free(s.type);
            free(s.count);
            return tide_err_set(e, "node %s: negative count %d of %s", xname, supply[i].count, supply[i].name);
        }
        pairs_add(&s, (uint32_t)type_index(p, supply[i].name), supply[i].count);
    }
    add_node(p, xname, in_target, &s);
    free(s.type);
    free(s.count);
    return 0;
}

/* ---- the adapter from inventory ---- */

/* Models seen so far -> their type, so each distinct model string is matched once. */
typedef struct model_cache {
    itable   table;
    strbuf   text;      /* the model strings, NUL-terminated, back to back */
    size_t  *at;        /* offset of each model in text */
    uint32_t *type;
    size_t   n;
} model_cache;

typedef struct model_key {
    const model_cache *c;
    const char *model;
} model_key;

static int model_eq(const void *ctx, uint32_t index)
{
    const model_key *k = ctx;
    return !strcmp(k->c->text.s + k->c->at[index], k->model);
}

static uint32_t model_type(tide_pool_problem *p, const tide_pattern *pat, model_cache *c, const char *model)
{
    uint64_t h = solver_hash(model, strlen(model), HASH_SEED);
    model_key k = { c, model };
    long found = itable_find(&c->table, h, model_eq, &k);
    if (found >= 0)
        return c->type[found];
    char *name = tide_pattern_type_of(pat, model);
    if (!strcmp(name, TIDE_PATTERN_MEMORY)) {
        /* A component model literally called "memory" must not be counted as memory units. */
        free(name);
        name = xstrdup("memory (model)");
    }
    uint32_t type = (uint32_t)type_index(p, name);
    free(name);
    c->at = xrealloc(c->at, sizeof(size_t) * (c->n + 1));
    c->type = xrealloc(c->type, sizeof(uint32_t) * (c->n + 1));
    c->at[c->n] = c->text.len;
    strbuf_add(&c->text, model, strlen(model) + 1);
    c->type[c->n] = type;
    itable_insert(&c->table, h, (uint32_t)c->n++);
    return type;
}

int tide_pool_problem_from_hw(tide_pool_problem *p, const tide_pattern *pat, const tide_node_hw *hw,
                              const unsigned char *in_target, size_t n, tide_err *e)
{
    for (size_t t = 0; t < pat->nterms; t++)
        if (tide_pool_request(p, pat->terms[t].name, pat->terms[t].qty, e))
            return -1;
    uint32_t memory = (uint32_t)type_index(p, TIDE_PATTERN_MEMORY);
    model_cache cache = { 0 };
    pairs s = { 0 };
    for (size_t i = 0; i < n; i++) {
        const tide_counts *parts[] = { &hw[i].processors, &hw[i].accelerators, &hw[i].hsn_nics };
        s.n = 0;
        for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++)
            for (size_t j = 0; j < parts[k]->n; j++)
                pairs_add(&s, model_type(p, pat, &cache, parts[k]->items[j].name), parts[k]->items[j].count);
        pairs_add(&s, memory, tide_node_memory_units(&hw[i]));
        add_node(p, hw[i].xname, in_target[i], &s);
    }
    free(s.type);
    free(s.count);
    itable_free(&cache.table);
    strbuf_free(&cache.text);
    free(cache.at);
    free(cache.type);
    return 0;
}

/* ---- solving ---- */

/* Is the sorted list of chosen positions a smaller than b (a's and b's flags per position)? */
static int list_less(const unsigned char *a, const unsigned char *b, size_t n)
{
    size_t na = 0, nb = 0, i = 0, before = 0;
    for (size_t k = 0; k < n; k++) {
        na += a[k];
        nb += b[k];
    }
    while (i < n && a[i] == b[i])
        before += a[i++];
    if (i == n)
        return 0;
    /* The first difference: the list holding position i is smaller unless the other one ends here. */
    return a[i] ? nb > before : na == before;
}

static int type_order_cmp(const void *x, const void *y)
{
    const tide_pool_plan_type *a = x, *b = y;
    if ((a->requested > 0) != (b->requested > 0))
        return a->requested > 0 ? -1 : 1;
    return strcmp(a->name, b->name);
}

static void fill_plan(const tide_pool_problem *p, const pool_state *s, const size_t *order,
                      const unsigned char *chosen, long chassis, tide_pool_plan *plan)
{
    size_t n = p->nnodes;
    plan->chosen = xmalloc(sizeof(char *) * (n + 1));
    plan->add = xmalloc(sizeof(char *) * (n + 1));
    plan->remove = xmalloc(sizeof(char *) * (n + 1));
    int64_t *supply_s = xcalloc(p->ntypes + 1, sizeof(int64_t)), *supply_c = xcalloc(p->ntypes + 1, sizeof(int64_t));
    for (size_t c = 0; c < s->nact; c++)
        supply_c[s->act_type[c]] = s->supply[c];
    for (size_t pos = 0; pos < n; pos++) {
        size_t i = order[pos];
        const char *name = solver_node_name(p, i);
        if (chosen[pos]) {
            plan->chosen[plan->nchosen++] = xstrdup(name);
            if (!p->in_target[i])
                plan->add[plan->nadd++] = xstrdup(name);
            size_t pr = p->profile[i];
            for (size_t k = p->prof_start[pr]; k < p->prof_start[pr + 1]; k++)
                supply_s[p->pair_type[k]] += p->pair_count[k];
        } else if (p->in_target[i]) {
            plan->remove[plan->nremove++] = xstrdup(name);
        }
    }
    plan->types = xcalloc(p->ntypes + 1, sizeof(*plan->types));
    long double waste = 0;
    for (size_t t = 0; t < p->ntypes; t++) {
        if (!supply_c[t] && !p->requested[t])
            continue;
        tide_pool_plan_type *pt = &plan->types[plan->ntypes++];
        pt->name = xstrdup(p->type_name[t]);
        pt->requested = p->requested[t];
        pt->supply = supply_s[t];
        pt->pool = supply_c[t];
        waste += (long double)(supply_s[t] - p->requested[t]) / (long double)supply_c[t];
    }
    qsort(plan->types, plan->ntypes, sizeof(*plan->types), type_order_cmp);
    plan->waste = (double)waste;
    plan->moves = plan->nadd + plan->nremove;
    plan->chassis = (size_t)chassis;
    plan->keep = p->keep;
    free(supply_s);
    free(supply_c);
}

static void write_why(const tide_pool_problem *p, tide_pool_plan *plan)
{
    strbuf b = STRBUF_INIT;
    strbuf_printf(&b, "%zu node%s in %zu chassis give", plan->nchosen, plan->nchosen == 1 ? "" : "s",
                  plan->chassis);
    size_t shown = 0;
    for (size_t t = 0; t < plan->ntypes; t++)
        if (plan->types[t].requested)
            strbuf_printf(&b, "%s %s %lld/%lld", shown++ ? "," : "", plan->types[t].name,
                          (long long)plan->types[t].supply, (long long)plan->types[t].requested);
    if (p->keep)
        strbuf_printf(&b, "; keeping the members that help, %zu pulled in is the fewest any choice needs", plan->nadd);
    strbuf_printf(&b, "; waste %.4f is the least %s takes from the pool", plan->waste,
                  p->keep ? "such a choice" : "any choice");
    if (!plan->moves)
        strbuf_puts(&b, "; the group already holds it: nothing to move");
    else
        strbuf_printf(&b, "; %zu added and %zu removed is the fewest moves at that waste", plan->nadd,
                      plan->nremove);
    strbuf_puts(&b, ", then fewest chassis, then first xnames");
    plan->why = strbuf_steal(&b);
}

int tide_pool_solve(const tide_pool_problem *p, tide_pool_plan *plan, tide_err *e)
{
    pool_state s;
    size_t n = p->nnodes, nchassis = 0;
    memset(plan, 0, sizeof(*plan));
    if (solver_prepare(&s, p, e))
        return -1;
    size_t *order = xmalloc(sizeof(size_t) * (n + 1));
    uint32_t *chassis = xmalloc(sizeof(uint32_t) * (n + 1)), *cls = xmalloc(sizeof(uint32_t) * (n + 1));
    size_t nclasses = 2 * s.ngroups;
    int64_t *size = xcalloc(nclasses + 1, sizeof(int64_t)), *take = xcalloc(nclasses + 1, sizeof(int64_t));
    unsigned char *best = xcalloc(n + 1, 1), *cand = xcalloc(n + 1, 1);
    long best_chassis = -1;
    int rc = -1;

    if (solver_order(p, order, chassis, &nchassis, e) || solver_search(&s, e))
        goto done;
    /* Classes: 2 g + (member of T). */
    for (size_t pos = 0; pos < n; pos++) {
        size_t i = order[pos];
        cls[pos] = 2 * s.group_of[p->profile[i]] + p->in_target[i];
    }
    for (size_t g = 0; g < s.ngroups; g++) {
        size[2 * g] = s.gf[g];
        size[2 * g + 1] = s.gt[g];
        take[2 * g + 1] = s.gkind[g] == GROUP_EMPTY ? s.gt[g] : 0;
    }
    pick_input in = { n, chassis, nchassis, cls, nclasses, size };
    for (size_t tie = 0; tie < s.nties; tie++) {
        for (size_t u = 0; u < s.nuse; u++) {
            size_t g = s.use[u];
            int64_t k = s.ties[tie * s.nuse + u];
            take[2 * g + 1] = k < s.gt[g] ? k : s.gt[g];
            take[2 * g] = k - take[2 * g + 1];
        }
        long ch = solver_pick_nodes(&in, take, cand, &s.search_nodes);
        if (ch < 0) {
            if (ch == -1)
                tide_err_set(e, "the pool search gave up after %zu steps (fewest chassis)", s.search_nodes);
            else
                tide_err_set(e, "internal error in the pool solver: the chosen nodes miss the counts it searched for");
            goto done;
        }
        if (best_chassis < 0 || ch < best_chassis || (ch == best_chassis && list_less(cand, best, n))) {
            best_chassis = ch;
            memcpy(best, cand, n);
        }
    }
    fill_plan(p, &s, order, best, best_chassis, plan);
    plan->search_nodes = s.search_nodes;
    write_why(p, plan);
    rc = 0;
done:
    solver_state_free(&s);
    free(order);
    free(chassis);
    free(cls);
    free(size);
    free(take);
    free(best);
    free(cand);
    return rc;
}

void tide_pool_plan_free(tide_pool_plan *plan)
{
    if (!plan)
        return;
    for (size_t i = 0; i < plan->nchosen; i++)
        free(plan->chosen[i]);
    for (size_t i = 0; i < plan->nadd; i++)
        free(plan->add[i]);
    for (size_t i = 0; i < plan->nremove; i++)
        free(plan->remove[i]);
    for (size_t t = 0; t < plan->ntypes; t++)
        free(plan->types[t].name);
    free(plan->chosen);
    free(plan->add);
    free(plan->remove);
    free(plan->types);
    free(plan->why);
    memset(plan, 0, sizeof(*plan));
}

/* model.c - see model.h. */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* Binary search; returns the index of name, or where it would go. */
static size_t find(const tide_counts *c, const char *name, int *found)
{
    size_t lo = 0, hi = c->n;
    *found = 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = strcmp(c->items[mid].name, name);
        if (!cmp) {
            *found = 1;
            return mid;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void tide_counts_add(tide_counts *c, const char *name, int n)
{
    int found;
    size_t at = find(c, name, &found);
    if (found) {
        c->items[at].count += n;
        return;
    }
    c->items = xrealloc(c->items, sizeof(*c->items) * (c->n + 1));
    memmove(&c->items[at + 1], &c->items[at], sizeof(*c->items) * (c->n - at));
    c->items[at].name = xstrdup(name);
    c->items[at].count = n;
    c->n++;
}

int tide_counts_get(const tide_counts *c, const char *name)
{
    int found;
    size_t at = find(c, name, &found);
    return found ? c->items[at].count : 0;
}

int tide_counts_total(const tide_counts *c)
{
    int total = 0;
    for (size_t i = 0; i < c->n; i++)
        total += c->items[i].count;
    return total;
}

void tide_counts_free(tide_counts *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->items[i].name);
    free(c->items);
    c->items = NULL;
    c->n = 0;
}

int64_t tide_node_memory_units(const tide_node_hw *n)
{
    return n->memory_mib / TIDE_MEMORY_UNIT_MIB;
}

void tide_node_hw_free(tide_node_hw *n)
{
    free(n->xname);
    tide_counts_free(&n->processors);
    tide_counts_free(&n->accelerators);
    tide_counts_free(&n->hsn_nics);
    tide_counts_free(&n->dimms);
    for (size_t i = 0; i < n->nempty; i++)
        free(n->empty_slots[i]);
    free(n->empty_slots);
    memset(n, 0, sizeof(*n));
}

/*
 * inventory.c - see inventory.h.
 *
 * Every node entry, and every child entry SMD left at the top level, becomes
 * a partial tide_node_hw; sorting by xname and merging neighbours with the
 * same name then gives one entry per node whatever the shape of the body.
 */
#include "inventory.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonutil.h"
#include "strbuf.h"
#include "xname.h"

/* The node children tide reads, in the order `tide node` lists them (clstr's). */
enum { KIND_PROCESSOR, KIND_MEMORY, KIND_ACCEL, KIND_HSN_NIC, NKINDS };

static const struct kind_desc {
    const char *array;     /* the key of the array in a node (and at the top level) */
    const char *type;      /* HMS type */
    const char *fru_info;  /* the FRU info object under PopulatedFRU */
} kinds[NKINDS] = {
    { "Processors",  "Processor",  "ProcessorFRUInfo" },
    { "Memory",      "Memory",     "MemoryFRUInfo" },
    { "NodeAccels",  "NodeAccel",  "NodeAccelFRUInfo" },
    { "NodeHsnNics", "NodeHsnNic", "NodeHsnNicFRUInfo" },
};

/* A DIMM bigger than this (1 TiB) is garbage; ignoring it keeps the sums from overflowing. */
#define MAX_DIMM_MIB (INT64_C(1) << 20)

/* What one child entry says. */
typedef struct child_info {
    const char *id;    /* ID as SMD wrote it; NULL when absent */
    int         empty; /* "Status":"Empty" */
    char       *model; /* trimmed model / description; NULL when unknown */
    int64_t     mib;   /* DIMM size; 0 when unknown */
} child_info;

/* A copy of s without surrounding blanks (Redfish pads model strings); NULL when nothing is left. */
static char *trimmed(const char *s)
{
    if (!s)
        return NULL;
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    return len ? xstrndup(s, len) : NULL;
}

/* The one place that knows where SMD keeps each kind's model or size. */
static child_info read_child(int kind, json_object *entry)
{
    child_info c = { tide_json_str(entry, "ID"), 0, NULL, 0 };
    const char *status = tide_json_str(entry, "Status");

    if (status && !strcasecmp(status, "Empty")) {
        c.empty = 1;
        return c;
    }
    json_object *fru = tide_json_path(entry, "PopulatedFRU", kinds[kind].fru_info, NULL);
    switch (kind) {
    case KIND_MEMORY:
        c.mib = tide_json_int(fru, "CapacityMiB", 0);
        if (c.mib < 0 || c.mib > MAX_DIMM_MIB)
            c.mib = 0;
        break;
    case KIND_HSN_NIC:
        /* The FRU model is usually blank for HSN NICs; the location description holds the name. */
        c.model = trimmed(tide_json_str(tide_json_get(entry, "NodeHsnNicLocationInfo"), "Description"));
        if (!c.model)
            c.model = trimmed(tide_json_str(fru, "Model"));
        break;
    default:
        c.model = trimmed(tide_json_str(fru, "Model"));
    }
    return c;
}

/* An xname for messages and listings: normalised when it is one, else as written. */
static char *display_xname(const char *id)
{
    char *norm = tide_xname_normalize(id);
    return norm ? norm : xstrdup(id);
}

static void add_empty_slot(tide_node_hw *n, const char *id)
{
    n->empty_slots = xrealloc(n->empty_slots, sizeof(*n->empty_slots) * (n->nempty + 1));
    n->empty_slots[n->nempty++] = display_xname(id);
}

static void apply_child(tide_node_hw *n, int kind, json_object *entry)
{
    child_info c = read_child(kind, entry);

    if (c.empty) {
        if (c.id)
            add_empty_slot(n, c.id);
        return;
    }
    switch (kind) {
    case KIND_PROCESSOR:
        if (c.model)
            tide_counts_add(&n->processors, c.model, 1);
        break;
    case KIND_ACCEL:
        if (c.model)
            tide_counts_add(&n->accelerators, c.model, 1);
        break;
    case KIND_HSN_NIC:
        if (c.model)
            tide_counts_add(&n->hsn_nics, c.model, 1);
        break;
    case KIND_MEMORY:
        if (c.mib > 0) {
            char size[32];
            snprintf(size, sizeof(size), "%" PRId64, c.mib);
            tide_counts_add(&n->dimms, size, 1);
            n->memory_mib += c.mib;
        }
        break;
    }
    free(c.model);
}

/* A growing list of partial node records. */
typedef struct node_vec {
    tide_node_hw *v;
    size_t n, cap;
} node_vec;

static tide_node_hw *node_vec_add(node_vec *nv, const char *xname)
{
    if (nv->n == nv->cap) {
        nv->cap = nv->cap ? 2 * nv->cap : 64;
        nv->v = xrealloc(nv->v, sizeof(*nv->v) * nv->cap);
    }
    tide_node_hw *n = &nv->v[nv->n++];
    memset(n, 0, sizeof(*n));
    n->xname = xstrdup(xname);
    return n;
}

/* A node entry of "Nodes": the node and its nested children. */
static void read_node(node_vec *nv, json_object *entry)
{
    char xname[64];
    tide_xname x;

    if (tide_xname_normalize_buf(tide_json_str(entry, "ID"), xname, sizeof(xname)) ||
        tide_xname_parse(xname, &x) != TIDE_XNAME_NODE)
        return;
    tide_node_hw *n = node_vec_add(nv, xname);
    const char *status = tide_json_str(entry, "Status");
    if (status && !strcasecmp(status, "Empty"))
        add_empty_slot(n, xname);
    for (int k = 0; k < NKINDS; k++) {
        json_object *arr = tide_json_array(entry, kinds[k].array);
        size_t len = arr ? json_object_array_length(arr) : 0;
        for (size_t i = 0; i < len; i++)
            apply_child(n, k, json_object_array_get_idx(arr, i));
    }
}

/* A child entry outside any node entry: credit it to the node its xname names. */
static void read_orphan(node_vec *nv, int kind, json_object *entry)
{
    char node[64];
    if (tide_xname_node_of(tide_json_str(entry, "ID"), node, sizeof(node)))
        return;
    apply_child(node_vec_add(nv, node), kind, entry);
}

static int cmp_node(const void *a, const void *b)
{
    const tide_node_hw *x = a, *y = b;
    int c = tide_xname_cmp(x->xname, y->xname);
    return c ? c : strcmp(x->xname, y->xname);
}

static int cmp_str_xname(const void *a, const void *b)
{
    return tide_xname_cmp(*(char *const *)a, *(char *const *)b);
}

static void merge_counts(tide_counts *dst, const tide_counts *src)
{
    for (size_t i = 0; i < src->n; i++)
        tide_counts_add(dst, src->items[i].name, src->items[i].count);
}

/* Fold src into dst (same node) and free src. */
static void merge_node(tide_node_hw *dst, tide_node_hw *src)
{
    merge_counts(&dst->processors, &src->processors);
    merge_counts(&dst->accelerators, &src->accelerators);
    merge_counts(&dst->hsn_nics, &src->hsn_nics);
    merge_counts(&dst->dimms, &src->dimms);
    dst->memory_mib += src->memory_mib;
    if (src->nempty) {
        dst->empty_slots = xrealloc(dst->empty_slots, sizeof(char *) * (dst->nempty + src->nempty));
        memcpy(dst->empty_slots + dst->nempty, src->empty_slots, sizeof(char *) * src->nempty);
        dst->nempty += src->nempty;
        src->nempty = 0;  /* the strings moved */
    }
    tide_node_hw_free(src);
}

int tide_inventory_parse(json_object *body, tide_inventory *out, tide_err *e)
{
    node_vec nv = { NULL, 0, 0 };

    memset(out, 0, sizeof(*out));
    if (!body || !json_object_is_type(body, json_type_object))
        return tide_err_set(e, "SMD hardware inventory: expected a JSON object (SystemHWInventory), got %s",
                            body ? json_type_to_name(json_object_get_type(body)) : "null");

    json_object *nodes = tide_json_array(body, "Nodes");
    size_t len = nodes ? json_object_array_length(nodes) : 0;
    for (size_t i = 0; i < len; i++)
        read_node(&nv, json_object_array_get_idx(nodes, i));
    for (int k = 0; k < NKINDS; k++) {
        json_object *arr = tide_json_array(body, kinds[k].array);
        len = arr ? json_object_array_length(arr) : 0;
        for (size_t i = 0; i < len; i++)
            read_orphan(&nv, k, json_object_array_get_idx(arr, i));
    }

    if (nv.n)
        qsort(nv.v, nv.n, sizeof(*nv.v), cmp_node);
    size_t kept = 0;
    for (size_t i = 0; i < nv.n; i++) {
        if (kept && !strcmp(nv.v[kept - 1].xname, nv.v[i].xname))
            merge_node(&nv.v[kept - 1], &nv.v[i]);
        else
            nv.v[kept++] = nv.v[i];
    }
    for (size_t i = 0; i < kept; i++)
        if (nv.v[i].nempty > 1)
            qsort(nv.v[i].empty_slots, nv.v[i].nempty, sizeof(char *), cmp_str_xname);
    out->nodes = nv.v;
    out->n = kept;
    return 0;
}

void tide_inventory_free(tide_inventory *inv)
{
    for (size_t i = 0; i < inv->n; i++)
        tide_node_hw_free(&inv->nodes[i]);
    free(inv->nodes);
    inv->nodes = NULL;
    inv->n = 0;
}

const tide_node_hw *tide_inventory_find(const tide_inventory *inv, const char *xname)
{
    char norm[64];
    if (tide_xname_normalize_buf(xname, norm, sizeof(norm)))
        return NULL;
    size_t lo = 0, hi = inv->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = tide_xname_cmp(inv->nodes[mid].xname, norm);
        if (!c)
            c = strcmp(inv->nodes[mid].xname, norm);
        if (!c)
            return &inv->nodes[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void profile_counts(strbuf *b, const tide_counts *c, const char *suffix)
{
    for (size_t i = 0; i < c->n; i++)
        strbuf_printf(b, "%s%dx %s%s", b->len ? ", " : "", c->items[i].count, c->items[i].name, suffix);
}

char *tide_node_hw_profile(const tide_node_hw *n)
{
    strbuf b = STRBUF_INIT;

    profile_counts(&b, &n->processors, "");
    profile_counts(&b, &n->accelerators, "");
    if (n->memory_mib) {
        if (n->memory_mib % 1024 == 0)
            strbuf_printf(&b, "%s%" PRId64 " GiB", b.len ? ", " : "", n->memory_mib / 1024);
        else
            strbuf_printf(&b, "%s%" PRId64 " MiB", b.len ? ", " : "", n->memory_mib);
    }
    profile_counts(&b, &n->hsn_nics, "");
    if (!b.len)
        strbuf_puts(&b, "no inventory");
    return strbuf_steal(&b);
}

/* ---- per-component listing ------------------------------------------- */

typedef struct listed {
    tide_hw_component c;
    int kind;
} listed;

typedef struct listed_vec {
    listed *v;
    size_t n;
} listed_vec;

static void list_child(listed_vec *lv, int kind, json_object *entry)
{
    child_info c = read_child(kind, entry);
    if (!c.id) {
        free(c.model);
        return;
    }
    lv->v = xrealloc(lv->v, sizeof(*lv->v) * (lv->n + 1));
    listed *l = &lv->v[lv->n++];
    l->kind = kind;
    l->c.xname = display_xname(c.id);
    l->c.type = kinds[kind].type;
    l->c.empty = c.empty;
    if (c.empty || (kind == KIND_MEMORY ? c.mib <= 0 : !c.model))
        l->c.info = xstrdup(TIDE_MISSING_INFO);
    else if (kind == KIND_MEMORY)
        l->c.info = xasprintf("%" PRId64 " MiB", c.mib);
    else
        l->c.info = xstrdup(c.model);
    free(c.model);
}

static int cmp_listed(const void *a, const void *b)
{
    const listed *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind - y->kind;
    return tide_xname_cmp(x->c.xname, y->c.xname);
}

/* Does this entry's ID belong to `node` (the entry is the node itself, or one of its children)? */
static int belongs_to(json_object *entry, const char *node, int self)
{
    char buf[64];
    const char *id = tide_json_str(entry, "ID");
    if (self)
        return !tide_xname_normalize_buf(id, buf, sizeof(buf)) && !strcmp(buf, node);
    return !tide_xname_node_of(id, buf, sizeof(buf)) && !strcmp(buf, node);
}

int tide_inventory_components(json_object *body, const char *node, tide_hw_components *out, tide_err *e)
{
    char norm[64];
    listed_vec lv = { NULL, 0 };

    memset(out, 0, sizeof(*out));
    if (tide_xname_normalize_buf(node, norm, sizeof(norm)) || tide_xname_parse(norm, NULL) != TIDE_XNAME_NODE)
        return tide_err_set(e, "'%s' is not a node xname (expected xXcCsSbBnN, e.g. x1000c0s0b0n0)", node);
    if (!body || !json_object_is_type(body, json_type_object))
        return tide_err_set(e, "SMD hardware inventory: expected a JSON object (SystemHWInventory), got %s",
                            body ? json_type_to_name(json_object_get_type(body)) : "null");

    json_object *nodes = tide_json_array(body, "Nodes");
    size_t len = nodes ? json_object_array_length(nodes) : 0;
    for (size_t i = 0; i < len; i++) {
        json_object *n = json_object_array_get_idx(nodes, i);
        if (!belongs_to(n, norm, 1))
            continue;
        for (int k = 0; k < NKINDS; k++) {
            json_object *arr = tide_json_array(n, kinds[k].array);
            size_t alen = arr ? json_object_array_length(arr) : 0;
            for (size_t j = 0; j < alen; j++)
                list_child(&lv, k, json_object_array_get_idx(arr, j));
        }
    }
    for (int k = 0; k < NKINDS; k++) {
        json_object *arr = tide_json_array(body, kinds[k].array);
        len = arr ? json_object_array_length(arr) : 0;
        for (size_t i = 0; i < len; i++) {
            json_object *c = json_object_array_get_idx(arr, i);
            if (belongs_to(c, norm, 0))
                list_child(&lv, k, c);
        }
    }

    if (lv.n)
        qsort(lv.v, lv.n, sizeof(*lv.v), cmp_listed);
    out->items = lv.n ? xmalloc(sizeof(*out->items) * lv.n) : NULL;
    for (size_t i = 0; i < lv.n; i++)
        out->items[i] = lv.v[i].c;
    out->n = lv.n;
    free(lv.v);
    return 0;
}

void tide_hw_components_free(tide_hw_components *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->items[i].xname);
        free(c->items[i].info);
    }
    free(c->items);
    c->items = NULL;
    c->n = 0;
}

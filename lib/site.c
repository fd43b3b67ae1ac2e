/* site.c - see site.h. */
#include "site.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonutil.h"
#include "strbuf.h"

struct tide_site {
    tide_http   *smd;         /* live source; NULL for a dump */
    char        *source;      /* for messages */
    json_object *components;  /* the three bodies, NULL until fetched (or absent from the dump) */
    json_object *groups;
    json_object *inventory;
    tide_inventory inv;       /* parsed inventory, valid when inv_parsed */
    int          inv_parsed;
};

enum { PART_COMPONENTS, PART_GROUPS, PART_INVENTORY, NPARTS };

/* The parts of a dump, in that order: key, JSON type, and the SMD call that produces it. */
static const struct part {
    const char *key;
    json_type   type;
    const char *path;
    size_t      offset;
} parts[] = {
    { "components", json_type_object, "/State/Components?type=Node", offsetof(struct tide_site, components) },
    { "groups",     json_type_array,  "/groups",                      offsetof(struct tide_site, groups) },
    { "inventory",  json_type_object, "/Inventory/Hardware/Query/s0", offsetof(struct tide_site, inventory) },
};

static json_object **slot(tide_site *s, const struct part *p)
{
    return (json_object **)((char *)s + p->offset);
}

tide_site *tide_site_live(tide_http *smd)
{
    tide_site *s = xcalloc(1, sizeof(*s));
    s->smd = smd;
    s->source = xasprintf("SMD at %s", tide_http_base_url(smd));
    return s;
}

tide_site *tide_site_from_dump(const char *text, const char *name, tide_err *e)
{
    enum json_tokener_error jerr = json_tokener_success;
    json_object *j = json_tokener_parse_verbose(text, &jerr);

    if (!j || !json_object_is_type(j, json_type_object)) {
        if (!j)
            tide_err_set(e, "dump %s: not JSON (%s)", name, json_tokener_error_desc(jerr));
        else
            tide_err_set(e, "dump %s: expected a JSON object with components, groups and inventory", name);
        json_object_put(j);
        return NULL;
    }
    tide_site *s = xcalloc(1, sizeof(*s));
    s->source = xasprintf("dump %s", name);
    for (size_t i = 0; i < NPARTS; i++) {
        json_object *v = tide_json_get(j, parts[i].key);
        if (!v)
            continue;
        if (!json_object_is_type(v, parts[i].type)) {
            tide_err_set(e, "dump %s: \"%s\" is not a JSON %s as SMD's GET %s returns", name, parts[i].key,
                         json_type_to_name(parts[i].type), parts[i].path);
            json_object_put(j);
            tide_site_free(s);
            return NULL;
        }
        *slot(s, &parts[i]) = json_object_get(v);
    }
    json_object_put(j);
    return s;
}

void tide_site_free(tide_site *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < NPARTS; i++)
        json_object_put(*slot(s, &parts[i]));
    tide_inventory_free(&s->inv);
    free(s->source);
    free(s);
}

const char *tide_site_source(const tide_site *s)
{
    return s->source;
}

/* Make sure one part is there: fetch it from SMD, or fail if the dump lacks it. */
static int need(tide_site *s, int which, tide_err *e)
{
    const struct part *p = &parts[which];
    json_object **v = slot(s, p);
    int rc;

    if (*v)
        return 0;
    if (!s->smd)
        return tide_err_set(e, "%s has no \"%s\" (SMD's GET %s)", s->source, p->key, p->path);
    switch (which) {
    case PART_COMPONENTS:
        rc = tide_smd_components_raw(s->smd, v, e);
        break;
    case PART_INVENTORY:
        rc = tide_smd_inventory_query(s->smd, "s0", v, e);
        break;
    default:  /* smd.h parses groups; the dump needs SMD's own body */
        rc = tide_http_json(s->smd, "GET", p->path, NULL, v, e);
    }
    if (rc)
        return -1;
    if (!*v || !json_object_is_type(*v, p->type)) {
        char what[64];
        snprintf(what, sizeof(what), "the reply is not a JSON %s", json_type_to_name(p->type));
        json_object_put(*v);
        *v = NULL;
        return tide_reply_error(s->smd, "GET", p->path, what, e);
    }
    return 0;
}

static json_object *find_group(json_object *groups, const char *label)
{
    size_t n = json_object_array_length(groups);
    for (size_t i = 0; i < n; i++) {
        json_object *g = json_object_array_get_idx(groups, i);
        const char *l = tide_json_str(g, "label");
        if (l && !strcasecmp(l, label))
            return g;
    }
    return NULL;
}

int tide_site_group(tide_site *s, const char *label, tide_group *out, tide_err *e)
{
    memset(out, 0, sizeof(*out));
    if (s->smd && !s->groups)
        return tide_smd_group_get(s->smd, label, out, e);
    if (need(s, PART_GROUPS, e))
        return -1;
    json_object *g = find_group(s->groups, label);
    if (!g) {
        tide_err_set(e, "%s: no such group: %s", s->source, label);
        e->http_status = 404;
        return -1;
    }
    tide_group_from_json(g, out);
    return 0;
}

int tide_site_groups(tide_site *s, const char *const *labels, size_t nlabels, tide_group_list *out,
                     tide_err *e)
{
    tide_group_list got = { NULL, 0 };

    memset(out, 0, sizeof(*out));
    if (labels && !nlabels)
        return 0;
    if (s->smd && !s->groups && labels) {
        /* One GET /groups?group=a&group=b... rather than every group of the site. */
        if (tide_smd_groups_list(s->smd, labels, nlabels, &got, e))
            return -1;
    } else {
        if (need(s, PART_GROUPS, e))
            return -1;
        size_t n = json_object_array_length(s->groups);
        got.groups = n ? xcalloc(n, sizeof(*got.groups)) : NULL;
        for (size_t i = 0; i < n; i++)
            tide_group_from_json(json_object_array_get_idx(s->groups, i), &got.groups[got.n++]);
    }
    if (!labels) {
        *out = got;
        return 0;
    }
    /* Keep the groups asked for, in the order asked; move them out of `got`. */
    out->groups = xcalloc(nlabels, sizeof(*out->groups));
    for (size_t i = 0; i < nlabels; i++)
        for (size_t j = 0; j < got.n; j++)
            if (got.groups[j].label && !strcasecmp(got.groups[j].label, labels[i])) {
                out->groups[out->n++] = got.groups[j];
                memset(&got.groups[j], 0, sizeof(got.groups[j]));
                break;
            }
    tide_group_list_free(&got);
    return 0;
}

int tide_site_inventory_json(tide_site *s, json_object **body, tide_err *e)
{
    if (need(s, PART_INVENTORY, e))
        return -1;
    *body = s->inventory;
    return 0;
}

int tide_site_inventory(tide_site *s, const tide_inventory **inv, tide_err *e)
{
    if (!s->inv_parsed) {
        json_object *body;
        if (tide_site_inventory_json(s, &body, e))
            return -1;
        if (tide_inventory_parse(body, &s->inv, e))
            return tide_err_prefix(e, "%s", s->source);
        s->inv_parsed = 1;
    }
    *inv = &s->inv;
    return 0;
}

int tide_site_node_inventory_json(tide_site *s, const char *node, json_object **body, tide_err *e)
{
    *body = NULL;
    if (s->smd && !s->inventory) {
        if (tide_smd_inventory_query(s->smd, node, body, e))
            return -1;
        if (!json_object_is_type(*body, json_type_object)) {
            char *path = xasprintf("/Inventory/Hardware/Query/%s", node);
            tide_reply_error(s->smd, "GET", path, "the reply is not a JSON object", e);
            free(path);
            json_object_put(*body);
            *body = NULL;
            return -1;
        }
        return 0;
    }
    if (need(s, PART_INVENTORY, e))
        return -1;
    *body = json_object_get(s->inventory);
    return 0;
}

int tide_site_components_json(tide_site *s, json_object **body, tide_err *e)
{
    if (need(s, PART_COMPONENTS, e))
        return -1;
    *body = s->components;
    return 0;
}

int tide_site_dump(tide_site *s, json_object **out, tide_err *e)
{
    *out = NULL;
    for (size_t i = 0; i < NPARTS; i++)
        if (need(s, (int)i, e))
            return -1;
    json_object *d = json_object_new_object();
    for (size_t i = 0; i < NPARTS; i++)
        json_object_object_add(d, parts[i].key, json_object_get(*slot(s, &parts[i])));
    *out = d;
    return 0;
}

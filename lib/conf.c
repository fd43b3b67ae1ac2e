/*
 * conf.c - the tide.conf parser.  See conf.h for the syntax.
 *
 * Parsing is in two halves: split a line into Key=Value pairs (with quotes and
 * comments), then apply each pair to the config, a Pool= or an Image= record.
 * The checks that need the whole file (unknown DefaultImage, duplicate pool)
 * run once at the end so an admin gets the first real error, with its line.
 */
#include "conf.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"

#define MAX_INCLUDE_DEPTH 8

typedef struct pair {
    char *key, *value;
} pair;

/* Where the keys that are checked against the whole file were set, for their messages. */
typedef struct conf_where {
    char *default_image, *slurm_pool;   /* "file:line" */
} conf_where;

typedef struct parse_ctx {
    tide_conf  *conf;
    const char *name;   /* file name for messages */
    int         line;
    int         depth;  /* Include= nesting */
    tide_err   *e;
    conf_where *where;  /* shared with included files */
} parse_ctx;

static int conf_error(parse_ctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int conf_error(parse_ctx *p, const char *fmt, ...)
{
    char msg[TIDE_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tide_err_set(p->e, "%s:%d: %s", p->name, p->line, msg);
}

/* Split one line into pairs.  Returns the number of pairs, or -1 on a syntax error. */
static int split_pairs(parse_ctx *p, const char *line, pair **out)
{
    pair *pairs = NULL;
    int n = 0;
    const char *s = line;

    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
            s++;
        if (!*s || *s == '#')
            break;
        const char *k = s;
        while (*s && *s != '=' && !isspace((unsigned char)*s) && *s != '#')
            s++;
        if (*s != '=') {
            conf_error(p, "expected Key=Value, found '%.*s'", (int)(s - k), k);
            goto fail;
        }
        if (s == k) {
            conf_error(p, "missing key before '='");
            goto fail;
        }
        char *key = xstrndup(k, (size_t)(s - k));
        s++; /* '=' */
        strbuf v = STRBUF_INIT;
        if (*s == '"') {
            s++;
            while (*s && *s != '"') {
                if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
                    s++;
                strbuf_add(&v, s++, 1);
            }
            if (*s != '"') {
                conf_error(p, "unterminated quote in value of %.64s", key);
                free(key);
                strbuf_free(&v);
                goto fail;
            }
            s++;
        } else {
            const char *vs = s;
            while (*s && !isspace((unsigned char)*s) && *s != '#')
                s++;
            strbuf_add(&v, vs, (size_t)(s - vs));
        }
        pairs = xrealloc(pairs, sizeof(*pairs) * (size_t)(n + 1));
        pairs[n].key = key;
        pairs[n].value = strbuf_steal(&v);
        n++;
    }
    *out = pairs;
    return n;
fail:
    for (int i = 0; i < n; i++) {
        free(pairs[i].key);
        free(pairs[i].value);
    }
    free(pairs);
    return -1;
}

static void free_pairs(pair *pairs, int n)
{
    for (int i = 0; i < n; i++) {
        free(pairs[i].key);
        free(pairs[i].value);
    }
    free(pairs);
}

static int parse_int(parse_ctx *p, const pair *kv, int min, int max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(kv->value, &end, 10);
    if (errno || end == kv->value || *end || v < min || v > max)
        return conf_error(p, "%s=%s: expected an integer from %d to %d", kv->key, kv->value, min, max);
    *out = (int)v;
    return 0;
}

static int parse_bool(parse_ctx *p, const pair *kv, int *out)
{
    static const char *const yes[] = { "yes", "on", "true", "1" }, *const no[] = { "no", "off", "false", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(kv->value, yes[i]))
            return *out = 1, 0;
        if (!strcasecmp(kv->value, no[i]))
            return *out = 0, 0;
    }
    return conf_error(p, "%s=%s: expected yes or no", kv->key, kv->value);
}

static void set_str(char **dst, const char *value)
{
    free(*dst);
    *dst = xstrdup(value);
}

static int check_name(parse_ctx *p, const pair *kv)
{
    if (!*kv->value)
        return conf_error(p, "%s= needs a name", kv->key);
    for (const char *s = kv->value; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("-_.:", *s))
            return conf_error(p, "%s=%s: names may hold letters, digits and - _ . : only", kv->key, kv->value);
    return 0;
}

/* Check a Pool=/Image= record's name and make a zeroed slot for it at the end of *arr. */
static void *new_record(parse_ctx *p, const char *what, const pair *name, int exists, void **arr, size_t *n,
                        size_t size)
{
    if (check_name(p, name))
        return NULL;
    if (exists) {
        conf_error(p, "%s=%s is defined twice", what, name->value);
        return NULL;
    }
    *arr = xrealloc(*arr, size * (*n + 1));
    void *slot = (char *)*arr + size * (*n)++;
    memset(slot, 0, size);
    return slot;
}

static int apply_pool(parse_ctx *p, const pair *kv, int n)
{
    tide_conf *c = p->conf;
    tide_pool_conf *pool = new_record(p, "Pool", &kv[0], tide_conf_pool(c, kv[0].value) != NULL,
                                      (void **)&c->pools, &c->npools, sizeof(*c->pools));
    if (!pool)
        return -1;
    pool->name = xstrdup(kv[0].value);
    pool->kind = TIDE_POOL_TENANT;
    pool->cost = 1;
    pool->drain_timeout = 600;
    pool->where = xasprintf("%s:%d", p->name, p->line);
    int kind_set = 0;

    for (int i = 1; i < n; i++) {
        const pair *a = &kv[i];
        if (!strcasecmp(a->key, "Group")) {
            if (check_name(p, a))
                return -1;
            set_str(&pool->group, a->value);
        } else if (!strcasecmp(a->key, "Kind")) {
            static const char *const kinds[] = { "free", "kubernetes", "slurm", "tenant" };
            size_t k;
            for (k = 0; k < 4 && strcasecmp(a->value, kinds[k]); k++)
                ;
            if (k == 4)
                return conf_error(p, "Kind=%s: expected free, kubernetes, slurm or tenant", a->value);
            pool->kind = (tide_pool_kind)k;
            kind_set = 1;
        } else if (!strcasecmp(a->key, "Cost")) {
            if (parse_int(p, a, 0, 1000000, &pool->cost))
                return -1;
        } else if (!strcasecmp(a->key, "Park")) {
            if (parse_bool(p, a, &pool->park))
                return -1;
        } else if (!strcasecmp(a->key, "Kubeconfig")) {
            set_str(&pool->kubeconfig, a->value);
        } else if (!strcasecmp(a->key, "HomeImage")) {
            set_str(&pool->home_image, a->value);
        } else if (!strcasecmp(a->key, "MaxBorrow")) {
            size_t len = strlen(a->value);
            pair num = *a;
            char tmp[32];
            if (len && a->value[len - 1] == '%' && len < sizeof(tmp)) {
                memcpy(tmp, a->value, len - 1);
                tmp[len - 1] = '\0';
                num.value = tmp;
                pool->max_borrow_percent = 1;
                if (parse_int(p, &num, 0, 100, &pool->max_borrow))
                    return -1;
            } else if (parse_int(p, a, 0, INT_MAX, &pool->max_borrow)) {
                return -1;
            }
        } else if (!strcasecmp(a->key, "DrainTimeout")) {
            if (parse_int(p, a, 1, 86400, &pool->drain_timeout))
                return -1;
        } else {
            return conf_error(p, "unknown key %s in Pool=%s record", a->key, pool->name);
        }
    }
    if (!kind_set)
        return conf_error(p, "Pool=%s needs Kind=free|kubernetes|slurm|tenant", pool->name);
    if (!pool->group)
        pool->group = xstrdup(pool->name);
    if (pool->kind == TIDE_POOL_KUBERNETES && !pool->kubeconfig)
        return conf_error(p, "Pool=%s is Kind=kubernetes and needs Kubeconfig=", pool->name);
    return 0;
}

static int apply_image(parse_ctx *p, const pair *kv, int n)
{
    tide_conf *c = p->conf;
    tide_image_conf *img = new_record(p, "Image", &kv[0], tide_conf_image(c, kv[0].value) != NULL,
                                      (void **)&c->images, &c->nimages, sizeof(*c->images));
    if (!img)
        return -1;
    img->name = xstrdup(kv[0].value);
    img->where = xasprintf("%s:%d", p->name, p->line);

    for (int i = 1; i < n; i++) {
        const pair *a = &kv[i];
        if (!strcasecmp(a->key, "Kernel"))
            set_str(&img->kernel, a->value);
        else if (!strcasecmp(a->key, "Initrd"))
            set_str(&img->initrd, a->value);
        else if (!strcasecmp(a->key, "Params"))
            set_str(&img->params, a->value);
        else if (!strcasecmp(a->key, "CloudInitGroup"))
            set_str(&img->cloud_init_group, a->value);
        else if (!strcasecmp(a->key, "Transition")) {
            if (!strcasecmp(a->value, "kexec"))
                img->transition = TIDE_TRANSITION_KEXEC;
            else if (!strcasecmp(a->value, "reboot"))
                img->transition = TIDE_TRANSITION_REBOOT;
            else
                return conf_error(p, "Transition=%s: expected kexec or reboot", a->value);
        } else {
            return conf_error(p, "unknown key %s in Image=%s record", a->key, img->name);
        }
    }
    if (!img->kernel || !img->initrd)
        return conf_error(p, "Image=%s needs Kernel= and Initrd=", img->name);
    if (!img->params)
        img->params = xstrdup("");
    return 0;
}

static int parse_text(parse_ctx *p, const char *text);

static int apply_include(parse_ctx *p, const char *pattern)
{
    char *full = NULL;
    glob_t g;
    int rc = 0;

    if (p->depth >= MAX_INCLUDE_DEPTH)
        return conf_error(p, "Include=%s: includes nested more than %d deep", pattern, MAX_INCLUDE_DEPTH);
    if (pattern[0] != '/') {
        /* Relative includes are relative to the including file, as in slurm.conf. */
        const char *slash = strrchr(p->name, '/');
        full = slash ? xasprintf("%.*s/%s", (int)(slash - p->name), p->name, pattern) : xstrdup(pattern);
    } else {
        full = xstrdup(pattern);
    }
    int g_rc = glob(full, 0, NULL, &g);
    if (g_rc == GLOB_NOMATCH) {
        /* An empty drop-in directory is normal; a plain file that is missing is not. */
        if (!strpbrk(full, "*?["))
            rc = conf_error(p, "Include=%s: no such file", full);
        free(full);
        return rc;
    }
    if (g_rc) {
        rc = conf_error(p, "Include=%s: cannot expand", full);
        free(full);
        return rc;
    }
    for (size_t i = 0; i < g.gl_pathc && !rc; i++) {
        FILE *f = fopen(g.gl_pathv[i], "r");
        if (!f) {
            rc = conf_error(p, "Include=%s: %s", g.gl_pathv[i], strerror(errno));
            break;
        }
        strbuf text = STRBUF_INIT;
        char chunk[4096];
        size_t got;
        while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
            strbuf_add(&text, chunk, got);
        fclose(f);
        parse_ctx sub = { p->conf, g.gl_pathv[i], 0, p->depth + 1, p->e, p->where };
        rc = parse_text(&sub, strbuf_str(&text));
        strbuf_free(&text);
    }
    globfree(&g);
    free(full);
    return rc;
}

typedef enum { KEY_STR, KEY_INT, KEY_BOOL } key_type;

/* The global keys: one table, so tide.conf(5) and the parser cannot drift apart. */
static const struct global_key {
    const char *name;
    key_type type;
    size_t offset;
    int min, max;
} global_keys[] = {
#define STR(k, f) { k, KEY_STR, offsetof(tide_conf, f), 0, 0 }
#define INT(k, f, lo, hi) { k, KEY_INT, offsetof(tide_conf, f), lo, hi }
    STR("SmdUrl", smd_url), STR("BssUrl", bss_url), STR("PcsUrl", pcs_url),
    STR("TokenFile", token_file), STR("TokenUrl", token_url), STR("ClientId", client_id),
    STR("ClientSecretFile", client_secret_file), STR("CaFile", ca_file),
    { "TlsVerify", KEY_BOOL, offsetof(tide_conf, tls_verify), 0, 1 },
    INT("ConnectTimeout", connect_timeout, 1, 600), INT("RequestTimeout", request_timeout, 1, 3600),
    INT("Retries", retries, 0, 20),
    STR("RedfishUser", redfish_user), STR("RedfishPasswordFile", redfish_password_file),
    STR("Listen", listen), STR("StateDir", state_dir), STR("ExclusiveGroup", exclusive_group),
    STR("SlurmPool", slurm_pool), STR("DefaultImage", default_image),
    INT("QuarantineAfter", quarantine_after, 1, 1000),
    INT("BootTimeout", boot_timeout, 10, 86400),
    STR("MungeSocket", munge_socket), STR("SlurmUser", slurm_user),
    { "BulkGroupMoves", KEY_BOOL, offsetof(tide_conf, bulk_group_moves), 0, 1 },
    INT("AgentPort", agent_port, 1, 65535),
#undef STR
#undef INT
};

static void set_where(char **dst, const parse_ctx *p)
{
    free(*dst);
    *dst = xasprintf("%s:%d", p->name, p->line);
}

static int apply_global(parse_ctx *p, const pair *kv)
{
    if (!strcasecmp(kv->key, "Include"))
        return apply_include(p, kv->value);
    for (size_t i = 0; i < sizeof(global_keys) / sizeof(global_keys[0]); i++) {
        const struct global_key *k = &global_keys[i];
        if (strcasecmp(kv->key, k->name))
            continue;
        void *field = (char *)p->conf + k->offset;
        switch (k->type) {
        case KEY_STR:
            set_str(field, kv->value);
            if (!strcasecmp(k->name, "DefaultImage"))
                set_where(&p->where->default_image, p);
            else if (!strcasecmp(k->name, "SlurmPool"))
                set_where(&p->where->slurm_pool, p);
            return 0;
        case KEY_INT:
            return parse_int(p, kv, k->min, k->max, field);
        case KEY_BOOL:
            return parse_bool(p, kv, field);
        }
    }
    return conf_error(p, "unknown key %s", kv->key);
}

static int parse_line(parse_ctx *p, const char *line)
{
    pair *kv = NULL;
    int n = split_pairs(p, line, &kv);
    int rc = 0;

    if (n <= 0)
        return n;
    if (!strcasecmp(kv[0].key, "Pool"))
        rc = apply_pool(p, kv, n);
    else if (!strcasecmp(kv[0].key, "Image"))
        rc = apply_image(p, kv, n);
    else
        for (int i = 0; i < n && !rc; i++)
            rc = apply_global(p, &kv[i]);
    free_pairs(kv, n);
    return rc;
}

static int parse_text(parse_ctx *p, const char *text)
{
    const char *s = text;
    strbuf line = STRBUF_INIT;
    int rc = 0;

    while (*s && !rc) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        p->line++;
        strbuf_reset(&line);
        strbuf_add(&line, s, len);
        rc = parse_line(p, strbuf_str(&line));
        s += len + (nl ? 1 : 0);
    }
    strbuf_free(&line);
    return rc;
}

/* Checks that need the whole file. */
static int check_conf(tide_conf *c, const char *name, const conf_where *w, tide_err *e)
{
    if (c->default_image && !tide_conf_image(c, c->default_image))
        return tide_err_set(e, "%s: DefaultImage=%s names no Image= record", w->default_image, c->default_image);
    if (c->slurm_pool && !tide_conf_pool(c, c->slurm_pool))
        return tide_err_set(e, "%s: SlurmPool=%s names no Pool= record", w->slurm_pool, c->slurm_pool);
    for (size_t i = 0; i < c->npools; i++) {
        const tide_pool_conf *pool = &c->pools[i];
        if (pool->home_image && !tide_conf_image(c, pool->home_image))
            return tide_err_set(e, "%s: HomeImage=%s of Pool=%s names no Image= record", pool->where,
                                pool->home_image, pool->name);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->pools[j].group, pool->group))
                return tide_err_set(e, "%s: Pool=%s uses Group=%s, already used by Pool=%s", pool->where,
                                    pool->name, pool->group, c->pools[j].name);
    }
    if (c->token_url && (!c->client_id || !c->client_secret_file))
        return tide_err_set(e, "%s: TokenUrl= needs ClientId= and ClientSecretFile=", name);
    return 0;
}

tide_conf *tide_conf_parse(const char *text, const char *name, tide_err *e)
{
    tide_conf *c = xcalloc(1, sizeof(*c));
    c->path = xstrdup(name);
    c->tls_verify = 1;
    c->connect_timeout = 5;
    c->request_timeout = 30;
    c->retries = 3;
    c->quarantine_after = 3;
    c->boot_timeout = 300;
    c->bulk_group_moves = 1;
    c->agent_port = TIDE_DEFAULT_AGENT_PORT;

    conf_where where = { NULL, NULL };
    parse_ctx p = { c, name, 0, 0, e, &where };
    int rc = parse_text(&p, text) || check_conf(c, name, &where, e);
    free(where.default_image);
    free(where.slurm_pool);
    if (rc) {
        tide_conf_free(c);
        return NULL;
    }
    if (!c->exclusive_group)
        c->exclusive_group = xstrdup("tide");
    if (!c->slurm_user)
        c->slurm_user = xstrdup("slurm");
    return c;
}

tide_conf *tide_conf_load(const char *path, tide_err *e)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        tide_err_set(e, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    strbuf text = STRBUF_INIT;
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        strbuf_add(&text, chunk, got);
    fclose(f);
    tide_conf *c = tide_conf_parse(strbuf_str(&text), path, e);
    strbuf_free(&text);
    return c;
}

const char *tide_conf_path(const char *explicit_path)
{
    if (explicit_path && *explicit_path)
        return explicit_path;
    const char *env = getenv("TIDE_CONF");
    return env && *env ? env : TIDE_DEFAULT_CONF;
}

const tide_pool_conf *tide_conf_pool(const tide_conf *c, const char *name)
{
    for (size_t i = 0; i < c->npools; i++)
        if (!strcmp(c->pools[i].name, name))
            return &c->pools[i];
    return NULL;
}

const tide_pool_conf *tide_conf_pool_by_group(const tide_conf *c, const char *group)
{
    for (size_t i = 0; i < c->npools; i++)
        if (!strcasecmp(c->pools[i].group, group))
            return &c->pools[i];
    return NULL;
}

const tide_image_conf *tide_conf_image(const tide_conf *c, const char *name)
{
    for (size_t i = 0; i < c->nimages; i++)
        if (!strcmp(c->images[i].name, name))
            return &c->images[i];
    return NULL;
}

const char *tide_pool_kind_name(tide_pool_kind k)
{
    static const char *const names[] = { "free", "kubernetes", "slurm", "tenant" };
    return (unsigned)k < 4 ? names[k] : "?";
}

void tide_conf_free(tide_conf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < sizeof(global_keys) / sizeof(global_keys[0]); i++)
        if (global_keys[i].type == KEY_STR)
            free(*(char **)((char *)c + global_keys[i].offset));
    for (size_t i = 0; i < c->npools; i++) {
        tide_pool_conf *p = &c->pools[i];
        free(p->name); free(p->group); free(p->kubeconfig); free(p->home_image); free(p->where);
    }
    for (size_t i = 0; i < c->nimages; i++) {
        tide_image_conf *m = &c->images[i];
        free(m->name); free(m->kernel); free(m->initrd); free(m->params); free(m->cloud_init_group);
        free(m->where);
    }
    free(c->pools);
    free(c->images);
    free(c->path);
    free(c);
}

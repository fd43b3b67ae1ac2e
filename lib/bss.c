/*
 * bss.c - see bss.h.
 */
#include "bss.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "smd.h"        /* tide_strv_from_json and the other shared client helpers */
#include "strbuf.h"
#include "xname.h"

/* ---- boot parameters -------------------------------------------------- */

void tide_bootparams_free(tide_bootparams *p)
{
    if (!p)
        return;
    tide_strv_free(p->hosts, p->nhosts);
    tide_strv_free(p->macs, p->nmacs);
    free(p->nids);
    free(p->kernel);
    free(p->initrd);
    free(p->params);
    memset(p, 0, sizeof(*p));
}

void tide_bootparams_list_free(tide_bootparams_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        tide_bootparams_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static void bootparams_from_json(json_object *j, tide_bootparams *p)
{
    json_object *nids = tide_json_array(j, "nids");
    size_t nn = nids ? json_object_array_length(nids) : 0;

    memset(p, 0, sizeof(*p));
    p->hosts = tide_strv_from_json(tide_json_array(j, "hosts"), 1, &p->nhosts);
    p->macs = tide_strv_from_json(tide_json_array(j, "macs"), 0, &p->nmacs);
    p->nids = nn ? xcalloc(nn, sizeof(*p->nids)) : NULL;
    for (size_t i = 0; i < nn; i++) {
        json_object *v = json_object_array_get_idx(nids, i);
        if (json_object_is_type(v, json_type_int))
            p->nids[p->nnids++] = (long)json_object_get_int64(v);
    }
    p->kernel = tide_reply_str(j, "kernel");
    p->initrd = tide_reply_str(j, "initrd");
    p->params = tide_reply_str(j, "params");
}

/*
 * One GET of /bootparameters, entries appended to out.  BSS answers a lookup that matches
 * nothing with 404 "Cannot find boot parameters for requested Hosts": that means "none", not a
 * failure.  Any other 404 (a wrong BssUrl behind a proxy) stays an error, or a misconfigured
 * site would look like one where no node has boot parameters.
 */
static int get_append(tide_http *bss, const char *path, tide_bootparams_list *out, tide_err *e)
{
    tide_http_resp resp = { 0 };
    json_object *j = NULL;
    int rc = -1;

    if (tide_http_send(bss, "GET", path, NULL, NULL, &resp, e))
        goto out;
    if (resp.status == 404 && strstr(strbuf_str(&resp.body), "Cannot find boot parameters")) {
        rc = 0;
        goto out;
    }
    if (resp.status < 200 || resp.status >= 300) {
        tide_http_status_error(bss, "GET", path, &resp, e);
        goto out;
    }
    if (tide_http_parse_json(bss, "GET", path, &resp, &j, e))
        goto out;
    if (j && !json_object_is_type(j, json_type_array)) {   /* `null`: no entries at all */
        tide_reply_error(bss, "GET", path, "the reply is not a list of boot parameters", e);
        goto out;
    }
    size_t n = j ? json_object_array_length(j) : 0;
    if (n) {
        out->items = xrealloc(out->items, (out->n + n) * sizeof(*out->items));
        for (size_t i = 0; i < n; i++)
            bootparams_from_json(json_object_array_get_idx(j, i), &out->items[out->n++]);
    }
    rc = 0;
out:
    json_object_put(j);
    tide_http_resp_free(&resp);
    return rc;
}

int tide_bss_get_all(tide_http *bss, tide_bootparams_list *out, tide_err *e)
{
    memset(out, 0, sizeof(*out));
    if (get_append(bss, "/bootparameters", out, e)) {
        tide_bootparams_list_free(out);
        return -1;
    }
    return 0;
}

int tide_bss_get(tide_http *bss, const char *const *names, size_t n, tide_bootparams_list *out, tide_err *e)
{
    memset(out, 0, sizeof(*out));
    for (size_t off = 0; off < n; off += TIDE_BSS_GET_CHUNK) {
        size_t end = n - off < TIDE_BSS_GET_CHUNK ? n : off + TIDE_BSS_GET_CHUNK;
        strbuf path = STRBUF_INIT;
        strbuf_puts(&path, "/bootparameters?name=");
        for (size_t i = off; i < end; i++) {
            if (i > off)
                strbuf_puts(&path, ",");   /* BSS splits the value on commas */
            strbuf_urlencode(&path, names[i]);
        }
        int rc = get_append(bss, strbuf_str(&path), out, e);
        strbuf_free(&path);
        if (rc) {
            tide_bootparams_list_free(out);
            return -1;
        }
    }
    return 0;
}

const tide_bootparams *tide_bss_params_for(const tide_bootparams_list *l, const char *xname)
{
    char buf[128];
    const char *want = tide_xname_or_self(xname, buf, sizeof(buf));
    for (size_t i = 0; i < l->n; i++)
        for (size_t h = 0; h < l->items[i].nhosts; h++)
            if (!strcmp(l->items[i].hosts[h], want))
                return &l->items[i];
    return NULL;
}

static void add_field(json_object *body, const char *key, const char *value, int only_set)
{
    if (only_set && (!value || !*value))
        return;
    json_object_object_add(body, key, json_object_new_string(value ? value : ""));
}

/*
 * PUT, PATCH or DELETE with {"hosts":[..]} plus the image fields, one call per chunk of hosts
 * (bodies stay small and a timeout covers a bounded amount of work).  only_set: leave out
 * empty fields (PATCH changes only what it is given; DELETE takes hosts only).
 */
static int write_hosts(tide_http *bss, const char *method, const char *const *hosts, size_t n,
                       const char *kernel, const char *initrd, const char *params, int only_set, tide_err *e)
{
    for (size_t off = 0; off < n; off += TIDE_BSS_WRITE_CHUNK) {
        size_t cnt = n - off < TIDE_BSS_WRITE_CHUNK ? n - off : TIDE_BSS_WRITE_CHUNK;
        json_object *body = json_object_new_object();
        json_object_object_add(body, "hosts", tide_json_str_array(hosts + off, cnt));
        add_field(body, "kernel", kernel, only_set);
        add_field(body, "initrd", initrd, only_set);
        add_field(body, "params", params, only_set);
        int rc = tide_http_json(bss, method, "/bootparameters", body, NULL, e);
        json_object_put(body);
        if (rc)
            return -1;
    }
    return 0;
}

int tide_bss_put(tide_http *bss, const char *const *hosts, size_t n, const char *kernel, const char *initrd,
                 const char *params, tide_err *e)
{
    return write_hosts(bss, "PUT", hosts, n, kernel, initrd, params, 0, e);
}

int tide_bss_patch(tide_http *bss, const char *const *hosts, size_t n, const char *kernel,
                   const char *initrd, const char *params, tide_err *e)
{
    return write_hosts(bss, "PATCH", hosts, n, kernel, initrd, params, 1, e);
}

int tide_bss_delete(tide_http *bss, const char *const *hosts, size_t n, tide_err *e)
{
    return write_hosts(bss, "DELETE", hosts, n, NULL, NULL, NULL, 1, e);
}

/* ---- boot script ------------------------------------------------------ */

void tide_bootscript_free(tide_bootscript *s)
{
    if (!s)
        return;
    free(s->kernel);
    free(s->initrd);
    free(s->params);
    memset(s, 0, sizeof(*s));
}

/* The next whitespace-separated word of *p (start, length); 0 at the end. */
static size_t next_word(const char **p, const char *end, const char **start)
{
    const char *s = *p;
    while (s < end && isspace((unsigned char)*s))
        s++;
    *start = s;
    while (s < end && !isspace((unsigned char)*s))
        s++;
    *p = s;
    return (size_t)(s - *start);
}

static int word_is(const char *w, size_t len, const char *lit)
{
    return len == strlen(lit) && !memcmp(w, lit, len);
}

/*
 * An iPXE image line: `<cmd> [options] <url> [args...] [|| goto label]`.  Sets the URL and the
 * args (trimmed); returns 0, or -1 when the line is not `cmd` or has no URL.
 * iPXE's --name/-n and --timeout/-t take a value unless written --opt=value; the other options
 * (--autofree, --replace) take none.
 */
static int image_line(const char *line, const char *end, const char *cmd, char **url, char **args)
{
    const char *p = line, *w;
    size_t len = next_word(&p, end, &w);

    if (!word_is(w, len, cmd))
        return -1;
    while ((len = next_word(&p, end, &w)) > 0 && w[0] == '-') {
        if (word_is(w, len, "--name") || word_is(w, len, "-n") || word_is(w, len, "--timeout") ||
            word_is(w, len, "-t"))
            next_word(&p, end, &w);
    }
    if (!len || word_is(w, len, "||"))
        return -1;
    *url = xstrndup(w, len);

    /* The args run to the `||` that starts iPXE's fallback, if any. */
    const char *a = p, *stop = end;
    for (const char *q = p; q + 1 < end; q++)
        if (q[0] == '|' && q[1] == '|' && (q == p || isspace((unsigned char)q[-1]))) {
            stop = q;
            break;
        }
    while (a < stop && isspace((unsigned char)*a))
        a++;
    while (stop > a && isspace((unsigned char)stop[-1]))
        stop--;
    if (args)
        *args = xstrndup(a, (size_t)(stop - a));
    return 0;
}

int tide_bootscript_parse_ipxe(const char *text, tide_bootscript *out)
{
    memset(out, 0, sizeof(*out));
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        const char *end = nl ? nl : line + strlen(line);
        char *url = NULL, *args = NULL;

        if (!out->kernel && !image_line(line, end, "kernel", &url, &args)) {
            out->kernel = url;
            out->params = args;
        } else if (!out->initrd && !image_line(line, end, "initrd", &url, NULL)) {
            out->initrd = url;
        }
        line = nl ? nl + 1 : NULL;
    }
    if (!out->kernel) {
        tide_bootscript_free(out);
        return -1;
    }
    if (!out->initrd)
        out->initrd = xstrdup("");
    return 0;
}

int tide_bootscript_parse_json(json_object *j, tide_bootscript *out)
{
    const char *kernel = tide_json_str(tide_json_get(j, "kernel"), "path");
    const char *initrd = tide_json_str(tide_json_get(j, "initrd"), "path");
    const char *params = tide_json_str(j, "params");

    memset(out, 0, sizeof(*out));
    if (!kernel || !*kernel)
        return -1;
    if (!params)
        params = "";
    /* BSS writes the iPXE image name first ("kernel initrd=initrd ..."); the kernel never sees it. */
    if (!strncmp(params, "kernel", 6) && (!params[6] || isspace((unsigned char)params[6])))
        params += 6;
    while (isspace((unsigned char)*params))
        params++;
    out->kernel = xstrdup(kernel);
    out->initrd = xstrdup(initrd ? initrd : "");
    out->params = xstrdup(params);
    return 0;
}

int tide_bss_bootscript(tide_http *bss, const char *xname, int json, tide_bootscript *out, tide_err *e)
{
    strbuf path = STRBUF_INIT;
    tide_http_resp resp = { 0 };
    json_object *j = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    strbuf_puts(&path, "/bootscript?name=");
    strbuf_urlencode(&path, xname);
    if (json)
        strbuf_puts(&path, "&json=1");
    if (tide_http_send(bss, "GET", strbuf_str(&path), NULL, NULL, &resp, e))
        goto out;
    if (resp.status < 200 || resp.status >= 300) {
        tide_http_status_error(bss, "GET", strbuf_str(&path), &resp, e);
        goto out;
    }
    if (json) {
        if (tide_http_parse_json(bss, "GET", strbuf_str(&path), &resp, &j, e))
            goto out;
        rc = tide_bootscript_parse_json(j, out);
    } else {
        rc = tide_bootscript_parse_ipxe(strbuf_str(&resp.body), out);
    }
    if (rc)
        tide_reply_error(bss, "GET", strbuf_str(&path),
                         "the boot script loads no kernel (BSS does not boot this node by name)", e);
out:
    json_object_put(j);
    tide_http_resp_free(&resp);
    strbuf_free(&path);
    return rc;
}

char *tide_params_image(const char *params)
{
    static const char key[] = "tide.image=";
    const char *p = params, *end = params ? params + strlen(params) : NULL, *w, *found = NULL;
    size_t len, found_len = 0;

    if (!params)
        return NULL;
    /* The last one wins, as for most kernel parameters. */
    while ((len = next_word(&p, end, &w)) > 0)
        if (len > sizeof(key) - 1 && !strncmp(w, key, sizeof(key) - 1)) {
            found = w + sizeof(key) - 1;
            found_len = len - (sizeof(key) - 1);
        }
    return found ? xstrndup(found, found_len) : NULL;
}

/* ---- endpoint history --------------------------------------------------- */

void tide_endpoint_access_free(tide_endpoint_access *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) {
        free(a[i].name);
        free(a[i].endpoint);
    }
    free(a);
}

int tide_bss_endpoint_history(tide_http *bss, const char *xname, const char *endpoint,
                              tide_endpoint_access **out, size_t *n, tide_err *e)
{
    strbuf path = STRBUF_INIT;
    json_object *j = NULL;
    int rc = -1;

    *out = NULL;
    *n = 0;
    strbuf_puts(&path, "/endpoint-history");
    if (xname) {
        strbuf_puts(&path, "?name=");
        strbuf_urlencode(&path, xname);
    }
    if (endpoint) {
        strbuf_puts(&path, xname ? "&endpoint=" : "?endpoint=");
        strbuf_urlencode(&path, endpoint);
    }
    if (tide_http_json(bss, "GET", strbuf_str(&path), NULL, &j, e))
        goto out;
    if (j && !json_object_is_type(j, json_type_array)) {
        tide_reply_error(bss, "GET", strbuf_str(&path), "the reply is not a list of endpoint accesses", e);
        goto out;
    }
    size_t len = j ? json_object_array_length(j) : 0;
    *out = len ? xcalloc(len, sizeof(**out)) : NULL;
    for (size_t i = 0; i < len; i++) {
        json_object *it = json_object_array_get_idx(j, i);
        tide_endpoint_access *a = &(*out)[(*n)++];
        a->name = tide_reply_xname(it, "name");
        a->endpoint = tide_reply_str(it, "endpoint");
        a->last_epoch = tide_json_int(it, "last_epoch", 0);
    }
    rc = 0;
out:
    json_object_put(j);
    strbuf_free(&path);
    return rc;
}

int tide_bss_last_bootscript(tide_http *bss, const char *xname, int64_t *epoch, tide_err *e)
{
    tide_endpoint_access *a;
    size_t n;
    char buf[128];
    const char *want = tide_xname_or_self(xname, buf, sizeof(buf));

    *epoch = 0;
    if (tide_bss_endpoint_history(bss, xname, "bootscript", &a, &n, e))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(a[i].name, want) && !strcmp(a[i].endpoint, "bootscript") && a[i].last_epoch > *epoch)
            *epoch = a[i].last_epoch;
    tide_endpoint_access_free(a, n);
    return 0;
}

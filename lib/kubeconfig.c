/* kubeconfig.c - see kubeconfig.h. */
#include "kubeconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <yaml.h>

#include "jsonutil.h"
#include "strbuf.h"

#define KUBECONFIG_MAX_BYTES (16 * 1024 * 1024)
/* Aliases can make a small YAML file expand enormously ("billion laughs"): cap the tree. */
#define YAML_MAX_NODES 100000
#define YAML_MAX_DEPTH 64

/* ---- reading the file into a json-c tree -------------------------------- */

static int read_file(const char *path, strbuf *out, tide_err *e)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return tide_err_set(e, "kubeconfig %s: cannot open: %s", path, strerror(errno));
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        strbuf_add(out, chunk, n);
        if (out->len > KUBECONFIG_MAX_BYTES) {
            fclose(f);
            return tide_err_set(e, "kubeconfig %s: larger than %d bytes", path, KUBECONFIG_MAX_BYTES);
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return tide_err_set(e, "kubeconfig %s: read error", path);
    return 0;
}

/* YAML 1.1 plain scalars that mean something other than a string. */
static json_object *plain_scalar(const char *s)
{
    static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON" };
    static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF" };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (!strcmp(s, yes[i]))
            return json_object_new_boolean(1);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (!strcmp(s, no[i]))
            return json_object_new_boolean(0);
    if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
        return NULL;
    return json_object_new_string(s);
}

/* Convert a libyaml node to json-c.  Numbers stay strings: no kubeconfig field needs one. */
static int yaml_to_json(yaml_document_t *doc, yaml_node_t *node, int depth, size_t *budget, json_object **out)
{
    *out = NULL;
    if (!node)
        return 0;
    if (depth > YAML_MAX_DEPTH || ++*budget > YAML_MAX_NODES)
        return -1;
    switch (node->type) {
    case YAML_SCALAR_NODE: {
        const char *v = (const char *)node->data.scalar.value;
        *out = node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? plain_scalar(v) : json_object_new_string(v);
        return 0;
    }
    case YAML_SEQUENCE_NODE:
        *out = json_object_new_array();
        for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
            json_object *v;
            if (yaml_to_json(doc, yaml_document_get_node(doc, *it), depth + 1, budget, &v))
                goto fail;
            json_object_array_add(*out, v);
        }
        return 0;
    case YAML_MAPPING_NODE:
        *out = json_object_new_object();
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(doc, p->key);
            json_object *v;
            if (!k || k->type != YAML_SCALAR_NODE)
                continue; /* complex keys do not occur in kubeconfigs */
            if (yaml_to_json(doc, yaml_document_get_node(doc, p->value), depth + 1, budget, &v))
                goto fail;
            json_object_object_add(*out, (const char *)k->data.scalar.value, v);
        }
        return 0;
    default:
        return 0;
    }
fail:
    /* The failing child freed its own part; this node frees what it holds. */
    json_object_put(*out);
    *out = NULL;
    return -1;
}

static int parse_yaml(const char *path, const strbuf *text, json_object **out, tide_err *e)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    int rc = 0;

    *out = NULL;
    if (!yaml_parser_initialize(&parser))
        return tide_err_set(e, "kubeconfig %s: cannot initialise the YAML parser", path);
    yaml_parser_set_input_string(&parser, (const unsigned char *)strbuf_str(text), text->len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = tide_err_set(e, "kubeconfig %s: line %zu column %zu: %s", path, parser.problem_mark.line + 1,
                          parser.problem_mark.column + 1, parser.problem ? parser.problem : "not valid YAML");
        yaml_parser_delete(&parser);
        return rc;
    }
    size_t budget = 0;
    if (yaml_to_json(&doc, yaml_document_get_root_node(&doc), 0, &budget, out))
        rc = tide_err_set(e, "kubeconfig %s: the YAML is nested too deeply or expands to too many nodes", path);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

/* JSON is YAML, but json-c reads it exactly (tabs, escapes) and names the problem. */
static int parse_any(const char *path, const strbuf *text, json_object **out, tide_err *e)
{
    const char *s = strbuf_str(text);
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    if (*s != '{')
        return parse_yaml(path, text, out, e);
    json_tokener *tok = json_tokener_new();
    *out = json_tokener_parse_ex(tok, strbuf_str(text), (int)text->len + 1);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (jerr != json_tokener_success) {
        json_object_put(*out);
        *out = NULL;
        return tide_err_set(e, "kubeconfig %s: not valid JSON: %s", path, json_tokener_error_desc(jerr));
    }
    return 0;
}

/* ---- base64 (the -data fields) ------------------------------------------ */

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/*
 * Decode standard base64 (whitespace ignored, padding optional) into a new
 * NUL-terminated buffer.  NULL when the text is not base64.
 */
static char *base64_decode(const char *in, size_t *len_out)
{
    size_t n = strlen(in);
    char *out = xmalloc(n / 4 * 3 + 4);
    size_t len = 0, pad = 0;
    unsigned int acc = 0;
    int bits = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = b64_value(c);
        if (v < 0 || pad) /* a bad character, or data after padding */
            goto bad;
        acc = (acc << 6) | (unsigned int)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[len++] = (char)((acc >> bits) & 0xff);
        }
    }
    /* Left-over bits must be padding zeros, and a lone sextet cannot encode a byte. */
    if (bits >= 6 || (acc & ((1u << bits) - 1)) || pad > 2)
        goto bad;
    out[len] = '\0';
    *len_out = len;
    return out;
bad:
    free(out);
    return NULL;
}

/* ---- resolving the context ---------------------------------------------- */

/* The `field` member of the entry called `name` in the list `list` (clusters, users, contexts). */
static json_object *named(json_object *root, const char *list, const char *field, const char *name)
{
    json_object *a = tide_json_array(root, list);
    size_t n = a ? json_object_array_length(a) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *item = json_object_array_get_idx(a, i);
        const char *nm = tide_json_str(item, "name");
        if (nm && !strcmp(nm, name)) {
            json_object *v = tide_json_get(item, field);
            /* "cluster: {}" in YAML may come out as null: an empty entry, not a missing one. */
            return v ? v : item;
        }
    }
    return NULL;
}

static void names_of(json_object *root, const char *list, strbuf *b)
{
    json_object *a = tide_json_array(root, list);
    size_t n = a ? json_object_array_length(a) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *nm = tide_json_str(json_object_array_get_idx(a, i), "name");
        if (nm)
            strbuf_printf(b, "%s%s", b->len ? ", " : "", nm);
    }
    if (!b->len)
        strbuf_puts(b, "none");
}

/* A file name from the kubeconfig, made relative to the kubeconfig's directory as kubectl does. */
static char *resolve_path(const char *kubeconfig, const char *file)
{
    const char *slash = strrchr(kubeconfig, '/');
    if (file[0] == '/' || !slash)
        return xstrdup(file);
    return xasprintf("%.*s/%s", (int)(slash - kubeconfig), kubeconfig, file);
}

/* Take a "<field>-data" (base64) or "<field>" (file) pair of `section`.  Data wins, as in kubectl. */
static int take_pem(const tide_kubeconfig *kc, json_object *section, const char *what, const char *name,
                    const char *field, char **pem, char **file, tide_err *e)
{
    char data_key[64];
    snprintf(data_key, sizeof(data_key), "%s-data", field);
    const char *data = tide_json_str(section, data_key);
    const char *path = tide_json_str(section, field);

    if (data && *data) {
        size_t len;
        *pem = base64_decode(data, &len);
        if (!*pem)
            return tide_err_set(e, "kubeconfig %s: %s \"%s\": %s is not valid base64", kc->path, what, name,
                                data_key);
        if (len == 0 || strlen(*pem) != len)
            return tide_err_set(e, "kubeconfig %s: %s \"%s\": %s does not decode to PEM text", kc->path, what,
                                name, data_key);
    } else if (path && *path) {
        *file = resolve_path(kc->path, path);
        if (access(*file, R_OK))
            return tide_err_set(e, "kubeconfig %s: %s \"%s\": %s %s: %s", kc->path, what, name, field, *file,
                                strerror(errno));
    }
    return 0;
}

static int load_cluster(tide_kubeconfig *kc, json_object *root, tide_err *e)
{
    json_object *c = named(root, "clusters", "cluster", kc->cluster);
    if (!c) {
        strbuf b = STRBUF_INIT;
        names_of(root, "clusters", &b);
        tide_err_set(e, "kubeconfig %s: cluster \"%s\" (of context \"%s\") is not defined (clusters: %s)",
                     kc->path, kc->cluster, kc->context, strbuf_str(&b));
        strbuf_free(&b);
        return -1;
    }
    const char *server = tide_json_str(c, "server");
    if (!server || !*server)
        return tide_err_set(e, "kubeconfig %s: cluster \"%s\" has no server", kc->path, kc->cluster);
    kc->server = xstrdup(server);
    kc->insecure = tide_json_bool(c, "insecure-skip-tls-verify", 0);
    if (take_pem(kc, c, "cluster", kc->cluster, "certificate-authority", &kc->ca_pem, &kc->ca_file, e))
        return -1;
    if (kc->insecure && (kc->ca_pem || kc->ca_file))
        return tide_err_set(e, "kubeconfig %s: cluster \"%s\": insecure-skip-tls-verify cannot be combined "
                            "with a certificate authority", kc->path, kc->cluster);
    return 0;
}

static int load_user(tide_kubeconfig *kc, json_object *root, tide_err *e)
{
    json_object *u = named(root, "users", "user", kc->user);
    if (!u) {
        strbuf b = STRBUF_INIT;
        names_of(root, "users", &b);
        tide_err_set(e, "kubeconfig %s: user \"%s\" (of context \"%s\") is not defined (users: %s)", kc->path,
                     kc->user, kc->context, strbuf_str(&b));
        strbuf_free(&b);
        return -1;
    }
    if (take_pem(kc, u, "user", kc->user, "client-certificate", &kc->client_cert_pem, &kc->client_cert_file, e) ||
        take_pem(kc, u, "user", kc->user, "client-key", &kc->client_key_pem, &kc->client_key_file, e))
        return -1;
    int have_cert = kc->client_cert_pem || kc->client_cert_file;
    int have_key = kc->client_key_pem || kc->client_key_file;
    if (have_cert != have_key)
        return tide_err_set(e, "kubeconfig %s: user \"%s\" has a client %s but no client %s", kc->path, kc->user,
                            have_cert ? "certificate" : "key", have_cert ? "key" : "certificate");

    const char *token = tide_json_str(u, "token");
    const char *token_file = tide_json_str(u, "tokenFile");
    if (token_file && *token_file) {
        kc->token_file = resolve_path(kc->path, token_file);
        if (access(kc->token_file, R_OK))
            return tide_err_set(e, "kubeconfig %s: user \"%s\": tokenFile %s: %s", kc->path, kc->user,
                                kc->token_file, strerror(errno));
    } else if (token && *token) {
        kc->token = xstrdup(token);
    }
    if (!have_cert && !kc->token && !kc->token_file) {
        const char *how = tide_json_get(u, "exec") ? "an exec credential plugin"
                        : tide_json_get(u, "auth-provider") ? "an auth-provider"
                        : tide_json_get(u, "username") ? "a username and password" : NULL;
        if (how)
            return tide_err_set(e, "kubeconfig %s: user \"%s\" authenticates with %s, which tide does not "
                                "support; give it a token, tokenFile or client certificate", kc->path, kc->user,
                                how);
    }
    return 0;
}

static int resolve(tide_kubeconfig *kc, json_object *root, const char *context, tide_err *e)
{
    if (!json_object_is_type(root, json_type_object))
        return tide_err_set(e, "kubeconfig %s: not a kubeconfig (the top level is not a mapping)", kc->path);
    if (!context || !*context)
        context = tide_json_str(root, "current-context");
    if (!context || !*context)
        return tide_err_set(e, "kubeconfig %s: no current-context is set and no context was named", kc->path);
    kc->context = xstrdup(context);

    json_object *ctx = named(root, "contexts", "context", context);
    if (!ctx) {
        strbuf b = STRBUF_INIT;
        names_of(root, "contexts", &b);
        tide_err_set(e, "kubeconfig %s: context \"%s\" is not defined (contexts: %s)", kc->path, context,
                     strbuf_str(&b));
        strbuf_free(&b);
        return -1;
    }
    const char *cluster = tide_json_str(ctx, "cluster");
    const char *user = tide_json_str(ctx, "user");
    const char *ns = tide_json_str(ctx, "namespace");
    if (!cluster || !*cluster)
        return tide_err_set(e, "kubeconfig %s: context \"%s\" names no cluster", kc->path, context);
    kc->cluster = xstrdup(cluster);
    kc->user = user && *user ? xstrdup(user) : NULL;
    kc->namespace_ = ns && *ns ? xstrdup(ns) : NULL;
    if (load_cluster(kc, root, e))
        return -1;
    return kc->user ? load_user(kc, root, e) : 0;
}

int tide_kubeconfig_load(const char *path, const char *context, tide_kubeconfig *out, tide_err *e)
{
    strbuf text = STRBUF_INIT;
    json_object *root = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    out->path = xstrdup(path);
    rc = read_file(path, &text, e);
    if (rc == 0)
        rc = parse_any(path, &text, &root, e);
    if (rc == 0)
        rc = resolve(out, root, context, e);
    json_object_put(root);
    strbuf_free(&text);
    if (rc)
        tide_kubeconfig_free(out);
    return rc;
}

/* Overwrite a secret before freeing it. */
static void free_secret(char *s)
{
    if (!s)
        return;
    memset(s, 0, strlen(s));
    free(s);
}

void tide_kubeconfig_free(tide_kubeconfig *kc)
{
    if (!kc)
        return;
    free(kc->path); free(kc->context); free(kc->cluster); free(kc->user); free(kc->namespace_);
    free(kc->server); free(kc->ca_file); free(kc->ca_pem);
    free(kc->client_cert_file); free(kc->client_key_file); free(kc->client_cert_pem);
    free_secret(kc->client_key_pem);
    free_secret(kc->token);
    free(kc->token_file);
    memset(kc, 0, sizeof(*kc));
}

void tide_kubeconfig_apply(const tide_kubeconfig *kc, tide_http_opts *o, tide_token **token)
{
    o->base_url = kc->server;
    o->tls_verify = !kc->insecure;
    o->ca_file = kc->ca_file;
    o->ca_pem = kc->ca_pem;
    o->client_cert_pem = kc->client_cert_pem;
    o->client_key_pem = kc->client_key_pem;
    o->client_cert_file = kc->client_cert_file;
    o->client_key_file = kc->client_key_file;
    *token = kc->token_file ? tide_token_from_file(kc->token_file)
           : kc->token ? tide_token_static(kc->token) : NULL;
    o->token = *token;
    /* A 429 from the API server is a PodDisruptionBudget saying "not now": the eviction
     * loop in k8s.c owns that wait, with its own deadline. */
    o->no_retry_429 = 1;
}

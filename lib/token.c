/*
 * token.c - bearer tokens from a file or from OAuth2 client credentials.
 */
#include "token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "http.h"
#include "jsonutil.h"
#include "strbuf.h"

typedef enum { TOKEN_STATIC, TOKEN_FILE, TOKEN_OAUTH2 } token_kind;

struct tide_token {
    token_kind kind;
    char *value;              /* cached token, NULL when none yet */
    char *path;               /* TOKEN_FILE: the file; TOKEN_OAUTH2: the client secret file */
    struct timespec mtime;    /* TOKEN_FILE: mtime of the cached read */
    char *token_url, *client_id;
    time_t expires;           /* TOKEN_OAUTH2: refresh after this */
    tide_http_opts http;      /* TOKEN_OAUTH2: settings for the token call */
    char *ca_file;
};

static void forget(tide_token *t)
{
    if (t->value) {
        memset(t->value, 0, strlen(t->value));
        free(t->value);
        t->value = NULL;
    }
}

/* Read a small secret file and strip the trailing newline. */
static char *read_secret(const char *path, const char *what, tide_err *e)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        tide_err_set(e, "cannot read %s %s: %s", what, path, strerror(errno));
        return NULL;
    }
    strbuf b = STRBUF_INIT;
    char chunk[1024];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len < 65536)
        strbuf_add(&b, chunk, n);
    fclose(f);
    while (b.len && (b.s[b.len - 1] == '\n' || b.s[b.len - 1] == '\r' || b.s[b.len - 1] == ' '))
        b.s[--b.len] = '\0';
    if (!b.len) {
        strbuf_free(&b);
        tide_err_set(e, "%s %s is empty", what, path);
        return NULL;
    }
    return strbuf_steal(&b);
}

tide_token *tide_token_static(const char *value)
{
    tide_token *t = xcalloc(1, sizeof(*t));
    t->kind = TOKEN_STATIC;
    t->value = xstrdup(value);
    return t;
}

tide_token *tide_token_from_file(const char *path)
{
    tide_token *t = xcalloc(1, sizeof(*t));
    t->kind = TOKEN_FILE;
    t->path = xstrdup(path);
    return t;
}

tide_token *tide_token_oauth2(const char *token_url, const char *client_id, const char *secret_file,
                              const tide_http_opts *http)
{
    tide_token *t = xcalloc(1, sizeof(*t));
    t->kind = TOKEN_OAUTH2;
    t->token_url = xstrdup(token_url);
    t->client_id = xstrdup(client_id);
    t->path = xstrdup(secret_file);
    if (http)
        t->http = *http;
    else
        tide_http_opts_init(&t->http, "token", token_url);
    t->http.service = "token service";
    t->http.base_url = t->token_url;
    t->http.token = NULL;
    t->http.basic_user = t->http.basic_password = NULL;
    t->ca_file = http && http->ca_file ? xstrdup(http->ca_file) : NULL;
    t->http.ca_file = t->ca_file;
    return t;
}

static int fetch_oauth2(tide_token *t, tide_err *e)
{
    char *secret = read_secret(t->path, "client secret file", e);
    if (!secret)
        return -1;
    strbuf form = STRBUF_INIT;
    strbuf_puts(&form, "grant_type=client_credentials&client_id=");
    strbuf_urlencode(&form, t->client_id);
    strbuf_puts(&form, "&client_secret=");
    strbuf_urlencode(&form, secret);
    memset(secret, 0, strlen(secret));
    free(secret);

    tide_http *h = tide_http_new(&t->http, e);
    tide_http_resp resp = { 0 };
    json_object *reply = NULL;
    int rc = -1;
    if (!h)
        goto out;
    if (tide_http_send(h, "POST", t->token_url, "application/x-www-form-urlencoded", strbuf_str(&form), &resp, e))
        goto out;
    if (resp.status != 200) {
        tide_http_status_error(h, "POST", t->token_url, &resp, e);
        goto out;
    }
    if (tide_http_parse_json(h, "POST", t->token_url, &resp, &reply, e))
        goto out;
    const char *access = tide_json_str(reply, "access_token");
    if (!access || !*access) {
        tide_err_set(e, "token service: POST %s: the reply has no access_token", t->token_url);
        goto out;
    }
    forget(t);
    t->value = xstrdup(access);
    long ttl = (long)tide_json_int(reply, "expires_in", 300);
    /* Renew a little early so a token never expires between get and use. */
    t->expires = time(NULL) + (ttl > 60 ? ttl - 30 : ttl / 2);
    rc = 0;
out:
    memset(form.s, 0, form.len);
    strbuf_free(&form);
    json_object_put(reply);
    tide_http_resp_free(&resp);
    tide_http_free(h);
    return rc;
}

const char *tide_token_get(tide_token *t, tide_err *e)
{
    struct stat st;

    switch (t->kind) {
    case TOKEN_STATIC:
        return t->value;
    case TOKEN_FILE:
        /* Re-read when the file changed: tokens are rotated by other tools. */
        if (stat(t->path, &st) != 0) {
            tide_err_set(e, "cannot read token file %s: %s", t->path, strerror(errno));
            return NULL;
        }
        if (!t->value || st.st_mtim.tv_sec != t->mtime.tv_sec || st.st_mtim.tv_nsec != t->mtime.tv_nsec) {
            char *v = read_secret(t->path, "token file", e);
            if (!v)
                return NULL;
            forget(t);
            t->value = v;
            t->mtime = st.st_mtim;
        }
        return t->value;
    case TOKEN_OAUTH2:
        if (!t->value || time(NULL) >= t->expires)
            if (fetch_oauth2(t, e))
                return NULL;
        return t->value;
    }
    return NULL;
}

int tide_token_invalidate(tide_token *t)
{
    if (t->kind == TOKEN_STATIC)
        return 0;
    if (t->kind == TOKEN_FILE) {
        struct stat st;
        /* Only worth a retry if someone rotated the file since we read it. */
        if (stat(t->path, &st) != 0 || (st.st_mtim.tv_sec == t->mtime.tv_sec && st.st_mtim.tv_nsec == t->mtime.tv_nsec))
            return 0;
    }
    forget(t);
    return 1;
}

void tide_token_free(tide_token *t)
{
    if (!t)
        return;
    forget(t);
    free(t->path);
    free(t->token_url);
    free(t->client_id);
    free(t->ca_file);
    free(t);
}

/* client.c - see client.h. */
#include "client.h"

#include <string.h>

int tide_conf_token(const tide_conf *c, tide_token **out, tide_err *e)
{
    *out = NULL;
    if (c->token_file && c->token_url)
        return tide_err_set(e, "%s: TokenFile= and TokenUrl= are exclusive; set one", c->path);
    if (c->token_file) {
        *out = tide_token_from_file(c->token_file);
    } else if (c->token_url) {
        tide_http_opts o;
        tide_conf_http_opts(c, "token service", c->token_url, NULL, &o);
        *out = tide_token_oauth2(c->token_url, c->client_id, c->client_secret_file, &o);
    }
    return 0;
}

void tide_conf_http_opts(const tide_conf *c, const char *service, const char *url, tide_token *token,
                         tide_http_opts *o)
{
    tide_http_opts_init(o, service, url);
    o->connect_timeout_s = c->connect_timeout;
    o->total_timeout_s = c->request_timeout;
    o->retries = c->retries;
    o->tls_verify = c->tls_verify;
    o->ca_file = c->ca_file;
    o->token = token;
}

int tide_clients_open(const tide_conf *c, tide_clients *out, tide_err *e)
{
    const struct { const char *service; const char *url; tide_http **slot; } svc[] = {
        { "SMD", c->smd_url, &out->smd },
        { "BSS", c->bss_url, &out->bss },
        { "PCS", c->pcs_url, &out->pcs },
    };

    memset(out, 0, sizeof(*out));
    if (tide_conf_token(c, &out->token, e))
        return -1;
    for (size_t i = 0; i < sizeof(svc) / sizeof(svc[0]); i++) {
        if (!svc[i].url)
            continue;
        tide_http_opts o;
        tide_conf_http_opts(c, svc[i].service, svc[i].url, out->token, &o);
        if (!(*svc[i].slot = tide_http_new(&o, e))) {
            tide_clients_close(out);
            return -1;
        }
    }
    return 0;
}

void tide_clients_close(tide_clients *cl)
{
    tide_http_free(cl->smd);
    tide_http_free(cl->bss);
    tide_http_free(cl->pcs);
    tide_token_free(cl->token);
    memset(cl, 0, sizeof(*cl));
}

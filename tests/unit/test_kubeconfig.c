/* test_kubeconfig.c - reading kubeconfigs: contexts, embedded and file credentials, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "http.h"
#include "kubeconfig.h"
#include "strbuf.h"
#include "token.h"

#define DIR TEST_DATA_DIR "/k8s"

static const char ca_pem[] = "-----BEGIN CERTIFICATE-----\nMIIDUMMYCAFORTIDETESTS\n-----END CERTIFICATE-----\n";
static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\nMIIDUMMYCLIENTCERT\n-----END CERTIFICATE-----\n";
static const char key_pem[] = "-----BEGIN EC PRIVATE KEY-----\nMHcDUMMYCLIENTKEY\n-----END EC PRIVATE KEY-----\n";
#define CA_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURVTU1ZQ0FGT1JUSURFVEVTVFMKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="

static void embedded_certificates(void **state)
{
    (void)state;
    tide_kubeconfig kc;
    tide_err e = { 0 };

    assert_int_equal(tide_kubeconfig_load(DIR "/kubeconfig-embedded.yaml", NULL, &kc, &e), 0);
    assert_string_equal(kc.context, "tide@hpc");
    assert_string_equal(kc.cluster, "hpc");
    assert_string_equal(kc.user, "tide");
    assert_string_equal(kc.namespace_, "kube-system");
    assert_string_equal(kc.server, "https://10.1.0.10:6443");
    assert_false(kc.insecure);
    assert_string_equal(kc.ca_pem, ca_pem);
    assert_null(kc.ca_file);
    assert_string_equal(kc.client_cert_pem, cert_pem);
    assert_string_equal(kc.client_key_pem, key_pem);
    assert_null(kc.token);

    tide_http_opts o;
    tide_token *tok = (tide_token *)1;
    tide_http_opts_init(&o, "Kubernetes", NULL);
    tide_kubeconfig_apply(&kc, &o, &tok);
    assert_null(tok);
    assert_null(o.token);
    assert_string_equal(o.base_url, "https://10.1.0.10:6443");
    assert_int_equal(o.tls_verify, 1);
    assert_string_equal(o.ca_pem, ca_pem);
    assert_string_equal(o.client_cert_pem, cert_pem);
    assert_string_equal(o.client_key_pem, key_pem);
    assert_null(o.ca_file);
    assert_null(o.client_cert_file);

    /* The options make a working client (the strings are copied). */
    tide_http *h = tide_http_new(&o, &e);
    assert_non_null(h);
    tide_kubeconfig_free(&kc);
    assert_string_equal(tide_http_base_url(h), "https://10.1.0.10:6443");
    tide_http_free(h);
}

static void named_context_insecure_with_token(void **state)
{
    (void)state;
    tide_kubeconfig kc;
    tide_err e = { 0 };

    assert_int_equal(tide_kubeconfig_load(DIR "/kubeconfig-embedded.yaml", "admin@other", &kc, &e), 0);
    assert_string_equal(kc.server, "https://other.example:6443");
    assert_true(kc.insecure);
    assert_null(kc.ca_pem);
    assert_null(kc.namespace_);
    assert_string_equal(kc.token, "not-this-one");

    tide_http_opts o;
    tide_token *tok;
    tide_http_opts_init(&o, "Kubernetes", NULL);
    tide_kubeconfig_apply(&kc, &o, &tok);
    assert_int_equal(o.tls_verify, 0);
    assert_ptr_equal(o.token, tok);
    assert_string_equal(tide_token_get(tok, &e), "not-this-one");
    tide_token_free(tok);
    tide_kubeconfig_free(&kc);
}

static void token_and_ca_file(void **state)
{
    (void)state;
    tide_kubeconfig kc;
    tide_err e = { 0 };

    assert_int_equal(tide_kubeconfig_load(DIR "/kubeconfig-token.yaml", NULL, &kc, &e), 0);
    assert_string_equal(kc.context, "hpc");
    assert_string_equal(kc.server, "https://k8s.hpc.example:6443");
    /* Relative to the kubeconfig's directory, not to the current directory. */
    assert_string_equal(kc.ca_file, DIR "/pki/ca.crt");
    assert_null(kc.ca_pem);
    assert_string_equal(kc.token, "eyJhbGciOiJSUzI1NiJ9.dGlkZQ.c2lnbmF0dXJl");
    assert_null(kc.token_file);
    assert_null(kc.client_cert_pem);
    assert_null(kc.client_cert_file);

    tide_http_opts o;
    tide_token *tok;
    tide_http_opts_init(&o, "Kubernetes", NULL);
    o.ca_file = "/etc/tide/site-ca.pem";   /* tide.conf's CA is not the API server's */
    tide_kubeconfig_apply(&kc, &o, &tok);
    assert_string_equal(o.ca_file, DIR "/pki/ca.crt");
    assert_null(o.ca_pem);
    assert_string_equal(tide_token_get(tok, &e), "eyJhbGciOiJSUzI1NiJ9.dGlkZQ.c2lnbmF0dXJl");
    tide_token_free(tok);
    tide_kubeconfig_free(&kc);
}

static void token_file_wins_over_token(void **state)
{
    (void)state;
    tide_kubeconfig kc;
    tide_err e = { 0 };

    assert_int_equal(tide_kubeconfig_load(DIR "/kubeconfig-token.yaml", "from-file", &kc, &e), 0);
    assert_string_equal(kc.user, "tide-file");
    assert_string_equal(kc.token_file, DIR "/./pki/token");
    assert_null(kc.token);

    tide_http_opts o;
    tide_token *tok;
    tide_http_opts_init(&o, "Kubernetes", NULL);
    tide_kubeconfig_apply(&kc, &o, &tok);
    assert_string_equal(tide_token_get(tok, &e), "file-token");
    tide_token_free(tok);
    tide_kubeconfig_free(&kc);
}

static void json_kubeconfig(void **state)
{
    (void)state;
    tide_kubeconfig kc;
    tide_err e = { 0 };

    assert_int_equal(tide_kubeconfig_load(DIR "/kubeconfig.json", NULL, &kc, &e), 0);
    assert_string_equal(kc.server, "http://127.0.0.1:18080");
    assert_true(kc.insecure);
    assert_string_equal(kc.token, "lab-token");
    tide_kubeconfig_free(&kc);
}

/* ---- errors: each names the file and what is wrong ------------------------ */

typedef struct tmpconf {
    char dir[64];
    char path[128];
} tmpconf;

static void write_tmp(tmpconf *t, const char *text)
{
    snprintf(t->dir, sizeof(t->dir), "/tmp/tide-kubeconfig-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof(t->path), "%s/config", t->dir);
    FILE *f = fopen(t->path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void remove_tmp(tmpconf *t)
{
    unlink(t->path);
    rmdir(t->dir);
}

/* Load `text` and expect failure with message "kubeconfig <path>: <tail>". */
static void expect_error(const char *text, const char *context, const char *tail)
{
    tmpconf t;
    tide_kubeconfig kc;
    tide_err e = { 0 };

    write_tmp(&t, text);
    assert_int_equal(tide_kubeconfig_load(t.path, context, &kc, &e), -1);
    char *want = xasprintf("kubeconfig %s: %s", t.path, tail);
    assert_string_equal(e.msg, want);
    free(want);
    assert_null(kc.server);   /* nothing left to free */
    remove_tmp(&t);
}

#define CLUSTER "clusters:\n- name: c\n  cluster:\n    server: https://k:6443\n"

static void error_missing_file(void **state)
{
    (void)state;
    tide_kubeconfig kc;
    tide_err e = { 0 };
    assert_int_equal(tide_kubeconfig_load(DIR "/no-such-kubeconfig", NULL, &kc, &e), -1);
    assert_string_equal(e.msg, "kubeconfig " DIR "/no-such-kubeconfig: cannot open: No such file or directory");
}

static void error_yaml_syntax(void **state)
{
    (void)state;
    expect_error("clusters:\n- name: c\n  cluster: [unclosed\n", NULL,
                 "line 4 column 1: did not find expected ',' or ']'");
}

static void error_no_current_context(void **state)
{
    (void)state;
    expect_error("apiVersion: v1\nkind: Config\n" CLUSTER, NULL,
                 "no current-context is set and no context was named");
}

static void error_unknown_context(void **state)
{
    (void)state;
    expect_error("current-context: gone\n" CLUSTER "contexts:\n- name: a\n  context: {cluster: c}\n"
                 "- name: b\n  context: {cluster: c}\n", NULL,
                 "context \"gone\" is not defined (contexts: a, b)");
}

static void error_unknown_cluster(void **state)
{
    (void)state;
    expect_error(CLUSTER "contexts:\n- name: a\n  context: {cluster: x}\n", "a",
                 "cluster \"x\" (of context \"a\") is not defined (clusters: c)");
}

static void error_no_server(void **state)
{
    (void)state;
    expect_error("clusters:\n- name: c\n  cluster:\n    insecure-skip-tls-verify: true\n"
                 "contexts:\n- name: a\n  context: {cluster: c}\n", "a",
                 "cluster \"c\" has no server");
}

static void error_bad_base64(void **state)
{
    (void)state;
    expect_error("clusters:\n- name: c\n  cluster:\n    server: https://k:6443\n"
                 "    certificate-authority-data: not*base64\n"
                 "contexts:\n- name: a\n  context: {cluster: c}\n", "a",
                 "cluster \"c\": certificate-authority-data is not valid base64");
}

static void error_missing_ca_file(void **state)
{
    (void)state;
    tmpconf t;
    tide_kubeconfig kc;
    tide_err e = { 0 };

    write_tmp(&t, "clusters:\n- name: c\n  cluster:\n    server: https://k:6443\n"
                  "    certificate-authority: ca.pem\ncontexts:\n- name: a\n  context: {cluster: c}\n");
    assert_int_equal(tide_kubeconfig_load(t.path, "a", &kc, &e), -1);
    char *want = xasprintf("kubeconfig %s: cluster \"c\": certificate-authority %s/ca.pem: No such file or directory",
                           t.path, t.dir);
    assert_string_equal(e.msg, want);
    free(want);
    remove_tmp(&t);
}

static void error_insecure_with_ca(void **state)
{
    (void)state;
    expect_error("clusters:\n- name: c\n  cluster:\n    server: https://k:6443\n    insecure-skip-tls-verify: true\n"
                 "    certificate-authority-data: " CA_B64 "\n"
                 "contexts:\n- name: a\n  context: {cluster: c}\n", "a",
                 "cluster \"c\": insecure-skip-tls-verify cannot be combined with a certificate authority");
}

static void error_unknown_user(void **state)
{
    (void)state;
    expect_error(CLUSTER "contexts:\n- name: a\n  context: {cluster: c, user: u}\nusers:\n- name: v\n  user: {}\n",
                 "a", "user \"u\" (of context \"a\") is not defined (users: v)");
}

static void error_exec_plugin(void **state)
{
    (void)state;
    expect_error(CLUSTER "contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
                 "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                 "      command: kubelogin\n", "a",
                 "user \"u\" authenticates with an exec credential plugin, which tide does not support; "
                 "give it a token, tokenFile or client certificate");
}

static void error_cert_without_key(void **state)
{
    (void)state;
    expect_error(CLUSTER "contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
                 "users:\n- name: u\n  user:\n    client-certificate-data: " CA_B64 "\n", "a",
                 "user \"u\" has a client certificate but no client key");
}

static void error_not_a_mapping(void **state)
{
    (void)state;
    expect_error("- just\n- a list\n", NULL, "not a kubeconfig (the top level is not a mapping)");
}

static void error_empty_file(void **state)
{
    (void)state;
    expect_error("", NULL, "not a kubeconfig (the top level is not a mapping)");
}

static void error_bad_json(void **state)
{
    (void)state;
    expect_error("{\"clusters\": [}", NULL, "not valid JSON: unexpected character");
}

static void alias_bomb_is_refused(void **state)
{
    (void)state;
    /* Nine levels of nine aliases: 9^9 nodes if expanded. */
    strbuf b = STRBUF_INIT;
    strbuf_puts(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 10; i++) {
        strbuf_printf(&b, "a%d: &a%d [", i, i);
        for (int j = 0; j < 9; j++)
            strbuf_printf(&b, "%s*a%d", j ? ", " : "", i - 1);
        strbuf_puts(&b, "]\n");
    }
    expect_error(strbuf_str(&b), NULL, "the YAML is nested too deeply or expands to too many nodes");
    strbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(embedded_certificates),
        cmocka_unit_test(named_context_insecure_with_token),
        cmocka_unit_test(token_and_ca_file),
        cmocka_unit_test(token_file_wins_over_token),
        cmocka_unit_test(json_kubeconfig),
        cmocka_unit_test(error_missing_file),
        cmocka_unit_test(error_yaml_syntax),
        cmocka_unit_test(error_no_current_context),
        cmocka_unit_test(error_unknown_context),
        cmocka_unit_test(error_unknown_cluster),
        cmocka_unit_test(error_no_server),
        cmocka_unit_test(error_bad_base64),
        cmocka_unit_test(error_missing_ca_file),
        cmocka_unit_test(error_insecure_with_ca),
        cmocka_unit_test(error_unknown_user),
        cmocka_unit_test(error_exec_plugin),
        cmocka_unit_test(error_cert_without_key),
        cmocka_unit_test(error_not_a_mapping),
        cmocka_unit_test(error_empty_file),
        cmocka_unit_test(error_bad_json),
        cmocka_unit_test(alias_bomb_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

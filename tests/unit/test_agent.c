/*
 * test_agent.c - the node agent (nodefeatures/agent.c, agent_kexec.c): which requests it
 * refuses and why (no credential, forged, replayed, another request's, non-root, bad body,
 * another node, busy), what an accepted kexec starts, the new kernel's command line, the
 * magic numbers it checks, and the kexec itself with the load and the jump replaced by
 * recorders (the downloads over scripted HTTP, redirects included).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.h"
#include "fake_http.h"
#include "jsonutil.h"
#include "strbuf.h"

#define NODE "x1000c0s0b0n0"
#define BODY "{\"node\":\"" NODE "\",\"image\":\"sles15\",\"kernel\":\"http://s3/sles15/vmlinuz\"," \
             "\"initrd\":\"http://s3/sles15/initrd\",\"params\":\"console=ttyS0 tide.image=sles15\"}"
#define RUNNING "BOOT_IMAGE=vmlinuz initrd=initrd console=ttyS0 xname=x1000c0s0b0n0 nid=3 " \
                "BOOTIF=01-aa-bb-cc-dd-ee-ff ds=nocloud-net;s=http://10.1.1.1:8888/ tide.image=rocky9\n"

/* ---- recorders -------------------------------------------------------------------------------- */

typedef struct rec {
    /* verify: what to answer, and what it was asked */
    int verify_rc;
    unsigned uid;
    long status;
    const char *why;
    int verified;
    char *cred, *method, *path, *body;
    /* start */
    int start_rc;
    int started;
    char *started_image;
    /* load, jump */
    int loaded, jumped;
    char *cmdline;
    strbuf kernel, initrd;
    int had_initrd;
} rec;

static int fake_verify(void *ctx, const char *munge_socket, const char *cred, const char *method, const char *path,
                       const char *body, size_t len, unsigned *uid, tide_err *e)
{
    rec *r = ctx;
    (void)munge_socket;
    r->verified++;
    free(r->cred);
    free(r->method);
    free(r->path);
    free(r->body);
    r->cred = xstrdup(cred);
    r->method = xstrdup(method);
    r->path = xstrdup(path);
    r->body = xstrndup(body, len);
    if (r->verify_rc) {
        tide_err_set(e, "%s", r->why);
        e->http_status = r->status;
        return -1;
    }
    *uid = r->uid;
    return 0;
}

static int fake_start(void *ctx, tide_agent *a, const tide_agent_kexec *k, tide_err *e)
{
    rec *r = ctx;
    (void)a;
    r->started++;
    free(r->started_image);
    r->started_image = xstrdup(k->image);
    if (r->start_rc)
        return tide_err_set(e, "cannot start the kexec: Resource temporarily unavailable");
    return 0;
}

static void slurp(int fd, strbuf *b)
{
    char chunk[4096];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        strbuf_add(b, chunk, (size_t)n);
}

static int fake_load(void *ctx, int kernel_fd, int initrd_fd, const char *cmdline, tide_err *e)
{
    rec *r = ctx;
    (void)e;
    r->loaded++;
    free(r->cmdline);   /* the one of an earlier load in the same test */
    r->cmdline = xstrdup(cmdline);
    slurp(kernel_fd, &r->kernel);
    r->had_initrd = initrd_fd >= 0;
    if (initrd_fd >= 0)
        slurp(initrd_fd, &r->initrd);
    return 0;
}

static int fake_jump(void *ctx, tide_err *e)
{
    rec *r = ctx;
    (void)e;
    r->jumped++;
    return 0;
}

/* ---- the fixture: an agent in command mode with the recorders, its node's command line in a file ---- */

typedef struct afix {
    rec r;
    char cmdline[64];
    tide_agent *a;
} afix;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int afix_setup(void **state)
{
    afix *t = xcalloc(1, sizeof(*t));
    snprintf(t->cmdline, sizeof(t->cmdline), "/tmp/test_agent_cmdline.XXXXXX");
    int fd = mkstemp(t->cmdline);
    assert_true(fd >= 0);
    close(fd);
    write_file(t->cmdline, RUNNING);
    tide_agent_settings s = { .slurm_user = "slurm", .have_slurm_uid = 1, .slurm_uid = 64030,
                              .kexec = { .node = NODE, .cmdline_path = t->cmdline, .kexec_command = "true" } };
    tide_agent_hooks h = { .verify = fake_verify, .start = fake_start, .ctx = &t->r };
    t->a = tide_agent_new(&s, &h);
    *state = t;
    return 0;
}

static int afix_teardown(void **state)
{
    afix *t = *state;
    tide_agent_free(t->a);
    unlink(t->cmdline);
    free(t->r.cred);
    free(t->r.method);
    free(t->r.path);
    free(t->r.body);
    free(t->r.started_image);
    free(t->r.cmdline);
    strbuf_free(&t->r.kernel);
    strbuf_free(&t->r.initrd);
    free(t);
    return 0;
}

/* One request; returns the status and leaves the reply's "error" (or the whole body) in msg. */
static unsigned ask(afix *t, const char *method, const char *path, const char *auth, const char *body, char *msg,
                    size_t size, const char **header)
{
    tide_agent_reply out;
    tide_agent_answer(t->a, method, path, auth, body, body ? strlen(body) : 0, 0, &out);
    json_object *o = json_tokener_parse(out.body);
    assert_non_null(o);
    const char *err = tide_json_str(o, "error");
    snprintf(msg, size, "%s", err ? err : out.body);
    if (header)
        *header = out.header_name ? out.header_value : NULL;
    json_object_put(o);
    unsigned status = out.status;
    tide_agent_reply_free(&out);
    return status;
}

#define ASK(method, path, auth, body) ask(t, method, path, auth, body, msg, sizeof(msg), &hdr)

/* ---- refusals --------------------------------------------------------------------------------- */

static void routes_and_methods(void **state)
{
    afix *t = *state;
    char msg[1024];
    const char *hdr;
    assert_int_equal(ASK("GET", "/v1/agent", NULL, NULL), 200);   /* no credential needed */
    json_object *o = json_tokener_parse(msg);
    assert_string_equal(tide_json_str(o, "node"), NODE);
    assert_string_equal(tide_json_str(o, "image"), "rocky9");
    assert_string_equal(tide_json_str(tide_json_get(o, "kexec"), "state"), "idle");
    json_object_put(o);
    assert_int_equal(ASK("POST", "/v1/agent", NULL, ""), 405);
    assert_string_equal(hdr, "GET");
    assert_int_equal(ASK("GET", "/v1/kexec", "Munge x", NULL), 405);
    assert_string_equal(hdr, "POST");
    assert_int_equal(ASK("POST", "/v1/reboot", "Munge x", BODY), 404);
    assert_non_null(strstr(msg, "no such route"));
    tide_agent_reply out;
    tide_agent_answer(t->a, "POST", "/v1/kexec", "Munge x", "{", 1, 1, &out);
    assert_int_equal(out.status, 413);
    tide_agent_reply_free(&out);
    assert_int_equal(t->r.verified + t->r.started, 0);
}

static void no_credential_forged_replayed_refused(void **state)
{
    afix *t = *state;
    char msg[1024];
    const char *hdr;
    assert_int_equal(ASK("POST", "/v1/kexec", NULL, BODY), 401);
    assert_string_equal(msg, "missing credential: the node agent needs \"Authorization: Munge <credential>\" "
                             "on POST /v1/kexec");
    assert_string_equal(hdr, "Munge");
    assert_int_equal(ASK("POST", "/v1/kexec", "Bearer abc", BODY), 401);
    assert_int_equal(t->r.verified, 0);

    t->r.verify_rc = -1;
    t->r.status = 401;
    t->r.why = "munge credential invalid (forged, or made with another munge key)";
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge  MUNGE:forged:", BODY), 401);
    assert_string_equal(msg, t->r.why);
    /* what munge was asked to vouch for: this request exactly */
    assert_string_equal(t->r.cred, "MUNGE:forged:");
    assert_string_equal(t->r.method, "POST");
    assert_string_equal(t->r.path, "/v1/kexec");
    assert_string_equal(t->r.body, BODY);
    t->r.why = "munge credential replayed (a credential is good for one request only)";
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge MUNGE:used:", BODY), 401);
    assert_string_equal(msg, t->r.why);
    t->r.why = "munge credential made for another request (its payload must be \"POST /v1/kexec\\n\" and the body)";
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge MUNGE:other:", BODY), 401);
    t->r.status = 503;
    t->r.why = "the node agent cannot check the credential: munged at /run/munge/munge.socket.2 does not answer";
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge MUNGE:x:", BODY), 503);
    assert_null(hdr);
    assert_int_equal(t->r.started, 0);
}

static void only_root_and_slurm_user(void **state)
{
    afix *t = *state;
    char msg[1024];
    const char *hdr;
    t->r.uid = 1000;
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge c", BODY), 403);
    assert_string_equal(msg, "uid 1000 may not order a kexec: only root and SlurmUser=slurm may");
    assert_int_equal(t->r.started, 0);
    t->r.uid = 64030;   /* SlurmUser */
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge c", BODY), 202);
    assert_int_equal(t->r.started, 1);
}

static void bad_bodies_and_other_nodes(void **state)
{
    afix *t = *state;
    char msg[1024];
    const char *hdr;
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge c", "not json"), 400);
    assert_non_null(strstr(msg, "JSON object"));
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge c", "{\"image\":\"sles15\"}"), 400);
    assert_string_equal(msg, "\"node\" is required");
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge c", "{\"node\":\"" NODE "\",\"image\":\"a b\"}"), 400);
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge c", "{\"node\":\"" NODE "\",\"image\":\"x\",\"kernel\":5}"), 400);
    assert_string_equal(msg, "\"kernel\" must be a string");
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge c",
                         "{\"node\":\"" NODE "\",\"image\":\"x\",\"kernel\":\"file:///etc/shadow\"}"), 400);
    assert_string_equal(msg, "\"kernel\" must be an http:// or https:// URL");
    /* A credential made for another node's agent (the body names it) is no use here. */
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge c",
                         "{\"node\":\"x1000c0s0b0n1\",\"image\":\"sles15\",\"kernel\":\"http://k\"}"), 421);
    assert_string_equal(msg, "this is the agent of " NODE ", not of x1000c0s0b0n1");
    /* the same node, written another way */
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge c",
                         "{\"node\":\"x1000c0s0b0n00\",\"image\":\"sles15\",\"kernel\":\"http://k\"}"), 202);
    assert_int_equal(t->r.started, 1);
}

static void one_kexec_at_a_time(void **state)
{
    afix *t = *state;
    char msg[1024];
    const char *hdr;
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge c", BODY), 202);
    json_object *o = json_tokener_parse(msg);
    assert_true(tide_json_bool(o, "accepted", 0));
    assert_string_equal(tide_json_str(o, "image"), "sles15");
    json_object_put(o);
    assert_int_equal(t->r.started, 1);
    assert_string_equal(t->r.started_image, "sles15");
    /* the same order again (tided after a restart): accepted, not started twice */
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge c", BODY), 202);
    assert_int_equal(t->r.started, 1);
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge c",
                         "{\"node\":\"" NODE "\",\"image\":\"rocky9\",\"kernel\":\"http://k\"}"), 409);
    assert_string_equal(msg, "a kexec into sles15 is under way");
    assert_int_equal(ASK("GET", "/v1/agent", NULL, NULL), 200);
    assert_non_null(strstr(msg, "\"state\":\"running\""));
    tide_agent_kexec_done(t->a, "kernel: GET http://s3/sles15/vmlinuz: HTTP 404 Not Found");
    assert_int_equal(ASK("GET", "/v1/agent", NULL, NULL), 200);
    assert_non_null(strstr(msg, "\"state\":\"failed\""));
    assert_non_null(strstr(msg, "HTTP 404 Not Found"));
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge c", BODY), 202);   /* free again */
    assert_int_equal(t->r.started, 2);
    t->r.start_rc = -1;
    tide_agent_kexec_done(t->a, NULL);
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge c", BODY), 503);
    assert_string_equal(msg, "cannot start the kexec: Resource temporarily unavailable");
}

static void real_mode_needs_a_kernel(void **state)
{
    afix *t = *state;
    char msg[1024];
    const char *hdr;
    tide_agent_settings s = { .kexec = { .node = NODE, .cmdline_path = t->cmdline } };
    tide_agent_hooks h = { .verify = fake_verify, .start = fake_start, .ctx = &t->r };
    tide_agent *real = tide_agent_new(&s, &h);
    tide_agent *cmd = t->a;
    t->a = real;
    assert_int_equal(ASK("POST", "/v1/kexec", "Munge c", "{\"node\":\"" NODE "\",\"image\":\"sles15\"}"), 400);
    assert_string_equal(msg, "\"kernel\" is required: the node agent downloads it");
    t->a = cmd;
    tide_agent_free(real);
}

/* ---- the command line, magic numbers ------------------------------------------------------------ */

static void cmdline_carries_identity_and_drops_ipxe(void **state)
{
    (void)state;
    tide_err e;
    char *c = tide_agent_cmdline("console=ttyS0 tide.image=sles15", "sles15", RUNNING, &e);
    assert_string_equal(c, "console=ttyS0 tide.image=sles15 xname=x1000c0s0b0n0 nid=3 "
                           "BOOTIF=01-aa-bb-cc-dd-ee-ff ds=nocloud-net;s=http://10.1.1.1:8888/");
    free(c);
    /* BSS's json=1 params: "kernel" first, initrd=initrd; tide.image= added; params' own nid= kept */
    c = tide_agent_cmdline("kernel initrd=initrd root=live:http://s3/r nid=7 ds=\"a b\"", "sles15", RUNNING, &e);
    assert_string_equal(c, "root=live:http://s3/r nid=7 ds=\"a b\" xname=x1000c0s0b0n0 "
                           "BOOTIF=01-aa-bb-cc-dd-ee-ff tide.image=sles15");
    free(c);
    c = tide_agent_cmdline("", "sles15", NULL, &e);
    assert_string_equal(c, "tide.image=sles15");
    free(c);
    c = tide_agent_cmdline(NULL, "k8s", "xname=\"x1 c0\"", &e);
    assert_string_equal(c, "xname=\"x1 c0\" tide.image=k8s");
    free(c);
    assert_null(tide_agent_cmdline("console=ttyS0 tide.image=rocky9", "sles15", RUNNING, &e));
    assert_string_equal(e.msg, "the params name tide.image=rocky9, but the image is sles15");
}

static void magic_numbers(void **state)
{
    (void)state;
    tide_err e;
    char k[0x300];
    memset(k, 'x', sizeof(k));
    assert_int_equal(tide_agent_check_kernel(k, sizeof(k), "x86_64", &e), -1);
    assert_non_null(strstr(e.msg, "not a bzImage"));
    memcpy(k + 0x202, "HdrS", 4);
    assert_int_equal(tide_agent_check_kernel(k, sizeof(k), "x86_64", &e), 0);
    assert_int_equal(tide_agent_check_kernel(k, 0x204, "x86_64", &e), -1);   /* cut short */
    assert_int_equal(tide_agent_check_kernel(k, sizeof(k), "aarch64", &e), -1);
    memcpy(k + 0x38, "ARM\x64", 4);
    assert_int_equal(tide_agent_check_kernel(k, sizeof(k), "aarch64", &e), 0);
    memset(k, 'x', sizeof(k));
    memcpy(k, "MZ\0\0zimg", 8);
    assert_int_equal(tide_agent_check_kernel(k, sizeof(k), "aarch64", &e), 0);
    assert_int_equal(tide_agent_check_kernel(k, sizeof(k), "riscv64", &e), 0);   /* not checked */
    assert_int_equal(tide_agent_check_initrd("070701000", 9, &e), 0);
    assert_int_equal(tide_agent_check_initrd("\x1f\x8b\x08", 3, &e), 0);
    assert_int_equal(tide_agent_check_initrd("\x28\xb5\x2f\xfd", 4, &e), 0);
    assert_int_equal(tide_agent_check_initrd("\xfd" "7zXZ\x00", 6, &e), 0);
    assert_int_equal(tide_agent_check_initrd("<html>", 6, &e), -1);
    assert_non_null(strstr(e.msg, "not an initramfs"));
}

/* ---- the kexec -------------------------------------------------------------------------------- */

static void kexec_downloads_loads_and_jumps(void **state)
{
    afix *t = *state;
    fake_http f;
    char kernel[0x300];
    memset(kernel, 'k', sizeof(kernel) - 1);
    kernel[sizeof(kernel) - 1] = '\0';
    memcpy(kernel + 0x38, "ARM\x64", 4);      /* whichever machine runs the test */
    memcpy(kernel + 0x202, "HdrS", 4);
    tide_kexec_env env = { .node = NODE, .cmdline_path = t->cmdline, .load = fake_load, .jump = fake_jump,
                           .ctx = &t->r };
    env.http = fake_http_client("boot image server", "http://images", &f);
    /* BSS may hand out a presigned S3 URL behind a redirect */
    fake_exchange *moved = fake_expect(&f, "GET", "http://s3/sles15/vmlinuz", 302, NULL, "");
    moved->location = "http://s3.cdn/sles15/vmlinuz?X-Amz-Signature=1";
    fake_expect(&f, "GET", "http://s3.cdn/sles15/vmlinuz?X-Amz-Signature=1", 200, "application/octet-stream", kernel);
    fake_expect(&f, "GET", "http://s3/sles15/initrd", 200, "application/octet-stream", "070701initramfs");
    tide_agent_kexec k = { NODE, "sles15", "http://s3/sles15/vmlinuz", "http://s3/sles15/initrd",
                           "console=ttyS0 tide.image=sles15" };
    tide_err e;
    assert_int_equal(tide_kexec_run(&env, &k, &e), 0);
    assert_int_equal(t->r.loaded, 1);
    assert_int_equal(t->r.jumped, 1);
    assert_string_equal(strbuf_str(&t->r.kernel), kernel);
    assert_true(t->r.had_initrd);
    assert_string_equal(strbuf_str(&t->r.initrd), "070701initramfs");
    assert_string_equal(t->r.cmdline, "console=ttyS0 tide.image=sles15 xname=x1000c0s0b0n0 nid=3 "
                                      "BOOTIF=01-aa-bb-cc-dd-ee-ff ds=nocloud-net;s=http://10.1.1.1:8888/");

    /* An initrd that is an error page is never loaded. */
    fake_expect(&f, "GET", "http://s3/sles15/vmlinuz", 200, "application/octet-stream", kernel);
    fake_expect(&f, "GET", "http://s3/sles15/initrd", 200, "text/html", "<html>Access Denied</html>");
    assert_int_equal(tide_kexec_run(&env, &k, &e), -1);
    assert_string_equal(e.msg, "initrd http://s3/sles15/initrd: not an initramfs (neither cpio nor gzip, zstd, "
                               "xz, lzma, bzip2 or lz4 data)");
    /* A kernel the server does not have: no load. */
    fake_expect(&f, "GET", "http://s3/sles15/vmlinuz", 404, "text/plain", "NoSuchKey");
    assert_int_equal(tide_kexec_run(&env, &k, &e), -1);
    assert_string_equal(e.msg, "boot image server: GET http://s3/sles15/vmlinuz: HTTP 404 Not Found: NoSuchKey");
    /* No initrd: none loaded. */
    k.initrd = "";
    fake_expect(&f, "GET", "http://s3/sles15/vmlinuz", 200, "application/octet-stream", kernel);
    assert_int_equal(tide_kexec_run(&env, &k, &e), 0);
    assert_false(t->r.had_initrd);
    assert_int_equal(t->r.loaded, 2);
    fake_http_done(&f);
    tide_http_free(env.http);
}

static void kexec_command_gets_the_order_in_its_environment(void **state)
{
    afix *t = *state;
    char out[64];
    snprintf(out, sizeof(out), "/tmp/test_agent_out.XXXXXX");
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    char *cmd = xasprintf("printf '%%s|%%s|%%s|%%s|%%s' \"$TIDE_KEXEC_NODE\" \"$TIDE_KEXEC_IMAGE\" "
                          "\"$TIDE_KEXEC_KERNEL\" \"$TIDE_KEXEC_INITRD\" \"$TIDE_KEXEC_PARAMS\" > %s", out);
    tide_kexec_env env = { .node = NODE, .cmdline_path = t->cmdline, .kexec_command = cmd, .load = fake_load,
                           .jump = fake_jump, .ctx = &t->r };
    tide_agent_kexec k = { NODE, "sles15", "http://s3/k", "", "a=1 ds=nocloud-net;s=http://x/ tide.image=sles15" };
    tide_err e;
    assert_int_equal(tide_kexec_run(&env, &k, &e), 0);
    char got[512] = "";
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    assert_non_null(fgets(got, sizeof(got), f));
    fclose(f);
    assert_string_equal(got, NODE "|sles15|http://s3/k||a=1 ds=nocloud-net;s=http://x/ tide.image=sles15");
    assert_int_equal(t->r.loaded + t->r.jumped, 0);   /* the command is the kexec */
    env.kexec_command = "exit 3";
    assert_int_equal(tide_kexec_run(&env, &k, &e), -1);
    assert_string_equal(e.msg, "the kexec command exited with status 3");
    unlink(out);
    free(cmd);
}

int main(void)
{
#define A(f) cmocka_unit_test_setup_teardown(f, afix_setup, afix_teardown)
    const struct CMUnitTest tests[] = {
        A(routes_and_methods),
        A(no_credential_forged_replayed_refused),
        A(only_root_and_slurm_user),
        A(bad_bodies_and_other_nodes),
        A(one_kexec_at_a_time),
        A(real_mode_needs_a_kernel),
        cmocka_unit_test(cmdline_carries_identity_and_drops_ipxe),
        cmocka_unit_test(magic_numbers),
        A(kexec_downloads_loads_and_jumps),
        A(kexec_command_gets_the_order_in_its_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

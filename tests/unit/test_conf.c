/* test_conf.c - tide.conf: a full example, defaults, includes, and every error's exact line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "strbuf.h"

static const char example[] =
    "# tide.conf as in the design\n"
    "SmdUrl=https://api-gw-service-nmn.local/apis/smd/hsm/v2\n"
    "BssUrl=https://api-gw-service-nmn.local/apis/bss/boot/v1\n"
    "PcsUrl=https://api-gw-service-nmn.local/apis/power-control/v1\n"
    "TokenFile=/etc/tide/token            # or TokenUrl= ClientId= ClientSecretFile=\n"
    "Listen=unix:/run/tide/tided.sock,tcp:0.0.0.0:6821\n"
    "StateDir=/var/lib/tide\n"
    "ExclusiveGroup=tide                  # shared exclusiveGroup of every managed pool\n"
    "SlurmPool=slurm                      # the pool whose nodes Slurm is using now\n"
    "Pool=free  Group=nodes_free Kind=free       Cost=1  Park=off\n"
    "Pool=k8s   Group=k8s_workers Kind=kubernetes Cost=20 Kubeconfig=/etc/tide/kubeconfig HomeImage=k8s "
    "MaxBorrow=50% DrainTimeout=600\n"
    "Pool=slurm Group=slurm_compute Kind=slurm\n"
    "Image=rocky9 Kernel=http://s3/k Initrd=http://s3/i Params=\"root=live:http://s3/r console=ttyS0\" "
    "CloudInitGroup=rocky9 Transition=kexec\n"
    "Image=k8s    Kernel=http://s3/k8s-k Initrd=http://s3/k8s-i Params=\"ro \\\"q\\\" \\\\ x\" CloudInitGroup=k8s "
    "Transition=reboot\n"
    "\n"
    "  defaultimage=rocky9\n"
    "QuarantineAfter=3 ConnectTimeout=7 RequestTimeout=60 Retries=0 TlsVerify=no CaFile=/etc/ca.pem\n"
    "RedfishUser=root RedfishPasswordFile=/etc/tide/redfish\n";

static void full_example(void **state)
{
    (void)state;
    tide_err e = { 0 };
    tide_conf *c = tide_conf_parse(example, "tide.conf", &e);
    assert_non_null(c);

    assert_string_equal(c->path, "tide.conf");
    assert_string_equal(c->smd_url, "https://api-gw-service-nmn.local/apis/smd/hsm/v2");
    assert_string_equal(c->bss_url, "https://api-gw-service-nmn.local/apis/bss/boot/v1");
    assert_string_equal(c->pcs_url, "https://api-gw-service-nmn.local/apis/power-control/v1");
    assert_string_equal(c->token_file, "/etc/tide/token");
    assert_null(c->token_url);
    assert_string_equal(c->listen, "unix:/run/tide/tided.sock,tcp:0.0.0.0:6821");
    assert_string_equal(c->state_dir, "/var/lib/tide");
    assert_string_equal(c->exclusive_group, "tide");
    assert_string_equal(c->slurm_pool, "slurm");
    assert_string_equal(c->default_image, "rocky9");
    assert_int_equal(c->quarantine_after, 3);
    assert_int_equal(c->connect_timeout, 7);
    assert_int_equal(c->request_timeout, 60);
    assert_int_equal(c->retries, 0);
    assert_int_equal(c->tls_verify, 0);
    assert_string_equal(c->ca_file, "/etc/ca.pem");
    assert_string_equal(c->redfish_user, "root");
    assert_string_equal(c->redfish_password_file, "/etc/tide/redfish");

    assert_int_equal(c->npools, 3);
    const tide_pool_conf *free_pool = tide_conf_pool(c, "free");
    assert_ptr_equal(free_pool, &c->pools[0]);
    assert_string_equal(free_pool->group, "nodes_free");
    assert_int_equal(free_pool->kind, TIDE_POOL_FREE);
    assert_int_equal(free_pool->cost, 1);
    assert_int_equal(free_pool->park, 0);
    assert_int_equal(free_pool->drain_timeout, 600);
    assert_string_equal(free_pool->where, "tide.conf:10");

    const tide_pool_conf *k8s = tide_conf_pool_by_group(c, "K8S_WORKERS");
    assert_ptr_equal(k8s, &c->pools[1]);
    assert_string_equal(k8s->name, "k8s");
    assert_int_equal(k8s->kind, TIDE_POOL_KUBERNETES);
    assert_int_equal(k8s->cost, 20);
    assert_string_equal(k8s->kubeconfig, "/etc/tide/kubeconfig");
    assert_string_equal(k8s->home_image, "k8s");
    assert_int_equal(k8s->max_borrow, 50);
    assert_int_equal(k8s->max_borrow_percent, 1);
    assert_int_equal(k8s->drain_timeout, 600);

    const tide_pool_conf *slurm = tide_conf_pool(c, "slurm");
    assert_string_equal(slurm->group, "slurm_compute");
    assert_int_equal(slurm->kind, TIDE_POOL_SLURM);
    assert_string_equal(tide_pool_kind_name(slurm->kind), "slurm");
    assert_null(tide_conf_pool(c, "nope"));

    assert_int_equal(c->nimages, 2);
    const tide_image_conf *r9 = tide_conf_image(c, "rocky9");
    assert_string_equal(r9->kernel, "http://s3/k");
    assert_string_equal(r9->initrd, "http://s3/i");
    assert_string_equal(r9->params, "root=live:http://s3/r console=ttyS0");
    assert_string_equal(r9->cloud_init_group, "rocky9");
    assert_int_equal(r9->transition, TIDE_TRANSITION_KEXEC);
    assert_string_equal(r9->where, "tide.conf:13");
    const tide_image_conf *k = tide_conf_image(c, "k8s");
    assert_string_equal(k->params, "ro \"q\" \\ x");
    assert_int_equal(k->transition, TIDE_TRANSITION_REBOOT);
    tide_conf_free(c);
}

static void defaults(void **state)
{
    (void)state;
    tide_err e = { 0 };
    tide_conf *c = tide_conf_parse("Pool=p Kind=tenant\nImage=i Kernel=k Initrd=r\n", "d.conf", &e);
    assert_non_null(c);
    assert_null(c->smd_url);
    assert_int_equal(c->tls_verify, 1);
    assert_int_equal(c->connect_timeout, 5);
    assert_int_equal(c->request_timeout, 30);
    assert_int_equal(c->retries, 3);
    assert_int_equal(c->quarantine_after, 3);
    assert_string_equal(c->exclusive_group, "tide");
    assert_string_equal(c->pools[0].group, "p");     /* Group= defaults to the pool name */
    assert_int_equal(c->pools[0].cost, 1);
    assert_int_equal(c->pools[0].max_borrow, 0);
    assert_string_equal(c->images[0].params, "");
    assert_int_equal(c->images[0].transition, TIDE_TRANSITION_REBOOT);
    tide_conf_free(c);

    c = tide_conf_parse("", "empty.conf", &e);
    assert_non_null(c);
    assert_int_equal(c->npools, 0);
    tide_conf_free(c);
}

/* Each error: the exact one-line message with file:line. */
static void expect_error(const char *text, const char *msg)
{
    tide_err e = { 0 };
    tide_conf *c = tide_conf_parse(text, "t.conf", &e);
    if (c)
        fail_msg("parsed without error: %s", text);
    assert_string_equal(e.msg, msg);
}

static void errors(void **state)
{
    (void)state;
    expect_error("SmdUrl=http://x\n\nFoo=1\n", "t.conf:3: unknown key Foo");
    expect_error("Retries=abc\n", "t.conf:1: Retries=abc: expected an integer from 0 to 20");
    expect_error("ConnectTimeout=0\n", "t.conf:1: ConnectTimeout=0: expected an integer from 1 to 600");
    expect_error("Pool=free Group=nodes_free Cost=1\n", "t.conf:1: Pool=free needs Kind=free|kubernetes|slurm|tenant");
    expect_error("Pool=k8s Kind=kubernetes\n", "t.conf:1: Pool=k8s is Kind=kubernetes and needs Kubeconfig=");
    expect_error("Pool=free Kind=free\n# again\nPool=free Kind=tenant\n", "t.conf:3: Pool=free is defined twice");
    expect_error("Image=a Kernel=k Initrd=i Params=\"root=live console\n",
                 "t.conf:1: unterminated quote in value of Params");
    expect_error("Image=a Kernel=k Initrd=i\n\nDefaultImage=b\n", "t.conf:3: DefaultImage=b names no Image= record");
    expect_error("Pool=a Kind=free\nSlurmPool=slurm\n", "t.conf:2: SlurmPool=slurm names no Pool= record");
    expect_error("Pool=a Kind=bogus\n", "t.conf:1: Kind=bogus: expected free, kubernetes, slurm or tenant");
    expect_error("Pool=a Kind=free Colour=red\n", "t.conf:1: unknown key Colour in Pool=a record");
    expect_error("Pool=a Kind=free MaxBorrow=150%\n", "t.conf:1: MaxBorrow=150: expected an integer from 0 to 100");
    expect_error("Pool=a Kind=free Park=maybe\n", "t.conf:1: Park=maybe: expected yes or no");
    expect_error("Pool=a/b Kind=free\n", "t.conf:1: Pool=a/b: names may hold letters, digits and - _ . : only");
    expect_error("Pool=a Kind=free\nPool=b Group=a Kind=free\n", "t.conf:2: Pool=b uses Group=a, already used by Pool=a");
    expect_error("Pool=a Kind=free HomeImage=x\n", "t.conf:1: HomeImage=x of Pool=a names no Image= record");
    expect_error("Image=a Kernel=k\n", "t.conf:1: Image=a needs Kernel= and Initrd=");
    expect_error("Image=a Kernel=k Initrd=i Transition=warp\n", "t.conf:1: Transition=warp: expected kexec or reboot");
    expect_error("Image=a Kernel=k Initrd=i\nImage=a Kernel=k Initrd=i\n", "t.conf:2: Image=a is defined twice");
    expect_error("SmdUrl http://x\n", "t.conf:1: expected Key=Value, found 'SmdUrl'");
    expect_error("=x\n", "t.conf:1: missing key before '='");
    expect_error("TlsVerify=perhaps\n", "t.conf:1: TlsVerify=perhaps: expected yes or no");
    expect_error("TokenUrl=http://t\n", "t.conf: TokenUrl= needs ClientId= and ClientSecretFile=");
}

/* A scratch directory with files in it, removed afterwards. */
typedef struct scratch {
    char dir[64];
} scratch;

static char *put_file(const scratch *s, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", s->dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void scratch_remove(scratch *s)
{
    char *cmd = xasprintf("rm -rf '%s'", s->dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static void includes(void **state)
{
    (void)state;
    scratch s;
    tide_err e = { 0 };
    strcpy(s.dir, "/tmp/tide-test-conf.XXXXXX");
    assert_non_null(mkdtemp(s.dir));
    char *sub = xasprintf("%s/images.d", s.dir);
    assert_int_equal(mkdir(sub, 0755), 0);

    /* A glob, relative to the including file, read in name order; an empty glob is fine. */
    free(put_file(&s, "images.d/20-k8s.conf", "Image=k8s Kernel=k2 Initrd=i2\n"));
    free(put_file(&s, "images.d/10-rocky9.conf", "# rocky\nImage=rocky9 Kernel=k1 Initrd=i1\n"));
    free(put_file(&s, "images.d/notes.txt", "this is not tide.conf syntax\n"));
    char *main_conf = put_file(&s, "tide.conf",
                               "SmdUrl=http://smd\nInclude=images.d/*.conf\nInclude=empty.d/*.conf\nDefaultImage=k8s\n");
    tide_conf *c = tide_conf_load(main_conf, &e);
    if (!c)
        fail_msg("%s", e.msg);
    assert_int_equal(c->nimages, 2);
    assert_string_equal(c->images[0].name, "rocky9");
    assert_string_equal(c->images[1].name, "k8s");
    char *where = xasprintf("%s/images.d/10-rocky9.conf:2", s.dir);
    assert_string_equal(c->images[0].where, where);
    free(where);
    tide_conf_free(c);
    free(main_conf);

    /* An error inside an included file names that file and its line. */
    free(put_file(&s, "images.d/30-bad.conf", "\n\nImage=bad Kernel=k\n"));
    main_conf = put_file(&s, "tide.conf", "Include=images.d/*.conf\n");
    assert_null(tide_conf_load(main_conf, &e));
    char *msg = xasprintf("%s/images.d/30-bad.conf:3: Image=bad needs Kernel= and Initrd=", s.dir);
    assert_string_equal(e.msg, msg);
    free(msg);
    free(main_conf);

    /* A missing plain file is an error at the Include= line. */
    main_conf = put_file(&s, "tide.conf", "SmdUrl=http://smd\nInclude=nope.conf\n");
    assert_null(tide_conf_load(main_conf, &e));
    msg = xasprintf("%s/tide.conf:2: Include=%s/nope.conf: no such file", s.dir, s.dir);
    assert_string_equal(e.msg, msg);
    free(msg);
    free(main_conf);

    /* An include that includes itself stops at the nesting limit. */
    main_conf = put_file(&s, "tide.conf", "Include=tide.conf\n");
    assert_null(tide_conf_load(main_conf, &e));
    assert_non_null(strstr(e.msg, "includes nested more than 8 deep"));
    free(main_conf);

    /* The file itself missing. */
    char *missing = xasprintf("%s/absent.conf", s.dir);
    assert_null(tide_conf_load(missing, &e));
    msg = xasprintf("cannot read %s: No such file or directory", missing);
    assert_string_equal(e.msg, msg);
    free(msg);
    free(missing);

    free(sub);
    scratch_remove(&s);
}

static void conf_path(void **state)
{
    (void)state;
    unsetenv("TIDE_CONF");
    assert_string_equal(tide_conf_path(NULL), TIDE_DEFAULT_CONF);
    assert_string_equal(tide_conf_path("/x.conf"), "/x.conf");
    setenv("TIDE_CONF", "/env.conf", 1);
    assert_string_equal(tide_conf_path(NULL), "/env.conf");
    assert_string_equal(tide_conf_path(""), "/env.conf");
    assert_string_equal(tide_conf_path("/x.conf"), "/x.conf");
    unsetenv("TIDE_CONF");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_example),
        cmocka_unit_test(defaults),
        cmocka_unit_test(errors),
        cmocka_unit_test(includes),
        cmocka_unit_test(conf_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_slurmconf.c - `tide slurm-conf`'s generator: recorded SMD bodies + tide.conf -> nodes.conf,
 * helpers.conf, power.conf; the hardware feature rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "fake_http.h"
#include "slurmconf.h"
#include "smd.h"
#include "strbuf.h"

#define CONF_TEXT \
    "SlurmPool=slurm\n" \
    "DefaultImage=rocky9\n" \
    "Pool=zinal Kind=tenant\n" \
    "Pool=k8s Group=k8s_workers Kind=kubernetes Cost=20 Kubeconfig=/etc/tide/kubeconfig HomeImage=k8s DrainTimeout=60\n" \
    "Pool=free Group=nodes_free Kind=free Cost=1\n" \
    "Pool=slurm Kind=slurm\n" \
    "Image=rocky9 Kernel=http://s3/rocky9/vmlinuz Initrd=http://s3/rocky9/initrd\n" \
    "Image=k8s Kernel=http://s3/k8s/vmlinuz Initrd=http://s3/k8s/initrd\n" \
    "Image=sles15 Kernel=http://s3/sles15/vmlinuz Initrd=http://s3/sles15/initrd\n"

/* The site of every test: tide.conf, the groups and the inventory (recorded SMD bodies). */
typedef struct fixture {
    tide_conf      *conf;
    tide_group_list groups;
    json_object    *inventory;
    tide_slurmconf_opts opts;
    tide_slurmconf  out;
} fixture;

static tide_conf *parse_conf(const char *text)
{
    tide_err e = { 0 };
    tide_conf *c = tide_conf_parse(text, "tide.conf", &e);
    if (!c)
        fail_msg("%s", e.msg);
    return c;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->conf = parse_conf(CONF_TEXT);
    json_object *groups = fake_load_json("slurmconf/groups.json");
    size_t n = json_object_array_length(groups);
    f->groups.groups = calloc(n, sizeof(tide_group));
    for (size_t i = 0; i < n; i++)
        tide_group_from_json(json_object_array_get_idx(groups, i), &f->groups.groups[f->groups.n++]);
    json_object_put(groups);
    f->inventory = fake_load_json("slurmconf/inventory_s0.json");
    tide_slurmconf_opts_init(&f->opts, "/usr/bin", "/usr/sbin/tide-node");
    f->opts.source = "SMD at http://smd/hsm/v2";
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tide_slurmconf_free(&f->out);
    json_object_put(f->inventory);
    tide_group_list_free(&f->groups);
    tide_conf_free(f->conf);
    free(f);
    return 0;
}

static void build(fixture *f)
{
    tide_err e = { 0 };
    tide_slurmconf_free(&f->out);
    if (tide_slurmconf_build(f->conf, &f->groups, f->inventory, &f->opts, &f->out, &e))
        fail_msg("%s", e.msg);
}

/* The lines of text that start with `prefix`, joined with newlines. */
static char *lines_with(const char *text, const char *const *prefixes, size_t nprefixes)
{
    strbuf b = STRBUF_INIT;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        for (size_t i = 0; i < nprefixes; i++) {
            if (!strncmp(line, prefixes[i], strlen(prefixes[i]))) {
                strbuf_add(&b, line, len);
                strbuf_puts(&b, "\n");
                break;
            }
        }
        line += len + (end ? 1 : 0);
    }
    return b.s ? strbuf_steal(&b) : xstrdup("");
}

/* The non-comment lines. */
static char *settings(const char *text)
{
    static const char *const keys[] = { "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N",
                                        "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z" };
    return lines_with(text, keys, sizeof(keys) / sizeof(keys[0]));
}

static void build_fails(fixture *f, const char *expected)
{
    tide_err e = { 0 };
    tide_slurmconf_free(&f->out);
    assert_int_equal(tide_slurmconf_build(f->conf, &f->groups, f->inventory, &f->opts, &f->out, &e), -1);
    assert_string_equal(e.msg, expected);
    assert_null(f->out.nodes_conf);
}

static void replace_conf(fixture *f, const char *text)
{
    tide_conf_free(f->conf);
    f->conf = parse_conf(text);
}

/* ---- the feature rule --------------------------------------------------- */

static void model_features(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        { "AMD EPYC 7742 64-Core Processor", "epyc7742" },
        { "AMD EPYC 7713 64-Core Processor", "epyc7713" },
        { "AMD EPYC 7A53 64-Core Processor", "epyc7a53" },
        { "NVIDIA_A100-SXM4-80GB", "a100" },
        { "NVIDIA A100-SXM4-40GB", "a100" },
        { "NVIDIA H100 80GB HBM3", "h100" },
        { "AMD INSTINCT MI200 (MCM) OAM LC", "mi200" },
        { "AMD Instinct MI250X", "mi250x" },
        { "SS11 200Gb 2P NIC Mezz REV02 (HSN)", "ss11" },
        { "Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz", "xeon8380" },
        { "Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz", "xeon6148" },
        { "Fujitsu A64FX", "a64fx" },
        { "  Ampere Altra  ", "altra" },
        { "NVIDIA Grace", "grace" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *f = tide_slurm_model_feature(cases[i][0]);
        assert_non_null(f);
        if (strcmp(f, cases[i][1]))
            fail_msg("%s -> %s, want %s", cases[i][0], f, cases[i][1]);
        free(f);
    }
    assert_null(tide_slurm_model_feature(NULL));
    assert_null(tide_slurm_model_feature(""));
    assert_null(tide_slurm_model_feature("AMD Processor"));
    assert_null(tide_slurm_model_feature("---"));
}

static void helper_feature_names(void **state)
{
    (void)state;
    assert_true(tide_slurm_helper_feature_valid("rocky9"));
    assert_true(tide_slurm_helper_feature_valid("os.rhel9"));
    assert_true(tide_slurm_helper_feature_valid("mig=on"));
    assert_true(tide_slurm_helper_feature_valid("_x"));
    assert_false(tide_slurm_helper_feature_valid("rocky-9"));
    assert_false(tide_slurm_helper_feature_valid("9rocky"));
    assert_false(tide_slurm_helper_feature_valid("img:a"));
    assert_false(tide_slurm_helper_feature_valid(""));
    assert_false(tide_slurm_helper_feature_valid(NULL));
}

/* ---- nodes.conf ---------------------------------------------------------- */

static void seed_nodes(void **state)
{
    fixture *f = *state;
    static const char *const prefixes[] = { "NodeName=", "# Pool", "# SMD", "GresTypes=" };
    build(f);
    char *got = lines_with(f->out.nodes_conf, prefixes, 4);
    assert_string_equal(got,
        "GresTypes=gpu\n"
        /* cheapest first: free (Cost=1) before k8s (Cost=20) although tide.conf lists k8s first */
        "# Pool free (Kind=free, Cost=1, SMD group nodes_free): 6 nodes\n"
        "NodeName=x1002c0s0b0n[0-1] CPUs=256 Boards=1 SocketsPerBoard=2 CoresPerSocket=64 ThreadsPerCore=2 "
        "RealMemory=253952 Features=epyc7742,mem256g,ss11,rocky9,sles15 Weight=2 State=CLOUD\n"
        "# SMD gives no TotalCores for these processors: one core per socket assumed\n"
        "NodeName=x1002c0s1b0n0 CPUs=2 Boards=1 SocketsPerBoard=2 CoresPerSocket=1 ThreadsPerCore=1 "
        "RealMemory=253952 Features=epyc7742,mem256g,ss11,rocky9,sles15 Weight=2 State=CLOUD\n"
        "# SMD has no inventory for these nodes: one CPU, no memory size assumed\n"
        "NodeName=x1002c0s1b0n1 CPUs=1 Boards=1 SocketsPerBoard=1 CoresPerSocket=1 ThreadsPerCore=1 "
        "Features=rocky9,sles15 Weight=2 State=CLOUD\n"
        "NodeName=x1005c0s5b0n0 CPUs=128 Boards=1 SocketsPerBoard=1 CoresPerSocket=64 ThreadsPerCore=2 "
        "RealMemory=507904 Gres=gpu:a100:4 Features=epyc7713,a100,mem512g,ss11,rocky9,sles15 Weight=2 State=CLOUD\n"
        "NodeName=x1006c1s5b0n0 CPUs=128 Boards=1 SocketsPerBoard=1 CoresPerSocket=64 ThreadsPerCore=2 "
        "RealMemory=507904 Gres=gpu:mi200:8 Features=epyc7a53,mi200,mem512g,ss11,rocky9,sles15 Weight=2 State=CLOUD\n"
        /* in Slurm now, no home group: priced by the Slurm pool (Cost=1, after free in tide.conf's order);
         * its processor sits at the top level of the body */
        "# Pool slurm (Kind=slurm, home pool unknown, Cost=1, SMD group slurm): 1 node\n"
        "NodeName=x1005c1s0b0n1 CPUs=128 Boards=1 SocketsPerBoard=1 CoresPerSocket=64 ThreadsPerCore=2 "
        "RealMemory=507904 Gres=gpu:a100:4 Features=epyc7713,a100,mem512g,ss11,rocky9,sles15 Weight=2 State=CLOUD\n"
        /* x1002c1s0b0n1 is in Slurm now and at home in k8s (tide-home-k8s) */
        "# Pool k8s (Kind=kubernetes, Cost=20, SMD group k8s_workers): 3 nodes\n"
        "NodeName=x1002c1s0b0n[0-1] CPUs=256 Boards=1 SocketsPerBoard=2 CoresPerSocket=64 ThreadsPerCore=2 "
        "RealMemory=253952 Features=epyc7742,mem256g,ss11,rocky9,sles15 Weight=21 State=CLOUD\n"
        "NodeName=x1005c1s0b0n0 CPUs=128 Boards=1 SocketsPerBoard=1 CoresPerSocket=64 ThreadsPerCore=2 "
        "RealMemory=507904 Gres=gpu:a100:4 Features=epyc7713,a100,mem512g,ss11,rocky9,sles15 Weight=21 State=CLOUD\n");
    free(got);
    assert_int_equal(f->out.nnodes, 10);
    /* the tenant pool's node is never defined */
    assert_null(strstr(f->out.nodes_conf, "x1001c1s5b0n0"));
    /* what Weight and the order do, and do not do, is said in the file */
    assert_non_null(strstr(f->out.nodes_conf, "\n# But Slurm 22.05 ignores Weight for powered-down nodes, and "
                                              "slurmctld sorts its\n# node table by name whatever the order"));
    assert_non_null(strstr(f->out.nodes_conf, "from SMD at http://smd/hsm/v2 and tide.conf."));
}

static void expanded_with_node_spec(void **state)
{
    fixture *f = *state;
    static const char *const prefixes[] = { "NodeName=", "# SMD", "GresTypes=" };
    f->opts.expand = 1;
    f->opts.gres = 0;
    f->opts.node_spec = "CPUs=2 RealMemory=1000";
    build(f);
    char *got = lines_with(f->out.nodes_conf, prefixes, 3);
    assert_string_equal(got,
        "NodeName=x1002c0s0b0n0 CPUs=2 RealMemory=1000 Features=epyc7742,mem256g,ss11,rocky9,sles15 Weight=2 State=CLOUD\n"
        "NodeName=x1002c0s0b0n1 CPUs=2 RealMemory=1000 Features=epyc7742,mem256g,ss11,rocky9,sles15 Weight=2 State=CLOUD\n"
        "NodeName=x1002c0s1b0n0 CPUs=2 RealMemory=1000 Features=epyc7742,mem256g,ss11,rocky9,sles15 Weight=2 State=CLOUD\n"
        "NodeName=x1002c0s1b0n1 CPUs=2 RealMemory=1000 Features=rocky9,sles15 Weight=2 State=CLOUD\n"
        "NodeName=x1005c0s5b0n0 CPUs=2 RealMemory=1000 Features=epyc7713,a100,mem512g,ss11,rocky9,sles15 Weight=2 State=CLOUD\n"
        "NodeName=x1006c1s5b0n0 CPUs=2 RealMemory=1000 Features=epyc7a53,mi200,mem512g,ss11,rocky9,sles15 Weight=2 State=CLOUD\n"
        "NodeName=x1005c1s0b0n1 CPUs=2 RealMemory=1000 Features=epyc7713,a100,mem512g,ss11,rocky9,sles15 Weight=2 State=CLOUD\n"
        "NodeName=x1002c1s0b0n0 CPUs=2 RealMemory=1000 Features=epyc7742,mem256g,ss11,rocky9,sles15 Weight=21 State=CLOUD\n"
        "NodeName=x1002c1s0b0n1 CPUs=2 RealMemory=1000 Features=epyc7742,mem256g,ss11,rocky9,sles15 Weight=21 State=CLOUD\n"
        "NodeName=x1005c1s0b0n0 CPUs=2 RealMemory=1000 Features=epyc7713,a100,mem512g,ss11,rocky9,sles15 Weight=21 State=CLOUD\n");
    free(got);
    assert_null(strstr(f->out.nodes_conf, "Gres"));
}

static void missing_group_is_noted(void **state)
{
    fixture *f = *state;
    replace_conf(f, "Pool=free Group=nodes_free Kind=free\nPool=gone Group=no_such Kind=free Cost=0\n"
                    "Image=rocky9 Kernel=http://k Initrd=http://i\n");
    build(f);
    assert_non_null(strstr(f->out.nodes_conf, "\n# Pool gone: SMD has no group no_such, so none of its nodes is "
                                              "defined.\n"));
    assert_int_equal(f->out.nnodes, 6);
    /* no Kubernetes pool: the drain is not part of ResumeTimeout */
    assert_non_null(strstr(f->out.power_conf, "\n# image, boot, verify.\n"));
    assert_non_null(strstr(f->out.power_conf, "\nResumeTimeout=900\n"));
}

static void no_node_is_an_error(void **state)
{
    fixture *f = *state;
    replace_conf(f, "Pool=free Group=no_such Kind=free\nPool=zinal Kind=tenant\n"
                    "Image=rocky9 Kernel=http://k Initrd=http://i\n");
    build_fails(f, "no node to define: the SMD groups of the lending pools (Kind=free, Kind=kubernetes) and of "
                   "SlurmPool= in tide.conf are empty or missing");
}

/* ---- images -------------------------------------------------------------- */

static void images_chosen(void **state)
{
    fixture *f = *state;
    static const char *const one[] = { "sles15" };
    f->opts.images = one;
    f->opts.nimages = 1;
    build(f);
    assert_non_null(strstr(f->out.nodes_conf, "NodeName=x1002c0s1b0n1 CPUs=1 Boards=1 SocketsPerBoard=1 "
                                              "CoresPerSocket=1 ThreadsPerCore=1 Features=sles15 Weight=2"));
    assert_non_null(strstr(f->out.helpers_conf, "\nFeature=sles15 Helper=/usr/sbin/tide-node\n# tide-node"));
    assert_null(strstr(f->out.helpers_conf, "MutuallyExclusive"));
    assert_null(strstr(f->out.helpers_conf, "rocky9"));

    /* DefaultImage keeps a Kubernetes home image among Slurm's */
    replace_conf(f, "DefaultImage=k8s\nPool=k8s Group=k8s_workers Kind=kubernetes Kubeconfig=/k HomeImage=k8s\n"
                    "Image=k8s Kernel=http://k Initrd=http://i\n");
    f->opts.images = NULL;
    f->opts.nimages = 0;
    build(f);
    assert_non_null(strstr(f->out.helpers_conf, "\nFeature=k8s Helper=/usr/sbin/tide-node\n"));
}

static void images_refused(void **state)
{
    fixture *f = *state;
    static const char *const unknown[] = { "rocky8" };
    f->opts.images = unknown;
    f->opts.nimages = 1;
    build_fails(f, "image rocky8 is not an Image= record of tide.conf");

    static const char *const twice[] = { "rocky9", "rocky9" };
    f->opts.images = twice;
    f->opts.nimages = 2;
    build_fails(f, "image rocky9 is listed twice");
    f->opts.images = NULL;
    f->opts.nimages = 0;

    replace_conf(f, "Pool=free Group=nodes_free Kind=free\nImage=rocky-9 Kernel=http://k Initrd=http://i\n");
    build_fails(f, "image rocky-9 cannot be a Slurm feature: node_features/helpers takes letters, digits, '_', '.' "
                   "and '=' only, starting with a letter or '_'; rename the Image= record");

    replace_conf(f, "Pool=free Group=nodes_free Kind=free\nImage=rocky9 Kernel=http://k Initrd=http://i\n"
                    "Image=rocky9x Kernel=http://k Initrd=http://i\n");
    build_fails(f, "images rocky9 and rocky9x: Slurm finds helper features in a constraint by substring, so a job "
                   "asking for rocky9x would count as asking for both; rename one");

    replace_conf(f, "Pool=k8s Group=k8s_workers Kind=kubernetes Kubeconfig=/k HomeImage=k8s\n"
                    "Image=k8s Kernel=http://k Initrd=http://i\n");
    build_fails(f, "tide.conf has no image Slurm can ask for (an Image= record that is not only a Kubernetes pool's "
                   "HomeImage): node_features/helpers needs at least one");
}

/* ---- helpers.conf and power.conf ------------------------------------------ */

static void helpers_conf(void **state)
{
    fixture *f = *state;
    build(f);
    assert_string_equal(f->out.helpers_conf,
        "# helpers.conf - the images as changeable node features (node_features/helpers).\n"
        "# Written by `tide slurm-conf` from SMD at http://smd/hsm/v2 and tide.conf.\n"
        "# Do not edit: run `tide slurm-conf` again when the site or tide.conf changes.\n"
        "# Slurm reads it from the directory of slurm.conf.\n"
        "#\n"
        "# tide-node prints the image the node booted (tide.image= on its kernel command\n"
        "# line).  Slurm 22.05 takes one Feature= per line (a comma list is fatal there).\n"
        "Feature=rocky9 Helper=/usr/sbin/tide-node\n"
        "Feature=sles15 Helper=/usr/sbin/tide-node\n"
        "# A node runs one image at a time: a job may ask for one of them.\n"
        "MutuallyExclusive=rocky9,sles15\n"
        "# tide-node only reads the kernel command line: Slurm's default limit is plenty.\n"
        "ExecTime=10\n"
        "# Not a timeout (ResumeTimeout is): backfill's estimate of how long a boot takes.\n"
        "BootTime=300\n"
        "# AllowUserBoot is left at its default, ALL: any job may switch a node's image.\n");
}

static void power_conf(void **state)
{
    fixture *f = *state;
    build(f);
    char *got = settings(f->out.power_conf);
    assert_string_equal(got,
        "ResumeProgram=/usr/bin/tide-slurm-resume\n"
        "SuspendProgram=/usr/bin/tide-slurm-suspend\n"
        "ResumeFailProgram=/usr/bin/tide-slurm-resume-fail\n"
        "RebootProgram=/usr/bin/tide-slurm-reboot\n"
        "PrologSlurmctld=/usr/bin/tide-slurm-prolog\n"
        "EpilogSlurmctld=/usr/bin/tide-slurm-epilog\n"
        "SuspendTime=300\n"
        "SuspendTimeout=300\n"
        "ResumeTimeout=960\n"   /* 900 + DrainTimeout=60 of pool k8s */
        "ResumeRate=0\n"
        "SuspendRate=0\n"
        "PrivateData=cloud\n"
        "SlurmctldParameters=power_save_interval=2,power_save_min_interval=0,reboot_from_controller,"
        "cloud_reg_addrs\n"
        "NodeFeaturesPlugins=node_features/helpers\n"
        "ReturnToService=2\n"
        "TreeWidth=65533\n");
    free(got);
    /* every setting says why: the line before it is a comment */
    const char *prev = NULL;
    for (const char *line = f->out.power_conf; *line; line = strchr(line, '\n') + 1) {
        if (line[0] != '#' && line[0] != '\n' && !(prev && prev[0] != '#' && prev[0] != '\n'))
            assert_true(prev && prev[0] == '#');
        prev = line;
    }
    assert_non_null(strstr(f->out.power_conf, "\n# drain a Kubernetes node (up to DrainTimeout=60), image, boot, "
                                              "verify.\n"));

    f->opts.suspend_time = 30;
    f->opts.suspend_timeout = 20;
    f->opts.resume_timeout = 120;
    f->opts.bindir = "/opt/tide/bin";
    build(f);
    assert_non_null(strstr(f->out.power_conf, "\nResumeProgram=/opt/tide/bin/tide-slurm-resume\n"));
    assert_non_null(strstr(f->out.power_conf, "\nSuspendTime=30\n"));
    assert_non_null(strstr(f->out.power_conf, "\nSuspendTimeout=20\n"));
    assert_non_null(strstr(f->out.power_conf, "\nResumeTimeout=120\n"));
    /* a boot estimate beyond the timeout would be nonsense */
    assert_non_null(strstr(f->out.helpers_conf, "\nBootTime=120\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_features),
        cmocka_unit_test(helper_feature_names),
        cmocka_unit_test_setup_teardown(seed_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(expanded_with_node_spec, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_group_is_noted, setup, teardown),
        cmocka_unit_test_setup_teardown(no_node_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(images_chosen, setup, teardown),
        cmocka_unit_test_setup_teardown(images_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(helpers_conf, setup, teardown),
        cmocka_unit_test_setup_teardown(power_conf, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * tided_fixture.c - see tided_fixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "strbuf.h"
#include "tided_fixture.h"

static const char *const conf_text =
    "SmdUrl=" SMD "\nBssUrl=" BSS "\nPcsUrl=" PCS "\n"
    "SlurmPool=slurm\nDefaultImage=rocky9\nQuarantineAfter=100\nBootTimeout=60\n"
    "Pool=free Group=nodes_free Kind=free Cost=1\n"
    "Pool=k8s Group=k8s_workers Kind=kubernetes Cost=20 Kubeconfig=/dev/null HomeImage=k8s DrainTimeout=60\n"
    "Pool=slurm Group=slurm Kind=slurm\n"
    "Image=rocky9 Kernel=http://s3/rocky9/vmlinuz Initrd=http://s3/rocky9/initrd Params=\"console=ttyS0 ro\"\n"
    "Image=sles15 Kernel=http://s3/sles15/vmlinuz Initrd=http://s3/sles15/initrd Params=\"console=ttyS0\"\n"
    "Image=k8s Kernel=http://s3/k8s/vmlinuz Initrd=http://s3/k8s/initrd Params=\"\"\n";

int tided_fixture_setup(void **state)
{
    fixture *t = xcalloc(1, sizeof(*t));
    tide_err e;
    t->d.conf = tide_conf_parse(conf_text, "tide.conf", &e);
    assert_non_null(t->d.conf);
    t->d.clients.smd = fake_http_client("SMD", SMD, &t->fs);
    t->d.clients.bss = fake_http_client("BSS", BSS, &t->fb);
    t->d.clients.pcs = fake_http_client("PCS", PCS, &t->fp);
    t->r.d = &t->d;
    t->r.slurm_group = "slurm";
    t->r.now = 1000;
    t->r.boot_timeout = 60;
    const char *names[] = { N0, N1, N2 };   /* sorted */
    t->r.nodes = xcalloc(3, sizeof(*t->r.nodes));
    for (int i = 0; i < 3; i++) {
        tided_node *n = tided_node_new(names[i]);
        n->home = tide_conf_pool(t->d.conf, "free");
        n->pool = n->home;
        n->where = TIDED_AT_HOME;
        n->seen = 1;
        t->nodes[i] = t->r.nodes[i] = n;
    }
    t->r.nnodes = 3;
    /* The Kubernetes client of pool k8s, without reading a kubeconfig. */
    t->kp.pool = tide_conf_pool(t->d.conf, "k8s");
    t->kp.k8s = fake_http_client("Kubernetes", K8S, &t->fk);
    t->r.kpools = &t->kp;
    t->r.nkpools = 1;
    *state = t;
    return 0;
}

int tided_fixture_teardown(void **state)
{
    fixture *t = *state;
    fake_http_done(&t->fs);
    fake_http_done(&t->fb);
    fake_http_done(&t->fp);
    fake_http_done(&t->fk);
    tided_boots_free(t->r.boots);
    for (size_t i = 0; i < t->r.nnodes; i++)
        tided_node_free(t->r.nodes[i]);
    free(t->r.nodes);
    tide_http_free(t->d.clients.smd);
    tide_http_free(t->d.clients.bss);
    tide_http_free(t->d.clients.pcs);
    tide_http_free(t->kp.k8s);
    tide_conf_free(t->d.conf);
    free(t);
    return 0;
}

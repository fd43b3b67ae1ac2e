/*
 * tide-fidelity - call every SMD, BSS or PCS client function of libtide once
 * or more, in the order tide uses them, against one base URL.
 *
 *     tide-fidelity smd|bss|pcs BASE_URL
 *
 * tests/integration/test_fidelity.py runs it through a validating proxy that
 * checks each request and response against the service's published API
 * spec, in front of tide-sim loaded with the zinal site.  Every call prints
 * one line: "ok   <call>: <result>", or "FAIL <call>: <why>" and the program
 * exits 1 at the first call that did not do what the sequence expects.
 * Calls that must fail (a 409 for a node another group holds, a 404 for a
 * missing group) are checked for exactly that status, so the error replies
 * pass through the validator too.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bss.h"
#include "err.h"
#include "http.h"
#include "pcs.h"
#include "smd.h"
#include "strbuf.h"

/* Nodes of the zinal site (contrib/sim/sites/zinal.json). */
#define FREE_NODE_A  "x1002c0s0b0n0"     /* nodes_free, exclusiveGroup "tide" */
#define FREE_NODE_B  "x1002c0s0b0n1"
#define SLURM_NODE   "x1001c1s5b0n0"     /* group zinal, powered on */
#define UNKNOWN_NODE "x1009c0s0b0n0"     /* no such component */
#define NEW_GROUP    "tide_fidelity"
#define MISSING_UUID "3fa85f64-5717-4562-b3fc-2c963f66afa6"

/* ---- reporting ---------------------------------------------------------- */

/* A call that must succeed: print its result (fmt) or why it failed; 0 when it succeeded. */
static int ok(const char *call, int rc, const tide_err *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int ok(const char *call, int rc, const tide_err *e, const char *fmt, ...)
{
    if (rc != 0) {
        printf("FAIL %s: %s\n", call, e->msg);
        return -1;
    }
    va_list ap;
    va_start(ap, fmt);
    printf("ok   %s: ", call);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    return 0;
}

/* A call that must fail with exactly HTTP `status`; 0 when it did. */
static int fails(const char *call, int rc, const tide_err *e, long status)
{
    if (rc != 0 && e->http_status == status) {
        printf("ok   %s: failed as expected: %s\n", call, e->msg);
        return 0;
    }
    if (rc != 0)
        printf("FAIL %s: %s (expected HTTP %ld)\n", call, e->msg, status);
    else
        printf("FAIL %s: succeeded, expected HTTP %ld\n", call, status);
    return -1;
}

/* A result the sequence depends on: print FAIL and return -1 unless cond holds. */
static int expect(int cond, const char *call, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int expect(int cond, const char *call, const char *fmt, ...)
{
    if (cond)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s: ", call);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    return -1;
}

/* ---- SMD ---------------------------------------------------------------- */

static int smd_groups(tide_http *smd)
{
    static const char *const two[] = { "zinal", "nodes_free" };
    tide_group_list l;
    tide_group g;
    tide_err e = { 0 };
    int rc;

    rc = tide_smd_groups_list(smd, NULL, 0, &l, &e);
    size_t n = l.n;
    tide_group_list_free(&l);
    if (ok("groups list", rc, &e, "%zu groups", n) || expect(n >= 3, "groups list", "only %zu groups", n))
        return -1;

    rc = tide_smd_groups_list(smd, two, 2, &l, &e);
    n = l.n;
    tide_group_list_free(&l);
    if (ok("groups list zinal,nodes_free", rc, &e, "%zu groups", n) ||
        expect(n == 2, "groups list zinal,nodes_free", "%zu groups, expected 2", n))
        return -1;

    rc = tide_smd_group_get(smd, "nodes_free", &g, &e);
    int has = !rc && tide_group_has_member(&g, FREE_NODE_A) && tide_group_has_member(&g, FREE_NODE_B);
    n = g.nmembers;
    tide_group_free(&g);
    if (ok("group get nodes_free", rc, &e, "%zu members", n) ||
        expect(has, "group get nodes_free", "%s or %s is not a member", FREE_NODE_A, FREE_NODE_B))
        return -1;

    rc = tide_smd_group_get(smd, NEW_GROUP, &g, &e);
    tide_group_free(&g);
    if (fails("group get " NEW_GROUP " (missing)", rc, &e, 404))
        return -1;

    /* A pool group in the same exclusiveGroup as nodes_free: a node is in at most one of them. */
    char *tags[] = { (char *)"tide" };
    tide_group ng = { .label = (char *)NEW_GROUP, .description = (char *)"tide fidelity pool",
                      .exclusive_group = (char *)"tide", .tags = tags, .ntags = 1 };
    rc = tide_smd_group_create(smd, &ng, &e);
    if (ok("group create " NEW_GROUP, rc, &e, "created"))
        return -1;
    rc = tide_smd_group_create(smd, &ng, &e);
    if (fails("group create " NEW_GROUP " again", rc, &e, 409))
        return -1;

    /* Moving a node: adding it while nodes_free holds it is a conflict; leave, then join. */
    rc = tide_smd_group_add_member(smd, NEW_GROUP, FREE_NODE_A, &e);
    if (fails("group add member (still in nodes_free)", rc, &e, 409))
        return -1;
    rc = tide_smd_group_remove_member(smd, "nodes_free", FREE_NODE_A, &e);
    if (ok("group remove member nodes_free " FREE_NODE_A, rc, &e, "removed"))
        return -1;
    rc = tide_smd_group_add_member(smd, NEW_GROUP, FREE_NODE_A, &e);
    if (ok("group add member " NEW_GROUP " " FREE_NODE_A, rc, &e, "added"))
        return -1;
    rc = tide_smd_group_remove_member(smd, "nodes_free", FREE_NODE_B, &e);
    if (ok("group remove member nodes_free " FREE_NODE_B, rc, &e, "removed"))
        return -1;

    static const char *const both[] = { FREE_NODE_A, FREE_NODE_B };
    rc = tide_smd_group_set_members(smd, NEW_GROUP, both, 2, &e);
    if (ok("group set members " NEW_GROUP, rc, &e, "2 members"))
        return -1;
    rc = tide_smd_group_get(smd, NEW_GROUP, &g, &e);
    has = !rc && g.nmembers == 2 && tide_group_has_member(&g, FREE_NODE_B);
    tide_group_free(&g);
    if (ok("group get " NEW_GROUP, rc, &e, "read back") ||
        expect(has, "group get " NEW_GROUP, "the members are not {%s, %s}", FREE_NODE_A, FREE_NODE_B))
        return -1;

    rc = tide_smd_group_remove_member(smd, NEW_GROUP, UNKNOWN_NODE, &e);
    if (fails("group remove member (not a member)", rc, &e, 404))
        return -1;
    return 0;
}

static int smd_memberships(tide_http *smd)
{
    char **labels;
    size_t n;
    tide_err e = { 0 };

    int rc = tide_smd_memberships(smd, FREE_NODE_A, &labels, &n, &e);
    int in_new = 0;
    for (size_t i = 0; !rc && i < n; i++)
        in_new |= !strcmp(labels[i], NEW_GROUP);
    tide_strv_free(labels, n);
    if (ok("memberships " FREE_NODE_A, rc, &e, "%zu groups", n) ||
        expect(in_new, "memberships " FREE_NODE_A, "%s is not listed", NEW_GROUP))
        return -1;
    rc = tide_smd_memberships(smd, UNKNOWN_NODE, &labels, &n, &e);
    tide_strv_free(labels, n);
    return fails("memberships " UNKNOWN_NODE " (unknown)", rc, &e, 404);
}

static int smd_components(tide_http *smd)
{
    static const char *const nodes[] = { "type=Node" };
    static const char *const free_ready[] = { "type=Node", "group=nodes_free", "state=Ready" };
    static const char *const ids[] = { SLURM_NODE, FREE_NODE_A, FREE_NODE_B };
    tide_component_list l;
    tide_err e = { 0 };

    int rc = tide_smd_components_get(smd, nodes, 1, &l, &e);
    size_t n = l.n;
    tide_component_list_free(&l);
    if (ok("components get type=Node", rc, &e, "%zu nodes", n) ||
        expect(n > 0, "components get type=Node", "no nodes"))
        return -1;

    rc = tide_smd_components_get(smd, free_ready, 3, &l, &e);
    n = l.n;
    tide_component_list_free(&l);
    if (ok("components get type=Node&group=nodes_free&state=Ready", rc, &e, "%zu nodes", n))
        return -1;

    /* A chunk of 2 ids: two POSTs for three ids. */
    rc = tide_smd_components_query(smd, ids, 3, 2, &l, &e);
    n = l.n;
    int nid_ok = !rc && n == 3 && l.items[0].nid >= 0 && !strcmp(l.items[0].type, "Node");
    tide_component_list_free(&l);
    if (ok("components query (3 ids, chunks of 2)", rc, &e, "%zu components", n) ||
        expect(nid_ok, "components query", "expected 3 nodes with a NID"))
        return -1;

    json_object *raw = NULL;
    rc = tide_smd_components_raw(smd, &raw, &e);
    json_object_put(raw);
    return ok("components raw", rc, &e, "read");
}

static int smd_inventory(tide_http *smd)
{
    json_object *j = NULL;
    tide_err e = { 0 };

    int rc = tide_smd_inventory_query(smd, "s0", &j, &e);
    json_object *nodes = rc ? NULL : json_object_object_get(j, "Nodes");
    size_t n = nodes ? json_object_array_length(nodes) : 0;
    json_object_put(j);
    if (ok("inventory query s0", rc, &e, "%zu nodes", n) || expect(n > 0, "inventory query s0", "no nodes"))
        return -1;
    rc = tide_smd_inventory_query(smd, SLURM_NODE, &j, &e);
    nodes = rc ? NULL : json_object_object_get(j, "Nodes");
    n = nodes ? json_object_array_length(nodes) : 0;
    json_object_put(j);
    return ok("inventory query " SLURM_NODE, rc, &e, "%zu nodes", n) ||
           expect(n == 1, "inventory query " SLURM_NODE, "%zu nodes, expected 1", n);
}

static int smd_reservations(tide_http *smd)
{
    static const char *const ids[] = { FREE_NODE_A, FREE_NODE_B };
    tide_reservations r, again;
    tide_err e = { 0 };
    size_t valid = 0;

    int rc = tide_smd_reserve(smd, ids, 2, 1, 1, &r, &e);
    if (ok("reserve rigid 2 nodes", rc, &e, "%zu reserved", r.nok) ||
        expect(r.nok == 2, "reserve rigid", "%zu reserved, expected 2", r.nok))
        goto fail;
    rc = tide_smd_reserve_check(smd, &r, &valid, &e);
    if (ok("reserve check", rc, &e, "%zu valid", valid) || expect(valid == 2, "reserve check", "expected 2"))
        goto fail;
    rc = tide_smd_reserve_renew(smd, &r, 2, &e);
    if (ok("reserve renew", rc, &e, "renewed"))
        goto fail;

    /* Someone else asking for the same nodes: rigid fails as a whole, flexible lists why. */
    rc = tide_smd_reserve(smd, ids, 2, 1, 1, &again, &e);
    tide_reservations_free(&again);
    if (fails("reserve rigid (already reserved)", rc, &e, 400))
        goto fail;
    rc = tide_smd_reserve(smd, ids, 2, 0, 1, &again, &e);
    size_t nfailed = again.nfailed;
    int reason_ok = nfailed && !strcmp(again.failed[0].reason, "Reserved");
    tide_reservations_free(&again);
    if (ok("reserve flexible (already reserved)", rc, &e, "%zu failed", nfailed) ||
        expect(nfailed == 2 && reason_ok, "reserve flexible", "expected 2 failures, Reserved"))
        goto fail;

    rc = tide_smd_reserve_release(smd, &r, &e);
    if (ok("reserve release", rc, &e, "released"))
        goto fail;
    rc = tide_smd_reserve_check(smd, &r, &valid, &e);
    tide_reservations_free(&r);
    return ok("reserve check (released)", rc, &e, "%zu valid", valid) ||
           expect(valid == 0, "reserve check (released)", "%zu still valid", valid);
fail:
    tide_reservations_free(&r);
    return -1;
}

/* Give the nodes back to nodes_free and remove the group: the site as it was. */
static int smd_cleanup(tide_http *smd)
{
    tide_group g;
    tide_err e = { 0 };

    int rc = tide_smd_group_set_members(smd, NEW_GROUP, NULL, 0, &e);
    if (ok("group set members " NEW_GROUP " (none)", rc, &e, "emptied"))
        return -1;
    rc = tide_smd_group_add_member(smd, "nodes_free", FREE_NODE_A, &e);
    if (ok("group add member nodes_free " FREE_NODE_A, rc, &e, "added"))
        return -1;
    rc = tide_smd_group_add_member(smd, "nodes_free", FREE_NODE_B, &e);
    if (ok("group add member nodes_free " FREE_NODE_B, rc, &e, "added"))
        return -1;
    rc = tide_smd_group_delete(smd, NEW_GROUP, &e);
    if (ok("group delete " NEW_GROUP, rc, &e, "deleted"))
        return -1;
    rc = tide_smd_group_delete(smd, NEW_GROUP, &e);
    if (fails("group delete " NEW_GROUP " again", rc, &e, 404))
        return -1;
    rc = tide_smd_group_get(smd, NEW_GROUP, &g, &e);
    tide_group_free(&g);
    return fails("group get " NEW_GROUP " (deleted)", rc, &e, 404);
}

static int run_smd(tide_http *smd, tide_http *unused)
{
    (void)unused;
    return smd_groups(smd) || smd_memberships(smd) || smd_components(smd) || smd_inventory(smd) ||
           smd_reservations(smd) || smd_cleanup(smd) ? -1 : 0;
}

/* ---- BSS ---------------------------------------------------------------- */

#define KERNEL "http://images.tide.invalid/boot-images/fidelity/vmlinuz"
#define INITRD "http://images.tide.invalid/boot-images/fidelity/initrd.img"
#define PARAMS "nomodeset ro ip=dhcp console=ttyS0,115200 tide.image=fidelity"

static int bss_reads(tide_http *bss)
{
    static const char *const names[] = { SLURM_NODE, FREE_NODE_A };
    tide_bootparams_list l;
    tide_err e = { 0 };

    int rc = tide_bss_get_all(bss, &l, &e);
    size_t n = l.n;
    tide_bootparams_list_free(&l);
    if (ok("bootparameters get all", rc, &e, "%zu entries", n) || expect(n > 0, "get all", "no entries"))
        return -1;
    rc = tide_bss_get(bss, names, 2, &l, &e);
    int found = !rc && tide_bss_params_for(&l, SLURM_NODE) && tide_bss_params_for(&l, FREE_NODE_A);
    n = l.n;
    tide_bootparams_list_free(&l);
    return ok("bootparameters get " SLURM_NODE "," FREE_NODE_A, rc, &e, "%zu entries", n) ||
           expect(found, "bootparameters get", "a node has no entry");
}

/* The node's entry as BSS has it now; fails unless its params hold `want`. */
static int bss_params_hold(tide_http *bss, const char *call, const char *want)
{
    const char *name = SLURM_NODE;
    tide_bootparams_list l;
    tide_err e = { 0 };

    int rc = tide_bss_get(bss, &name, 1, &l, &e);
    const tide_bootparams *p = rc ? NULL : tide_bss_params_for(&l, SLURM_NODE);
    int good = p && strstr(p->params, want) && !strcmp(p->kernel, KERNEL);
    tide_bootparams_list_free(&l);
    return ok(call, rc, &e, "read back") || expect(good, call, "params do not hold \"%s\"", want);
}

static int bss_writes(tide_http *bss)
{
    const char *host = SLURM_NODE;
    tide_err e = { 0 };

    int rc = tide_bss_put(bss, &host, 1, KERNEL, INITRD, PARAMS, &e);
    if (ok("bootparameters put " SLURM_NODE, rc, &e, "stored") ||
        bss_params_hold(bss, "bootparameters get after put", "tide.image=fidelity"))
        return -1;
    rc = tide_bss_patch(bss, &host, 1, NULL, NULL, PARAMS " quiet", &e);
    if (ok("bootparameters patch params", rc, &e, "stored") ||
        bss_params_hold(bss, "bootparameters get after patch", " quiet"))
        return -1;
    return 0;
}

static int bss_bootscript(tide_http *bss)
{
    tide_bootscript s;
    tide_err e = { 0 };

    int rc = tide_bss_bootscript(bss, SLURM_NODE, 0, &s, &e);
    int good = !rc && !strcmp(s.kernel, KERNEL) && !strcmp(s.initrd, INITRD) && strstr(s.params, "tide.image=fidelity");
    tide_bootscript_free(&s);
    if (ok("bootscript " SLURM_NODE, rc, &e, "iPXE script") ||
        expect(good, "bootscript " SLURM_NODE, "the script does not boot the stored image"))
        return -1;
    rc = tide_bss_bootscript(bss, SLURM_NODE, 1, &s, &e);
    good = !rc && !strcmp(s.kernel, KERNEL) && strstr(s.params, "tide.image=fidelity");
    tide_bootscript_free(&s);
    if (ok("bootscript " SLURM_NODE " json=1", rc, &e, "JSON script") ||
        expect(good, "bootscript json=1", "the script does not boot the stored image"))
        return -1;

    tide_endpoint_access *a;
    size_t n;
    rc = tide_bss_endpoint_history(bss, NULL, NULL, &a, &n, &e);
    tide_endpoint_access_free(a, n);
    if (ok("endpoint-history", rc, &e, "%zu entries", n))
        return -1;
    int64_t epoch = 0;
    rc = tide_bss_last_bootscript(bss, SLURM_NODE, &epoch, &e);
    /* 0 until the node itself boots: fetching its script by name is not a boot. */
    return ok("endpoint-history " SLURM_NODE " bootscript", rc, &e, "last %lld", (long long)epoch);
}

static int bss_delete(tide_http *bss)
{
    const char *host = SLURM_NODE;
    tide_bootparams_list l;
    tide_err e = { 0 };

    int rc = tide_bss_delete(bss, &host, 1, &e);
    if (ok("bootparameters delete " SLURM_NODE, rc, &e, "deleted"))
        return -1;
    rc = tide_bss_get(bss, &host, 1, &l, &e);   /* BSS answers 404; the client reads it as none */
    size_t n = l.n;
    tide_bootparams_list_free(&l);
    if (ok("bootparameters get " SLURM_NODE " (deleted)", rc, &e, "%zu entries", n) ||
        expect(n == 0, "bootparameters get (deleted)", "the entry is still there"))
        return -1;
    rc = tide_bss_patch(bss, &host, 1, NULL, NULL, PARAMS, &e);
    if (fails("bootparameters patch (no entry)", rc, &e, 404))
        return -1;
    rc = tide_bss_put(bss, &host, 1, KERNEL, INITRD, PARAMS, &e);
    return ok("bootparameters put " SLURM_NODE " (again)", rc, &e, "stored");
}

static int run_bss(tide_http *bss, tide_http *unused)
{
    (void)unused;
    return bss_reads(bss) || bss_writes(bss) || bss_bootscript(bss) || bss_delete(bss) ? -1 : 0;
}

/* ---- PCS ---------------------------------------------------------------- */

static int pcs_status(tide_http *pcs, const char *call, const char *want)
{
    const char *node = SLURM_NODE;
    tide_pcs_power_list l;
    tide_err e = { 0 };

    int rc = tide_pcs_power_status(pcs, &node, 1, &l, &e);
    const tide_pcs_power *p = rc ? NULL : tide_pcs_power_find(&l, SLURM_NODE);
    char *state = xstrdup(p ? p->power_state : "-");
    tide_pcs_power_list_free(&l);
    rc = ok(call, rc, &e, "%s", state) || expect(!want || !strcmp(state, want), call, "%s, expected %s", state, want);
    free(state);
    return rc;
}

/* Start `operation` on SLURM_NODE (with the deputy key of our reservation, or none), wait for it
 * and check its one task succeeded; *id is the transition (caller frees). */
static int pcs_transition(tide_http *pcs, const char *operation, const char *deputy_key, const char *want_op,
                          char **id)
{
    const char *node = SLURM_NODE;
    tide_pcs_transition t;
    tide_err e = { 0 };
    char call[128];

    snprintf(call, sizeof(call), "transition start %s %s%s", operation, node, deputy_key ? " (deputy key)" : "");
    int rc = tide_pcs_transition_start(pcs, operation, &node, deputy_key ? &deputy_key : NULL, 1, 1, id, &e);
    if (ok(call, rc, &e, "%s", *id))
        return -1;
    rc = tide_pcs_transition_wait(pcs, *id, 100, 30, &t, &e);
    int good = !rc && t.ntasks == 1 && tide_pcs_task_ok(&t.tasks[0]) && !strcmp(t.operation, want_op);
    char *status = xstrdup(t.status ? t.status : "-");
    tide_pcs_transition_free(&t);
    rc = ok("transition wait", rc, &e, "%s", status) ||
         expect(good, "transition wait", "expected one succeeded %s task", want_op);
    free(status);
    return rc;
}

/* The way tide powers a node it holds: reserve it in SMD, hand PCS the deputy key, release. */
static int pcs_with_reservation(tide_http *pcs, tide_http *smd)
{
    const char *node = SLURM_NODE;
    tide_reservations r;
    tide_err e = { 0 };
    char *id = NULL;

    int rc = tide_smd_reserve(smd, &node, 1, 1, 1, &r, &e);
    if (ok("SMD reserve " SLURM_NODE, rc, &e, "%zu reserved", r.nok) ||
        expect(r.nok == 1, "SMD reserve", "nothing reserved")) {
        tide_reservations_free(&r);
        return -1;
    }
    rc = pcs_transition(pcs, "init", r.ok[0].deputy_key, "Init", &id);
    free(id);
    if (!rc)
        rc = ok("SMD release " SLURM_NODE, tide_smd_reserve_release(smd, &r, &e), &e, "released");
    tide_reservations_free(&r);
    return rc;
}

static int run_pcs(tide_http *pcs, tide_http *smd)
{
    tide_pcs_power_list all;
    tide_pcs_transition t;
    tide_err e = { 0 };
    char *id = NULL;

    int rc = tide_pcs_power_status(pcs, NULL, 0, &all, &e);
    size_t n = all.n;
    tide_pcs_power_list_free(&all);
    if (ok("power-status (all)", rc, &e, "%zu components", n) || pcs_status(pcs, "power-status " SLURM_NODE, "on"))
        return -1;

    if (pcs_transition(pcs, "soft-restart", NULL, "Soft-Restart", &id)) {
        free(id);
        return -1;
    }
    rc = tide_pcs_transition_abort(pcs, id, &e);
    free(id);
    if (fails("transition abort (completed)", rc, &e, 400))
        return -1;
    rc = tide_pcs_transition_get(pcs, MISSING_UUID, &t, &e);
    tide_pcs_transition_free(&t);
    if (fails("transition get (unknown id)", rc, &e, 404))
        return -1;
    if (smd && pcs_with_reservation(pcs, smd))
        return -1;
    return pcs_status(pcs, "power-status " SLURM_NODE " (after)", "on");
}

/* ---- main ---------------------------------------------------------------- */

/* A client for `service` at `url`, or NULL after printing why not. */
static tide_http *client(const char *service, const char *url)
{
    tide_http_opts o;
    tide_err e = { 0 };
    tide_http_opts_init(&o, service, url);
    tide_http *h = tide_http_new(&o, &e);
    if (!h)
        fprintf(stderr, "tide-fidelity: %s\n", e.msg);
    return h;
}

/*
 * SMD_URL (pcs only) is where the PCS sequence reserves its node, as tide does before a
 * transition, so that the deputy key reaches PCS.  Point it at SMD directly: those calls are
 * the SMD sequence's to check.
 */
int main(int argc, char **argv)
{
    static const struct { const char *name, *service; int (*run)(tide_http *, tide_http *); } services[] = {
        { "smd", "SMD", run_smd }, { "bss", "BSS", run_bss }, { "pcs", "PCS", run_pcs },
    };

    if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[1], "pcs"))) {
        fprintf(stderr, "usage: tide-fidelity smd|bss BASE_URL\n"
                        "       tide-fidelity pcs BASE_URL [SMD_URL]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
        if (strcmp(argv[1], services[i].name))
            continue;
        tide_http *h = client(services[i].service, argv[2]);
        tide_http *smd = argc == 4 ? client("SMD", argv[3]) : NULL;
        int rc = 1;
        if (h && (argc == 3 || smd))
            rc = services[i].run(h, smd) ? 1 : 0;
        tide_http_free(h);
        tide_http_free(smd);
        printf("%s %s\n", rc ? "FAILED" : "PASSED", argv[1]);
        return rc;
    }
    fprintf(stderr, "tide-fidelity: unknown service %s (smd, bss or pcs)\n", argv[1]);
    return 2;
}

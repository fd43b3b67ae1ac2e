/*
 * test_kexec.c - tided's boot by kexec (helper/kexec.c): the choice between kexec through
 * the node agent and a PCS transition, the request to the agent, and the fallback to PCS
 * in the same pass when the agent does not accept (tided_step_boot).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonutil.h"
#include "kexec.h"
#include "strbuf.h"
#include "tided_fixture.h"

#define AGENT "http://agent"

/* ---- the choice (pure) ---------------------------------------------------------------------- */

static tide_image_conf image(tide_transition t)
{
    tide_image_conf img = { .name = "sles15", .kernel = "http://s3/k", .initrd = "http://s3/i",
                            .params = "console=ttyS0", .transition = t };
    return img;
}

/* Slurm's view of a node that is up and idle in rocky9 and asked to switch (mixed#). */
static tided_slurm_node up(void)
{
    /* NOT_RESPONDING too: Slurm 22.05 sets it on every node it resumes, until slurmd registers again. */
    tided_slurm_node s = { .name = N0, .base = TIDED_SLURM_MIXED, .powering_up = 1, .not_responding = 1,
                           .addr = "10.0.0.1" };
    return s;
}

static void choice_kexec_for_a_running_node(void **state)
{
    (void)state;
    tide_image_conf img = image(TIDE_TRANSITION_KEXEC);
    tided_slurm_node s = up();
    tided_kexec_facts f = { .image = &img, .slurm = &s, .lease_booted = 1 };
    assert_null(tided_kexec_refusal(&f));           /* switched by ResumeProgram <node> <image> */
    f.lease_booted = -1;
    assert_null(tided_kexec_refusal(&f));           /* tided restarted: ask the agent, PCS if it is not there */
    s.powering_up = 0;
    s.reboot_issued = 1;
    s.base = TIDED_SLURM_DOWN;                      /* what 22.05 shows: DOWN+REBOOT_ISSUED */
    f.lease_booted = 0;
    assert_null(tided_kexec_refusal(&f));           /* scontrol reboot of a node Slurm runs */
}

static void choice_pcs_otherwise(void **state)
{
    (void)state;
    tide_image_conf reboot = image(TIDE_TRANSITION_REBOOT), kexec = image(TIDE_TRANSITION_KEXEC);
    tided_slurm_node s = up();
    tided_kexec_facts f = { .image = &reboot, .slurm = &s, .lease_booted = 1 };
    assert_string_equal(tided_kexec_refusal(&f), "the image has Transition=reboot");
    f.image = NULL;
    assert_string_equal(tided_kexec_refusal(&f), "the image has no Image= record");
    f.image = &kexec;
    f.slurm = NULL;
    assert_string_equal(tided_kexec_refusal(&f), "Slurm does not know the node");
    f.slurm = &s;
    s.powered_down = 1;
    assert_string_equal(tided_kexec_refusal(&f), "Slurm shows the node powered down");
    s = up();
    s.powering_down = 1;
    assert_string_equal(tided_kexec_refusal(&f), "Slurm shows the node powered down");
    s = up();
    s.base = TIDED_SLURM_DOWN;
    assert_string_equal(tided_kexec_refusal(&f), "Slurm shows the node down");
    s = up();
    f.strikes = 1;                                  /* kexec did not bring it up last time */
    assert_string_equal(tided_kexec_refusal(&f), "its last acquire failed: a cold boot this time");
    f.strikes = 0;
    f.lease_booted = 0;                             /* claimed by this acquire: powering up from off */
    assert_string_equal(tided_kexec_refusal(&f), "it comes from off (claimed by this acquire)");
}

static void agent_url_and_body(void **state)
{
    (void)state;
    char *u = tided_agent_url("10.199.0.5", 6820, "/v1/kexec");
    assert_string_equal(u, "http://10.199.0.5:6820/v1/kexec");
    free(u);
    u = tided_agent_url("fd00::5", 6820, "/v1/agent");
    assert_string_equal(u, "http://[fd00::5]:6820/v1/agent");
    free(u);
    u = tided_agent_url("nid000005", 7000, "/v1/kexec");
    assert_string_equal(u, "http://nid000005:7000/v1/kexec");
    free(u);
    tide_image_conf img = image(TIDE_TRANSITION_KEXEC);
    json_object *b = tided_kexec_body(N0, &img);
    fake_assert_json_equal(json_object_to_json_string(b),
                           "{\"node\":\"" N0 "\",\"image\":\"sles15\",\"kernel\":\"http://s3/k\","
                           "\"initrd\":\"http://s3/i\",\"params\":\"console=ttyS0 tide.image=sles15\"}");
    json_object_put(b);
    img.params = "";
    b = tided_kexec_body(N0, &img);
    assert_string_equal(tide_json_str(b, "params"), "tide.image=sles15");
    json_object_put(b);
}

static void agent_port_from_tide_conf(void **state)
{
    (void)state;
    tide_err e;
    tide_conf *c = tide_conf_parse("# nothing set\n", "tide.conf", &e);
    assert_non_null(c);
    assert_int_equal(c->agent_port, 6820);
    tide_conf_free(c);
    c = tide_conf_parse("AgentPort=7000\n", "tide.conf", &e);
    assert_non_null(c);
    assert_int_equal(c->agent_port, 7000);
    tide_conf_free(c);
    assert_null(tide_conf_parse("\nAgentPort=70000\n", "tide.conf", &e));
    assert_non_null(strstr(e.msg, "tide.conf:2"));
}

/* ---- the step: kexec, fallback, PCS ----------------------------------------------------------- */

typedef struct kfix {
    fixture *t;
    fake_http fa;
    tided_slurm_node s[3];
} kfix;

static int kfix_setup(void **state)
{
    tided_fixture_setup(state);
    kfix *k = xcalloc(1, sizeof(*k));
    k->t = *state;
    fixture *t = k->t;
    /* sles15 switches by kexec; rocky9 stays Transition=reboot. */
    for (size_t i = 0; i < t->d.conf->nimages; i++)
        if (!strcmp(t->d.conf->images[i].name, "sles15"))
            t->d.conf->images[i].transition = TIDE_TRANSITION_KEXEC;
    t->d.conf->agent_port = 6820;
    t->r.agent = fake_http_client("node agent", AGENT, &k->fa);
    const char *addr[] = { "10.0.0.1", "10.0.0.2", NULL };
    for (int i = 0; i < 3; i++) {
        k->s[i] = up();
        k->s[i].name = t->nodes[i]->name;
        k->s[i].addr = (char *)addr[i];
        tided_node *n = t->nodes[i];
        n->slurm = &k->s[i];
        n->where = TIDED_AT_SLURM;
        n->lease_booted = 1;
        n->image = xstrdup("sles15");
    }
    *state = k;
    return 0;
}

static int kfix_teardown(void **state)
{
    kfix *k = *state;
    fake_http_done(&k->fa);
    tide_http_free(k->t->r.agent);
    *state = k->t;
    free(k);
    return tided_fixture_teardown(state);
}

static void boot_by_kexec_when_the_agent_accepts(void **state)
{
    kfix *k = *state;
    fixture *t = k->t;
    tided_node **n = t->nodes;
    fake_exchange *p0 = fake_expect(&k->fa, "POST", "http://10.0.0.1:6820/v1/kexec", 202, JSON,
                                    "{\"accepted\":true,\"node\":\"" N0 "\",\"image\":\"sles15\"}");
    /* N1's agent is not there (connection refused): N1 goes to PCS, with N2 (no NodeAddr: its name). */
    fake_expect(&k->fa, "POST", "http://10.0.0.2:6820/v1/kexec", 0, NULL, NULL);
    fake_expect(&k->fa, "POST", "http://" N2 ":6820/v1/kexec", 403, JSON,
                "{\"error\":\"uid 1000 may not order a kexec: only root and SlurmUser=slurm may\"}");
    tided_node *batch[3] = { n[0], n[1], n[2] };
    size_t left = tided_kexec_boot(&t->r, batch, 3);

    fake_assert_json_equal(p0->sent_body,
                           "{\"node\":\"" N0 "\",\"image\":\"sles15\",\"kernel\":\"http://s3/sles15/vmlinuz\","
                           "\"initrd\":\"http://s3/sles15/initrd\",\"params\":\"console=ttyS0 tide.image=sles15\"}");
    assert_true(n[0]->booted);
    assert_false(n[0]->boot_pending);
    assert_int_equal(n[0]->boot_done_at, t->r.now);
    assert_int_equal(n[0]->lease_booted, 1);
    assert_int_equal(left, 2);
    assert_ptr_equal(batch[0], n[1]);
    assert_ptr_equal(batch[1], n[2]);
    assert_false(n[1]->booted || n[2]->booted || n[1]->failed || n[2]->failed);
    assert_int_equal(n[1]->strikes + n[2]->strikes, 0);   /* a refused kexec is no failure */
}

static void refused_kexec_falls_back_to_pcs_in_the_same_step(void **state)
{
    kfix *k = *state;
    fixture *t = k->t;
    tided_node **n = t->nodes;
    n[1]->strikes = 1;          /* last acquire failed: cold boot, no POST */
    free(n[2]->image);
    n[2]->image = xstrdup("rocky9");   /* Transition=reboot: no POST */
    fake_expect(&k->fa, "POST", "http://10.0.0.1:6820/v1/kexec", 409, JSON,
                "{\"error\":\"a kexec into rocky9 is under way\"}");
    fake_expect(&t->fs, "POST", "/locks/service/reservations", 200, JSON,
                "{\"Success\":["
                "{\"ID\":\"" N0 "\",\"DeputyKey\":\"" N0 ":dk\",\"ReservationKey\":\"" N0 ":rk\"},"
                "{\"ID\":\"" N1 "\",\"DeputyKey\":\"" N1 ":dk\",\"ReservationKey\":\"" N1 ":rk\"},"
                "{\"ID\":\"" N2 "\",\"DeputyKey\":\"" N2 ":dk\",\"ReservationKey\":\"" N2 ":rk\"}],\"Failure\":[]}");
    fake_exchange *tr = fake_expect(&t->fp, "POST", "/transitions", 200, JSON,
                                    "{\"transitionID\":\"" TID "\",\"operation\":\"Init\"}");
    tided_node *batch[3] = { n[0], n[1], n[2] };
    tided_step_boot(&t->r, batch, 3, 0);
    fake_assert_json_equal(tr->sent_body,
                           "{\"operation\":\"init\",\"taskDeadlineMinutes\":1,\"location\":["
                           "{\"xname\":\"" N0 "\",\"deputyKey\":\"" N0 ":dk\"},"
                           "{\"xname\":\"" N1 "\",\"deputyKey\":\"" N1 ":dk\"},"
                           "{\"xname\":\"" N2 "\",\"deputyKey\":\"" N2 ":dk\"}]}");
    for (int i = 0; i < 3; i++)
        assert_true(n[i]->boot_pending && !n[i]->booted);
}

static void all_kexec_means_no_pcs(void **state)
{
    kfix *k = *state;
    fixture *t = k->t;
    tided_node **n = t->nodes;
    fake_expect(&k->fa, "POST", "http://10.0.0.1:6820/v1/kexec", 202, JSON, "{\"accepted\":true}");
    fake_expect(&k->fa, "POST", "http://10.0.0.2:6820/v1/kexec", 202, JSON, "{\"accepted\":true}");
    tided_node *batch[2] = { n[0], n[1] };
    tided_step_boot(&t->r, batch, 2, 0);   /* no SMD reservation, no PCS transition scripted */
    assert_true(n[0]->booted && n[1]->booted);
    assert_null(t->r.boots);
}

static void a_cold_node_never_waits_on_an_agent(void **state)
{
    kfix *k = *state;
    fixture *t = k->t;
    tided_node *n = t->nodes[0];
    n->lease_booted = 0;                   /* claimed by this acquire */
    k->s[0].powering_up = 1;
    tided_node *batch[1] = { n };
    assert_int_equal(tided_kexec_boot(&t->r, batch, 1), 1);   /* no request to the agent */
    k->s[0].powered_down = 1;
    n->lease_booted = 1;
    assert_int_equal(tided_kexec_boot(&t->r, batch, 1), 1);
    assert_false(n->booted);
}

int main(void)
{
#define K(f) cmocka_unit_test_setup_teardown(f, kfix_setup, kfix_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(choice_kexec_for_a_running_node),
        cmocka_unit_test(choice_pcs_otherwise),
        cmocka_unit_test(agent_url_and_body),
        cmocka_unit_test(agent_port_from_tide_conf),
        K(boot_by_kexec_when_the_agent_accepts),
        K(refused_kexec_falls_back_to_pcs_in_the_same_step),
        K(all_kexec_means_no_pcs),
        K(a_cold_node_never_waits_on_an_agent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_decide.c - the per-node decision of tided (helper/decide.c): goals, steps, images, prices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decide.h"

static const char *const images[] = { "rocky9", "sles15", "k8s" };
#define NIMAGES 3
#define NOW 100000

/* A powered-down free-pool node at home, BSS in rocky9: the quiet case. */
static tided_facts home_free(void)
{
    tided_facts f;
    memset(&f, 0, sizeof(f));
    f.slurm_known = 1;
    f.powered_down = 1;
    f.idle = 1;
    f.active_image = "rocky9";
    f.want_image = "rocky9";
    f.where = TIDED_AT_HOME;
    f.have_home = 1;
    f.home_power_off = 1;
    f.bss_image = "rocky9";
    f.lease_booted = 0;
    f.now = NOW;
    f.register_timeout = 300;
    return f;
}

static tided_facts home_k8s(void)
{
    tided_facts f = home_free();
    f.home_kubernetes = 1;
    f.home_image = "k8s";
    f.home_power_off = 0;
    f.bss_image = "k8s";
    f.active_image = NULL;
    return f;
}

/* What Slurm shows of the node's power. */
typedef enum { POWERED_DOWN, POWERING_UP, POWERED_UP } slurm_power;

/* `base` with Slurm showing `power` and SMD holding the node in `where`. */
static tided_facts node(tided_facts base, slurm_power power, tided_where where)
{
    base.powered_down = power == POWERED_DOWN;
    base.powering_up = power == POWERING_UP;
    base.where = where;
    return base;
}

/* An acquire under way: Slurm powers the node up, it is in the Slurm pool, tide started the acquire. */
static tided_facts acquiring(tided_facts base)
{
    tided_facts f = node(base, POWERING_UP, TIDED_AT_SLURM);
    f.acquiring = 1;
    return f;
}

/* The decision for f: goal and step, and unless strike is -1, whether it counts as a strike. */
static void expect_strike(const tided_facts *f, tided_goal goal, tided_step step, int strike)
{
    tided_decision d = tided_decide(f);
    if (d.goal != goal || d.step != step || (strike >= 0 && d.strike != strike))
        fail_msg("decided goal %d step %s strike %d (%s), expected goal %d step %s strike %d", d.goal,
                 tided_step_name(d.step), d.strike, d.why, goal, tided_step_name(step), strike);
}

static void expect(const tided_facts *f, tided_goal goal, tided_step step)
{
    expect_strike(f, goal, step, -1);
}

/* ---- goals ------------------------------------------------------------------------ */

static void goal_from_slurm_state(void **state)
{
    (void)state;
    tided_facts f = home_free();
    assert_int_equal(tided_goal_of(&f), TIDED_GOAL_HOME);
    f.powered_down = 0;
    f.powering_up = 1;
    assert_int_equal(tided_goal_of(&f), TIDED_GOAL_ACQUIRE);
    f.powering_up = 0;
    f.reboot_issued = 1;
    assert_int_equal(tided_goal_of(&f), TIDED_GOAL_ACQUIRE);
    f.reboot_issued = 0;
    assert_int_equal(tided_goal_of(&f), TIDED_GOAL_SLURM);
    f.powering_down = 1;
    assert_int_equal(tided_goal_of(&f), TIDED_GOAL_HOME);
    /* POWERING_UP wins over a POWERED_DOWN still shown during the transition. */
    f.powered_down = 1;
    f.powering_up = 1;
    f.powering_down = 0;
    assert_int_equal(tided_goal_of(&f), TIDED_GOAL_ACQUIRE);
    f.slurm_known = 0;
    assert_int_equal(tided_goal_of(&f), TIDED_GOAL_NONE);
    expect(&f, TIDED_GOAL_NONE, TIDED_STEP_NONE);
}

static void quiet_node_at_home_does_nothing(void **state)
{
    (void)state;
    tided_facts f = home_free();
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_NONE);
    f = home_k8s();
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_NONE);
}

/* ---- acquire ---------------------------------------------------------------------- */

static void acquire_from_free_pool_in_order(void **state)
{
    (void)state;
    tided_facts f = node(home_free(), POWERING_UP, TIDED_AT_HOME);
    f.want_image = "sles15";
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_CLAIM);
    f = acquiring(f);
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_IMAGE);   /* a free node is not drained */
    f.bss_image = "sles15";
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_BOOT);
    f.boot_pending = 1;
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_WAIT);
    f.boot_pending = 0;
    f.booted = 1;
    f.boot_done_at = NOW - 10;
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_WAIT);   /* waiting for slurmd */
    /* slurmd registered: POWERING_UP gone, ActiveFeatures show the image */
    f.powering_up = 0;
    f.active_image = "sles15";
    expect(&f, TIDED_GOAL_SLURM, TIDED_STEP_VERIFY);
}

static void acquire_same_image_still_boots(void **state)
{
    (void)state;
    /* BSS already names the image: no PUT, but the node must boot for slurmd to register. */
    tided_facts f = acquiring(home_free());
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_BOOT);
}

static void acquire_images_again_outside_the_cloud_init_group(void **state)
{
    (void)state;
    /* BSS names the image, but the node is not in the image's CloudInitGroup (alone). */
    tided_facts f = acquiring(home_free());
    f.cloud_init_wrong = 1;
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_IMAGE);
    f.cloud_init_wrong = 0;
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_BOOT);
    /* Only the wanted image counts: the home image's group is not looked at on the way in. */
    f.home_cloud_init_wrong = 1;
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_BOOT);
}

static void release_images_home_outside_the_cloud_init_group(void **state)
{
    (void)state;
    tided_facts f = node(home_k8s(), POWERED_DOWN, TIDED_AT_SLURM);
    f.lease_booted = 1;
    f.home_cloud_init_wrong = 1;
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_HOME_IMAGE);
    f.home_cloud_init_wrong = 0;
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_HOME_POWER);
    /* A pool without a HomeImage has no cloud-init group to be in. */
    f = node(home_free(), POWERED_DOWN, TIDED_AT_SLURM);
    f.home_cloud_init_wrong = 1;
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_HOME_GROUP);
}

static void acquire_from_kubernetes_drains_first(void **state)
{
    (void)state;
    tided_facts f = node(home_k8s(), POWERING_UP, TIDED_AT_HOME);
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_CLAIM);
    f = acquiring(f);
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_DRAIN);
    f.drained = 1;
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_IMAGE);
    f.bss_image = "rocky9";
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_BOOT);
}

static void acquire_fails_when_someone_else_holds_it(void **state)
{
    (void)state;
    tided_facts f = node(home_free(), POWERING_UP, TIDED_AT_OTHER);
    expect_strike(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_FAIL, 0);   /* a lost race is not the node's fault */
    /* In no pool at all (a claim stopped half-way): claim it again. */
    f.where = TIDED_AT_NONE;
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_CLAIM);
    f.have_home = 0;
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_FAIL);
}

static void acquire_without_image_fails(void **state)
{
    (void)state;
    tided_facts f = node(home_free(), POWERING_UP, TIDED_AT_SLURM);
    f.want_image = NULL;
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_FAIL);
}

static void registration_timeout_is_a_strike(void **state)
{
    (void)state;
    tided_facts f = acquiring(home_free());
    f.booted = 1;
    f.boot_done_at = NOW - 301;
    expect_strike(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_FAIL, 1);
}

static void wrong_image_fails_the_node(void **state)
{
    (void)state;
    tided_facts f = node(home_free(), POWERED_UP, TIDED_AT_SLURM);
    f.acquiring = 1;
    f.booted = 1;
    f.want_image = "sles15";
    f.active_image = "rocky9";
    expect_strike(&f, TIDED_GOAL_SLURM, TIDED_STEP_FAIL, 1);
}

static void failed_acquire_is_undone_in_slurm_first(void **state)
{
    (void)state;
    tided_facts f = acquiring(home_free());
    f.failed = 1;
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_SLURM_DOWN);
    /* Slurm took the request (POWER_DOWN shown, not yet POWERING_DOWN): do not ask again. */
    f.powering_up = 0;
    f.power_down_asked = 1;
    expect(&f, TIDED_GOAL_SLURM, TIDED_STEP_WAIT);
    /* Registered with a wrong image and failed: power it down too. */
    f.power_down_asked = 0;
    expect(&f, TIDED_GOAL_SLURM, TIDED_STEP_SLURM_DOWN);
    /* Then Slurm powers it down: the release steps take over. */
    f.powering_down = 1;
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_HOME_GROUP);   /* never booted: no power step */
}

static void taken_back_during_its_release(void **state)
{
    (void)state;
    /* Slurm powered it down (SuspendTimeout) and wants it again while tide's release power step runs. */
    tided_facts f = node(home_free(), POWERING_UP, TIDED_AT_SLURM);
    f.home_power_pending = 1;
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_WAIT);
    f.home_power_pending = 0;
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_BOOT);
}

static void reimage_of_a_running_node(void **state)
{
    (void)state;
    /* Power saving on: a feature switch of an up node arrives as POWERING_UP with the node in Slurm. */
    tided_facts f = node(home_free(), POWERING_UP, TIDED_AT_SLURM);
    f.want_image = "sles15";
    f.active_image = "rocky9";
    expect(&f, TIDED_GOAL_ACQUIRE, TIDED_STEP_IMAGE);
}

/* ---- release ---------------------------------------------------------------------- */

static void release_free_node(void **state)
{
    (void)state;
    tided_facts f = node(home_free(), POWERED_DOWN, TIDED_AT_SLURM);
    f.lease_booted = 1;
    f.bss_image = "sles15";
    /* No HomeImage: BSS is left as it is, the node is powered off. */
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_HOME_POWER);
    f.home_power_pending = 1;
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_WAIT);
    f.home_power_pending = 0;
    f.home_powered = 1;
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_HOME_GROUP);
    f.where = TIDED_AT_HOME;
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_NONE);
}

static void release_after_restart_powers_once(void **state)
{
    (void)state;
    tided_facts f = node(home_free(), POWERED_DOWN, TIDED_AT_SLURM);
    f.lease_booted = -1;   /* unknown: tided restarted */
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_HOME_POWER);
}

static void release_waits_for_a_boot_in_flight(void **state)
{
    (void)state;
    tided_facts f = node(home_free(), POWERED_DOWN, TIDED_AT_SLURM);
    f.boot_pending = 1;
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_WAIT);
}

static void release_kubernetes_node(void **state)
{
    (void)state;
    tided_facts f = node(home_k8s(), POWERED_DOWN, TIDED_AT_SLURM);
    f.bss_image = "rocky9";
    f.lease_booted = 1;
    f.k8s_marked = 1;
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_HOME_IMAGE);
    f.bss_image = "k8s";
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_HOME_POWER);
    f.home_powered = 1;
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_HOME_GROUP);
    f.where = TIDED_AT_HOME;
    /* Home: not Ready yet */
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_WAIT);
    /* Ready, but still the boot it had when tide claimed it although tide booted it: wait. */
    f.k8s_ready = 1;
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_WAIT);
    f.k8s_new_boot = 1;
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_K8S_RETURN);
    f.k8s_marked = 0;
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_NONE);
}

static void drain_given_up_returns_without_new_boot(void **state)
{
    (void)state;
    /* The drain failed before any boot: the node never left Kubernetes. */
    tided_facts f = home_k8s();
    f.k8s_marked = 1;
    f.k8s_ready = 1;
    f.lease_booted = 0;
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_K8S_RETURN);
    /* After a restart tide does not know: Ready is enough once the node is home. */
    f.lease_booted = -1;
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_K8S_RETURN);
}

static void resume_timeout_down_is_resumed_at_home(void **state)
{
    (void)state;
    tided_facts f = home_free();
    f.down = 1;
    f.resume_timeout_down = 1;
    expect_strike(&f, TIDED_GOAL_HOME, TIDED_STEP_SLURM_RESUME, 1);
    /* Slurm pinged a node tide had powered off and set it DOWN: no strike. */
    f.resume_timeout_down = 0;
    f.not_responding_down = 1;
    expect_strike(&f, TIDED_GOAL_HOME, TIDED_STEP_SLURM_RESUME, 0);
    /* Not before it is home. */
    f.where = TIDED_AT_SLURM;
    f.lease_booted = 1;
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_HOME_POWER);
}

static void half_moved_node_goes_home(void **state)
{
    (void)state;
    tided_facts f = node(home_free(), POWERED_DOWN, TIDED_AT_NONE);
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_HOME_GROUP);
    f.where = TIDED_AT_OTHER;
    expect(&f, TIDED_GOAL_HOME, TIDED_STEP_NONE);   /* someone else's now */
}

/* ---- Slurm runs it ------------------------------------------------------------------- */

static void running_node_is_left_alone(void **state)
{
    (void)state;
    tided_facts f = node(home_free(), POWERED_UP, TIDED_AT_SLURM);
    expect(&f, TIDED_GOAL_SLURM, TIDED_STEP_NONE);
    f.release_asked = 1;
    f.idle = 0;
    expect(&f, TIDED_GOAL_SLURM, TIDED_STEP_NONE);   /* jobs on it: not now */
    f.idle = 1;
    expect(&f, TIDED_GOAL_SLURM, TIDED_STEP_SLURM_IDLE_DOWN);
}

static void slurm_runs_a_node_outside_the_pool(void **state)
{
    (void)state;
    tided_facts f = node(home_free(), POWERED_UP, TIDED_AT_HOME);
    expect(&f, TIDED_GOAL_SLURM, TIDED_STEP_SLURM_IDLE_DOWN);
    f.idle = 0;
    expect(&f, TIDED_GOAL_SLURM, TIDED_STEP_NONE);
}

static void step_names(void **state)
{
    (void)state;
    for (int s = 0; s < TIDED_STEP_COUNT; s++)
        assert_non_null(tided_step_name((tided_step)s));
    assert_string_equal(tided_step_name(TIDED_STEP_CLAIM), "claim");
    assert_string_equal(tided_step_name(TIDED_STEP_K8S_RETURN), "k8s-return");
    assert_string_equal(tided_step_name(TIDED_STEP_COUNT), "?");
}

/* ---- images -------------------------------------------------------------------------- */

#define FEAT "epyc7713,a100,mem512g,rocky9,sles15,rocky9,sles15"

/* tided_want_image for a node with FEAT among this file's images. */
static const char *want_image(const char *request, const char *constraint, const char *active,
                              const char *default_image)
{
    return tided_want_image(request, constraint, FEAT, active, default_image, images, NIMAGES);
}

static void image_from_request_first(void **state)
{
    (void)state;
    /* 22.05 gives ResumeProgram the whole constraint with & written as , */
    assert_string_equal(want_image("sles15,a100", "a100&rocky9", "rocky9", "rocky9"), "sles15");
    assert_string_equal(want_image("sles15", NULL, NULL, "rocky9"), "sles15");
}

static void image_from_job_constraint(void **state)
{
    (void)state;
    assert_string_equal(want_image(NULL, "a100&sles15", "rocky9", "rocky9"), "sles15");
    /* An OR: the active image when it will do, else the first that makes the node match. */
    assert_string_equal(want_image(NULL, "sles15|rocky9", "rocky9", "rocky9"), "rocky9");
    assert_string_equal(want_image(NULL, "sles15|rocky9", NULL, "rocky9"), "rocky9");
    assert_string_equal(want_image(NULL, "(a100&sles15)|mi200", "rocky9", "rocky9"), "sles15");
    /* An image the node does not offer is not chosen. */
    assert_string_equal(want_image(NULL, "k8s", "rocky9", "rocky9"), "rocky9");
    /* Brackets and counts. */
    assert_string_equal(want_image(NULL, "[sles15*2&a100*1]", NULL, "rocky9"), "sles15");
}

static void image_falls_back_to_active_then_default(void **state)
{
    (void)state;
    assert_string_equal(want_image(NULL, "a100", "sles15", "rocky9"), "sles15");
    assert_string_equal(want_image(NULL, "", NULL, "rocky9"), "rocky9");
    assert_null(want_image(NULL, NULL, NULL, NULL));
    /* A word that only contains an image name is not that image. */
    assert_null(tided_image_in("rocky9x,xsles15", images, NIMAGES));
    assert_string_equal(tided_image_in("a100,sles15,rocky9", images, NIMAGES), "sles15");
    assert_null(tided_image_in(NULL, images, NIMAGES));
}

/* ---- prices, features, MaxBorrow ----------------------------------------------------------- */

static void prices(void **state)
{
    (void)state;
    assert_int_equal(tided_price(1, 0, 0, 0), 1);
    assert_int_equal(tided_price(1, 0, 1, 0), 2);
    assert_int_equal(tided_price(20, 3, 1, 0), 24);
    assert_int_equal(tided_price(0, 0, 0, 0), 1);      /* never 0 */
    assert_int_equal(tided_price(20, -1, 0, 0), 20);   /* pods unknown */
    assert_int_equal(tided_price(1, 0, 0, 1), TIDED_PRICE_MAX);
    assert_true(tided_price(2000000, 0, 0, 0) < TIDED_PRICE_MAX);   /* a quarantined node stays the dearest */
}

static void active_features(void **state)
{
    (void)state;
    char *a = tided_active_features(FEAT, "sles15", images, NIMAGES);
    assert_string_equal(a, "epyc7713,a100,mem512g,sles15");
    free(a);
    a = tided_active_features(FEAT, "k8s", images, NIMAGES);   /* not a Slurm image of this node */
    assert_string_equal(a, "epyc7713,a100,mem512g");
    free(a);
    a = tided_active_features("", NULL, images, NIMAGES);
    assert_string_equal(a, "");
    free(a);
    assert_true(tided_features_equal("a100,rocky9,epyc7713", "rocky9,epyc7713,a100,a100"));
    assert_false(tided_features_equal("a100,rocky9", "a100,rocky9,sles15"));
    assert_false(tided_features_equal("a100,sles15", "a100"));
    assert_true(tided_features_equal("", ""));
}

static void max_borrow(void **state)
{
    (void)state;
    assert_int_equal(tided_max_borrow(50, 1, 10), 5);
    assert_int_equal(tided_max_borrow(50, 1, 3), 1);
    assert_int_equal(tided_max_borrow(0, 1, 10), -1);   /* 0%: no limit, as 0 */
    assert_int_equal(tided_max_borrow(4, 0, 10), 4);
    assert_int_equal(tided_max_borrow(0, 0, 10), -1);   /* unset: no limit */
}

/* ---- holds: the cheapest pool first on 22.05 ----------------------------------------------- */

#define A100 "epyc7713,a100,mem512g,rocky9,sles15"
#define MI200 "epyc7a53,mi200,mem512g,rocky9,sles15"

/* A powered-down node at home that Slurm could use now. */
static tided_hold_node resting_node(const char *name, const char *features, int cost)
{
    tided_hold_node n = { name, features, cost, (unsigned long)cost, 2, 1, 1 };
    return n;
}

/* A waiting job that needs `nodes` nodes matching `constraint`, nothing else asked. */
static tided_hold_job job(const char *constraint, unsigned nodes)
{
    tided_hold_job j = { constraint, nodes, 0, NULL, 0, NULL, 0, 0 };
    return j;
}

/* hold[] as a string of 0/1, one per node: easy to read in a failure. */
static void expect_holds(const tided_hold_node *nodes, size_t n, const tided_hold_job *jobs, size_t njobs,
                         int weights_work, const char *want)
{
    int hold[16];
    char got[17];
    assert_true(n < 16);
    tided_holds(nodes, n, jobs, njobs, images, NIMAGES, weights_work, hold);
    for (size_t i = 0; i < n; i++)
        got[i] = hold[i] ? '1' : '0';
    got[n] = '\0';
    assert_string_equal(got, want);
}

static void hold_dearer_twin_of_a_usable_cheap_node(void **state)
{
    (void)state;
    /* k8s names sort first: Slurm 22.05 would take them. */
    tided_hold_node n[] = {
        resting_node("x1005c0s5b0n0", A100, 20), resting_node("x1005c0s5b0n1", A100, 20),
        resting_node("x1005c0s6b0n0", A100, 1), resting_node("x1006c1s0b0n0", MI200, 20),
    };
    expect_holds(n, 4, NULL, 0, 0, "1100");   /* the MI200 has no cheaper twin */
    expect_holds(n, 4, NULL, 0, 1, "0000");   /* 23.02+: Weight does it */
    n[2].usable = 0;                          /* the cheap one is drained by an admin, or down */
    expect_holds(n, 4, NULL, 0, 0, "0000");
    n[2].usable = 1;
    n[2].resting = 0;                         /* up and idle: Slurm takes it first anyway */
    expect_holds(n, 4, NULL, 0, 0, "0000");
    n[2].resting = 1;
    n[0].usable = 0;                          /* not usable: nothing to hold */
    expect_holds(n, 4, NULL, 0, 0, "0100");
}

static void hold_compares_hardware_not_images(void **state)
{
    (void)state;
    tided_hold_node n[] = {
        resting_node("a", "a100,epyc7713,mem512g,rocky9,sles15,rocky9,sles15", 20),
        resting_node("b", "epyc7713,a100,mem512g,rocky9", 1),   /* fewer images, same hardware */
        resting_node("c", "epyc7713,a100,mem1024g,rocky9", 20), /* more memory: another kind of node */
        resting_node("d", "epyc7713,a100,mem512g", 20),
    };
    expect_holds(n, 4, NULL, 0, 0, "1001");
    /* Equal costs: no pool is cheaper. */
    n[1].cost = 20;
    expect_holds(n, 4, NULL, 0, 0, "0000");
}

static void hold_cascades_over_three_costs(void **state)
{
    (void)state;
    tided_hold_node n[] = {
        resting_node("a", A100, 1), resting_node("b", A100, 5), resting_node("c", A100, 20),
    };
    expect_holds(n, 3, NULL, 0, 0, "011");
    n[0].usable = 0;
    expect_holds(n, 3, NULL, 0, 0, "001");
    /* A job that needs two while one cheap node is left: the next cheapest goes first. */
    n[0].usable = 1;
    tided_hold_job j = job("a100", 2);
    expect_holds(n, 3, &j, 1, 0, "001");
}

static void hold_let_go_for_a_job_that_needs_more(void **state)
{
    (void)state;
    tided_hold_node n[] = {
        resting_node("k1", A100, 20), resting_node("k2", A100, 20),
        resting_node("f1", A100, 1), resting_node("f2", A100, 1),
        resting_node("m1", MI200, 20), resting_node("m2", MI200, 1),
    };
    n[1].price = 19;   /* fewer pods on it: it goes first */
    tided_hold_job j = job("a100", 3);
    expect_holds(n, 6, &j, 1, 0, "100010");
    j.nodes = 2;   /* the cheap ones are enough */
    expect_holds(n, 6, &j, 1, 0, "110010");
    j.nodes = 9;   /* not even all of them: every match goes, the job waits for busy ones */
    expect_holds(n, 6, &j, 1, 0, "000010");
    /* Slurm writes ',' as '&'; a constraint on the hardware of both kinds */
    tided_hold_job any = job("a100|mi200", 4);
    expect_holds(n, 6, &any, 1, 0, "100010");   /* f1 f2 m2 and one more: k2, the cheapest */
}

static void hold_counts_cpus_and_running_nodes(void **state)
{
    (void)state;
    tided_hold_node n[] = {
        resting_node("k1", A100, 20), resting_node("k2", A100, 20),
        resting_node("f1", A100, 1), resting_node("up", A100, 1),
    };
    n[3].resting = 0;   /* powered up and idle in the Slurm pool: Slurm takes it first */
    tided_hold_job j = job("a100", 2);
    expect_holds(n, 4, &j, 1, 0, "1100");
    j.nodes = 1;
    j.cpus = 8;         /* 2 CPUs a node: four nodes */
    expect_holds(n, 4, &j, 1, 0, "0000");
    j.cpus = 6;
    expect_holds(n, 4, &j, 1, 0, "0100");
}

static void hold_jobs_take_in_turn(void **state)
{
    (void)state;
    tided_hold_node n[] = {
        resting_node("k1", A100, 20), resting_node("k2", A100, 20), resting_node("f1", A100, 1),
    };
    tided_hold_job j[] = {
        job("a100", 1),
        job("a100&rocky9", 1),   /* f1 is the first job's */
    };
    expect_holds(n, 3, j, 1, 0, "110");
    expect_holds(n, 3, j, 2, 0, "010");
}

static void hold_let_go_for_images_names_and_exclusions(void **state)
{
    (void)state;
    tided_hold_node n[] = {
        resting_node("k1", A100, 20),
        resting_node("k2", A100, 20),
        resting_node("f1", "epyc7713,a100,mem512g,rocky9", 1),
    };
    /* Only the dear ones offer sles15. */
    tided_hold_job img = job("a100&sles15", 1);
    expect_holds(n, 3, &img, 1, 0, "010");
    /* -w k2: its own node, at once. */
    const char *const k2[] = { "k2" };
    tided_hold_job w = job("", 1);
    w.required = k2;
    w.nrequired = 1;
    expect_holds(n, 3, &w, 1, 0, "100");
    /* -x f1: the cheap node is not for it. */
    const char *const f1[] = { "f1" };
    tided_hold_job x = job(NULL, 1);
    x.excluded = f1;
    x.nexcluded = 1;
    expect_holds(n, 3, &x, 1, 0, "010");
    /* A constraint tide cannot parse keeps the job from no node. */
    tided_hold_job bad = job("a100&&", 2);
    expect_holds(n, 3, &bad, 1, 0, "010");
}

static void hold_never_keeps_a_job_waiting_long(void **state)
{
    (void)state;
    tided_hold_node n[] = {
        resting_node("k1", A100, 20), resting_node("k2", A100, 20), resting_node("f1", A100, 1),
        resting_node("m1", MI200, 20), resting_node("m2", MI200, 1),
    };
    /* It waits though the cheap node would do (memory, a partition, a licence ...). */
    tided_hold_job j = job("a100", 1);
    j.waited = TIDED_HOLD_PATIENCE - 1;
    expect_holds(n, 5, &j, 1, 0, "11010");
    j.waited = TIDED_HOLD_PATIENCE;
    expect_holds(n, 5, &j, 1, 0, "00010");   /* every A100 it matches; the MI200 stays held */
}

/* tided_node_matches among this file's images. */
static int matches(const char *constraint, const char *features)
{
    return tided_node_matches(constraint, features, images, NIMAGES);
}

static void node_matches_constraints(void **state)
{
    (void)state;
    assert_true(matches(NULL, A100));
    assert_true(matches("", A100));
    assert_true(matches("a100&sles15", A100));
    assert_false(matches("a100&sles15", "epyc7713,a100,rocky9"));
    assert_false(matches("rocky9&sles15", A100));   /* one image at a time */
    assert_true(matches("(mi200|a100)&rocky9", A100));
    assert_false(matches("mi200", A100));
    assert_true(matches("[a100*2&mi200*1]", A100));
    assert_true(matches("a100||", A100));   /* does not parse: no judgement */
}

static void drains_one_reason_each(void **state)
{
    (void)state;
    /* Not tide's: never touched, whatever tide wants. */
    assert_int_equal(tided_drain_want(TIDED_DRAINED_OTHER, 1, 1), TIDED_DRAIN_KEEP);
    assert_int_equal(tided_drain_want(TIDED_DRAINED_OTHER, 0, 0), TIDED_DRAIN_KEEP);
    /* Held and at MaxBorrow: the MaxBorrow reason shows. */
    assert_int_equal(tided_drain_want(TIDED_DRAINED_NO, 1, 1), TIDED_DRAIN_MAXBORROW);
    assert_int_equal(tided_drain_want(TIDED_DRAINED_HOLD, 1, 1), TIDED_DRAIN_MAXBORROW);
    assert_int_equal(tided_drain_want(TIDED_DRAINED_MAXBORROW, 1, 1), TIDED_DRAIN_KEEP);
    /* Below MaxBorrow again but still held: the reason changes, the node is never free between. */
    assert_int_equal(tided_drain_want(TIDED_DRAINED_MAXBORROW, 0, 1), TIDED_DRAIN_HOLD);
    assert_int_equal(tided_drain_want(TIDED_DRAINED_NO, 0, 1), TIDED_DRAIN_HOLD);
    assert_int_equal(tided_drain_want(TIDED_DRAINED_HOLD, 0, 1), TIDED_DRAIN_KEEP);
    /* Neither: tide's drains are lifted, nothing else happens. */
    assert_int_equal(tided_drain_want(TIDED_DRAINED_HOLD, 0, 0), TIDED_DRAIN_UNDRAIN);
    assert_int_equal(tided_drain_want(TIDED_DRAINED_MAXBORROW, 0, 0), TIDED_DRAIN_UNDRAIN);
    assert_int_equal(tided_drain_want(TIDED_DRAINED_NO, 0, 0), TIDED_DRAIN_KEEP);
    assert_string_equal(TIDED_HOLD_REASON, "tide: held while cheaper nodes can serve");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(goal_from_slurm_state),
        cmocka_unit_test(quiet_node_at_home_does_nothing),
        cmocka_unit_test(acquire_from_free_pool_in_order),
        cmocka_unit_test(acquire_same_image_still_boots),
        cmocka_unit_test(acquire_images_again_outside_the_cloud_init_group),
        cmocka_unit_test(release_images_home_outside_the_cloud_init_group),
        cmocka_unit_test(acquire_from_kubernetes_drains_first),
        cmocka_unit_test(acquire_fails_when_someone_else_holds_it),
        cmocka_unit_test(acquire_without_image_fails),
        cmocka_unit_test(registration_timeout_is_a_strike),
        cmocka_unit_test(wrong_image_fails_the_node),
        cmocka_unit_test(failed_acquire_is_undone_in_slurm_first),
        cmocka_unit_test(taken_back_during_its_release),
        cmocka_unit_test(reimage_of_a_running_node),
        cmocka_unit_test(release_free_node),
        cmocka_unit_test(release_after_restart_powers_once),
        cmocka_unit_test(release_waits_for_a_boot_in_flight),
        cmocka_unit_test(release_kubernetes_node),
        cmocka_unit_test(drain_given_up_returns_without_new_boot),
        cmocka_unit_test(resume_timeout_down_is_resumed_at_home),
        cmocka_unit_test(half_moved_node_goes_home),
        cmocka_unit_test(running_node_is_left_alone),
        cmocka_unit_test(slurm_runs_a_node_outside_the_pool),
        cmocka_unit_test(step_names),
        cmocka_unit_test(image_from_request_first),
        cmocka_unit_test(image_from_job_constraint),
        cmocka_unit_test(image_falls_back_to_active_then_default),
        cmocka_unit_test(prices),
        cmocka_unit_test(active_features),
        cmocka_unit_test(max_borrow),
        cmocka_unit_test(hold_dearer_twin_of_a_usable_cheap_node),
        cmocka_unit_test(hold_compares_hardware_not_images),
        cmocka_unit_test(hold_cascades_over_three_costs),
        cmocka_unit_test(hold_let_go_for_a_job_that_needs_more),
        cmocka_unit_test(hold_counts_cpus_and_running_nodes),
        cmocka_unit_test(hold_jobs_take_in_turn),
        cmocka_unit_test(hold_let_go_for_images_names_and_exclusions),
        cmocka_unit_test(hold_never_keeps_a_job_waiting_long),
        cmocka_unit_test(node_matches_constraints),
        cmocka_unit_test(drains_one_reason_each),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

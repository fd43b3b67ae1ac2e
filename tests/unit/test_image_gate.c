/* test_image_gate.c - the image check of `tide-node prolog` (nodefeatures/image_gate.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "image_gate.h"

static const char *const images[] = { "rocky9", "sles15", "k8s" };
#define NIMAGES 3

/* The verdict, and the reason must contain `why`. */
static void expect(const char *constraint, const char *booted, tide_gate want, const char *why)
{
    char got[512];
    memset(got, 'x', sizeof(got));
    tide_gate g = tide_image_gate(constraint, booted, images, NIMAGES, got, sizeof(got));
    if (g != want || !strstr(got, why))
        fail_msg("'%s' booted %s: verdict %d (%s), expected %d with '%s'", constraint ? constraint : "(null)",
                 booted ? booted : "(none)", g, got, want, why);
}

static void wrong_image_is_refused(void **state)
{
    (void)state;
    expect("a100&sles15", "rocky9", TIDE_GATE_REFUSE,
           "the job asks for image sles15 (constraint 'a100&sles15') but this node booted rocky9");
    expect("sles15", "k8s", TIDE_GATE_REFUSE, "but this node booted k8s");
    /* Slurm's comma is an AND. */
    expect("a100,sles15", "rocky9", TIDE_GATE_REFUSE, "asks for image sles15");
    /* Booted in an image tide.conf does not know: not the one asked for either. */
    expect("rocky9", "centos7", TIDE_GATE_REFUSE, "booted centos7");
    /* Both named, neither booted. */
    expect("rocky9|sles15", "k8s", TIDE_GATE_REFUSE, "asks for image rocky9,sles15");
}

static void right_image_passes(void **state)
{
    (void)state;
    expect("a100&rocky9", "rocky9", TIDE_GATE_PASS, "booted in rocky9");
    expect("rocky9|sles15", "sles15", TIDE_GATE_PASS, "booted in sles15");
    expect("(a100&rocky9)|(mi200&sles15)", "sles15", TIDE_GATE_PASS, "booted in sles15");
    expect("[rocky9*2&sles15*2]", "sles15", TIDE_GATE_PASS, "booted in sles15");   /* counts span nodes */
}

static void doubt_passes(void **state)
{
    (void)state;
    expect(NULL, "rocky9", TIDE_GATE_PASS, "no constraint");
    expect("", "rocky9", TIDE_GATE_PASS, "no constraint");
    expect("a100&epyc7713", "rocky9", TIDE_GATE_PASS, "names no image");
    expect("sles15", NULL, TIDE_GATE_PASS, "not booted by tide");
    expect("a100&&sles15", "rocky9", TIDE_GATE_PASS, "cannot read the constraint 'a100&&sles15'");
    /* A word that contains an image name is not that image. */
    expect("rocky9x", "sles15", TIDE_GATE_PASS, "names no image");
}

static void reason_fits_a_short_buffer(void **state)
{
    (void)state;
    char why[16];
    tide_gate g = tide_image_gate("a100&sles15", "rocky9", images, NIMAGES, why, sizeof(why));
    assert_int_equal(g, TIDE_GATE_REFUSE);
    assert_int_equal(strlen(why), sizeof(why) - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wrong_image_is_refused),
        cmocka_unit_test(right_image_passes),
        cmocka_unit_test(doubt_passes),
        cmocka_unit_test(reason_fits_a_short_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

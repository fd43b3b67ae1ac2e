/*
 * tided_fixture.h - a tided pass (tided_run) over scripted SMD, BSS, PCS and Kubernetes
 * servers (fake_http), for the unit tests of tided's steps: test_transition and
 * test_group_moves.  Three nodes N0 < N1 < N2, at home in pool "free" (group nodes_free);
 * the Slurm pool's group is "slurm"; the Kubernetes pool "k8s" (group k8s_workers) has a
 * client but no kubeconfig.
 */
#ifndef TIDE_TIDED_FIXTURE_H
#define TIDE_TIDED_FIXTURE_H

#include "fake_http.h"
#include "kpool.h"
#include "transition.h"

#define SMD "https://api.example/hsm/v2"
#define BSS "https://api.example/boot/v1"
#define PCS "https://api.example/power-control/v1"
#define K8S "https://k8s.example:6443"
#define N0 "x1000c0s0b0n0"
#define N1 "x1000c0s0b0n1"
#define N2 "x1000c0s1b0n0"
#define TID "3fa85f64-5717-4562-b3fc-2c963f66afa6"
#define DELETED "{\"code\":0,\"message\":\"deleted 1 entry\"}"
#define JSON "application/json"
#define PROBLEM "application/problem+json"

typedef struct fixture {
    fake_http fs, fb, fp, fk;
    tided d;
    tided_run r;
    tided_node *nodes[3];
    tided_kpool kp;
} fixture;

/* cmocka setup and teardown: teardown asserts that every scripted exchange happened. */
int tided_fixture_setup(void **state);
int tided_fixture_teardown(void **state);

#endif

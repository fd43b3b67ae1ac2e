# tests/unit/: cmocka unit tests of lib/, against recorded response bodies in tests/unit/data/.
if HAVE_CMOCKA
UNITLIBS = $(LDADD) $(CMOCKA_LIBS)
UNITCFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -DTEST_DATA_DIR='"$(abs_top_srcdir)/tests/unit/data"'
endif
EXTRA_DIST += tests/unit/data

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_http
TESTS += tests/unit/test_http
tests_unit_test_http_SOURCES = tests/unit/test_http.c tests/unit/fake_http.c tests/unit/fake_http.h
tests_unit_test_http_CFLAGS = $(UNITCFLAGS)
tests_unit_test_http_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_smd
TESTS += tests/unit/test_smd
tests_unit_test_smd_SOURCES = tests/unit/test_smd.c tests/unit/fake_http.c tests/unit/fake_http.h
tests_unit_test_smd_CFLAGS = $(UNITCFLAGS)
tests_unit_test_smd_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_bss
TESTS += tests/unit/test_bss
tests_unit_test_bss_SOURCES = tests/unit/test_bss.c tests/unit/fake_http.c tests/unit/fake_http.h
tests_unit_test_bss_CFLAGS = $(UNITCFLAGS)
tests_unit_test_bss_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_pcs
TESTS += tests/unit/test_pcs
tests_unit_test_pcs_SOURCES = tests/unit/test_pcs.c tests/unit/fake_http.c tests/unit/fake_http.h
tests_unit_test_pcs_CFLAGS = $(UNITCFLAGS)
tests_unit_test_pcs_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_k8s
TESTS += tests/unit/test_k8s
tests_unit_test_k8s_SOURCES = tests/unit/test_k8s.c tests/unit/fake_http.c tests/unit/fake_http.h
tests_unit_test_k8s_CFLAGS = $(UNITCFLAGS)
tests_unit_test_k8s_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_kubeconfig
TESTS += tests/unit/test_kubeconfig
tests_unit_test_kubeconfig_SOURCES = tests/unit/test_kubeconfig.c tests/unit/fake_http.c tests/unit/fake_http.h
tests_unit_test_kubeconfig_CFLAGS = $(UNITCFLAGS)
tests_unit_test_kubeconfig_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_redfish
TESTS += tests/unit/test_redfish
tests_unit_test_redfish_SOURCES = tests/unit/test_redfish.c tests/unit/fake_http.c tests/unit/fake_http.h
tests_unit_test_redfish_CFLAGS = $(UNITCFLAGS)
tests_unit_test_redfish_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_inventory
TESTS += tests/unit/test_inventory
tests_unit_test_inventory_SOURCES = tests/unit/test_inventory.c tests/unit/fake_http.c tests/unit/fake_http.h
tests_unit_test_inventory_CFLAGS = $(UNITCFLAGS)
tests_unit_test_inventory_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_conf
TESTS += tests/unit/test_conf
tests_unit_test_conf_SOURCES = tests/unit/test_conf.c tests/unit/fake_http.c tests/unit/fake_http.h
tests_unit_test_conf_CFLAGS = $(UNITCFLAGS)
tests_unit_test_conf_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_xname
TESTS += tests/unit/test_xname
tests_unit_test_xname_SOURCES = tests/unit/test_xname.c tests/unit/fake_http.c tests/unit/fake_http.h
tests_unit_test_xname_CFLAGS = $(UNITCFLAGS)
tests_unit_test_xname_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_table
TESTS += tests/unit/test_table
tests_unit_test_table_SOURCES = tests/unit/test_table.c tests/unit/fake_http.c tests/unit/fake_http.h
tests_unit_test_table_CFLAGS = $(UNITCFLAGS)
tests_unit_test_table_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_site
TESTS += tests/unit/test_site
tests_unit_test_site_SOURCES = tests/unit/test_site.c tests/unit/fake_http.c tests/unit/fake_http.h
tests_unit_test_site_CFLAGS = $(UNITCFLAGS)
tests_unit_test_site_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_pattern tests/unit/test_constraint
TESTS += tests/unit/test_pattern tests/unit/test_constraint
tests_unit_test_pattern_SOURCES = tests/unit/test_pattern.c
tests_unit_test_pattern_CFLAGS = $(UNITCFLAGS)
tests_unit_test_pattern_LDADD = $(UNITLIBS)
tests_unit_test_constraint_SOURCES = tests/unit/test_constraint.c
tests_unit_test_constraint_CFLAGS = $(UNITCFLAGS)
tests_unit_test_constraint_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_solver
TESTS += tests/unit/test_solver
tests_unit_test_solver_SOURCES = tests/unit/test_solver.c
tests_unit_test_solver_CFLAGS = $(UNITCFLAGS)
tests_unit_test_solver_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_hostlist tests/unit/test_proto
TESTS += tests/unit/test_hostlist tests/unit/test_proto
tests_unit_test_hostlist_SOURCES = tests/unit/test_hostlist.c
tests_unit_test_hostlist_CFLAGS = $(UNITCFLAGS)
tests_unit_test_hostlist_LDADD = $(UNITLIBS)
tests_unit_test_proto_SOURCES = tests/unit/test_proto.c tests/unit/fake_http.c tests/unit/fake_http.h
tests_unit_test_proto_CFLAGS = $(UNITCFLAGS)
tests_unit_test_proto_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_slurmconf
TESTS += tests/unit/test_slurmconf
tests_unit_test_slurmconf_SOURCES = tests/unit/test_slurmconf.c tests/unit/fake_http.c tests/unit/fake_http.h
tests_unit_test_slurmconf_CFLAGS = $(UNITCFLAGS)
tests_unit_test_slurmconf_LDADD = $(UNITLIBS)
endif

# tided's reconcile loop: the per-node decision (pure) and the steps against recorded replies.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_decide
TESTS += tests/unit/test_decide
tests_unit_test_decide_SOURCES = tests/unit/test_decide.c helper/decide.c helper/decide.h
tests_unit_test_decide_CFLAGS = $(UNITCFLAGS) -I$(top_srcdir)/helper
tests_unit_test_decide_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_transition
TESTS += tests/unit/test_transition
# tided's steps over scripted services (tided_fixture.c): transition.c and group_moves.c.
TIDED_STEP_SOURCES = tests/unit/tided_fixture.c tests/unit/tided_fixture.h tests/unit/fake_http.c \
	tests/unit/fake_http.h helper/transition.c helper/group_moves.c helper/kpool.c helper/decide.c \
	helper/slurm.c helper/journal.c helper/metrics.c
tests_unit_test_transition_SOURCES = tests/unit/test_transition.c $(TIDED_STEP_SOURCES)
tests_unit_test_transition_CFLAGS = $(UNITCFLAGS) -I$(top_srcdir)/helper -pthread
tests_unit_test_transition_LDADD = $(UNITLIBS) $(SLURM_LDFLAGS) $(SLURM_LIBS) -lpthread
check_PROGRAMS += tests/unit/test_group_moves
TESTS += tests/unit/test_group_moves
tests_unit_test_group_moves_SOURCES = tests/unit/test_group_moves.c $(TIDED_STEP_SOURCES)
tests_unit_test_group_moves_CFLAGS = $(tests_unit_test_transition_CFLAGS)
tests_unit_test_group_moves_LDADD = $(tests_unit_test_transition_LDADD)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_pool_apply
TESTS += tests/unit/test_pool_apply
tests_unit_test_pool_apply_SOURCES = tests/unit/test_pool_apply.c tests/unit/fake_http.c tests/unit/fake_http.h
tests_unit_test_pool_apply_CFLAGS = $(UNITCFLAGS)
tests_unit_test_pool_apply_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_image_gate
TESTS += tests/unit/test_image_gate
tests_unit_test_image_gate_SOURCES = tests/unit/test_image_gate.c nodefeatures/image_gate.c nodefeatures/image_gate.h
tests_unit_test_image_gate_CFLAGS = $(UNITCFLAGS) -I$(top_srcdir)/nodefeatures
tests_unit_test_image_gate_LDADD = $(UNITLIBS)
endif

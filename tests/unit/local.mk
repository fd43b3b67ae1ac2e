# tests/unit/: cmocka unit tests of lib/ (and of the pure logic of helper/ and nodefeatures/), against
# recorded response bodies in tests/unit/data/.
EXTRA_DIST += tests/unit/data

if HAVE_CMOCKA
# What every program shares: cmocka, where the recorded bodies are, and the scripted transport
# (fake_http.c, compiled once into a convenience library that UNITLIBS links).
UNITCFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -DTEST_DATA_DIR='"$(abs_top_srcdir)/tests/unit/data"'
UNITLIBS = tests/unit/libfake_http.la $(LDADD) $(CMOCKA_LIBS)
check_LTLIBRARIES = tests/unit/libfake_http.la
tests_unit_libfake_http_la_SOURCES = tests/unit/fake_http.c tests/unit/fake_http.h
tests_unit_libfake_http_la_CFLAGS = $(UNITCFLAGS)

# The programs: tests/unit/NAME.c (automake's default source) unless NAME_SOURCES says more.  Automake
# has no per-directory flags, so each program names UNITCFLAGS and UNITLIBS.
UNIT_TESTS = \
	tests/unit/test_http tests/unit/test_smd tests/unit/test_bss tests/unit/test_pcs \
	tests/unit/test_k8s tests/unit/test_kubeconfig tests/unit/test_redfish tests/unit/test_inventory \
	tests/unit/test_conf tests/unit/test_xname tests/unit/test_table tests/unit/test_site \
	tests/unit/test_pattern tests/unit/test_constraint tests/unit/test_solver tests/unit/test_hostlist \
	tests/unit/test_proto tests/unit/test_slurmconf tests/unit/test_pool_apply \
	tests/unit/test_decide tests/unit/test_image_gate
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
tests_unit_test_http_CFLAGS = $(UNITCFLAGS)
tests_unit_test_http_LDADD = $(UNITLIBS)
tests_unit_test_smd_CFLAGS = $(UNITCFLAGS)
tests_unit_test_smd_LDADD = $(UNITLIBS)
tests_unit_test_bss_CFLAGS = $(UNITCFLAGS)
tests_unit_test_bss_LDADD = $(UNITLIBS)
tests_unit_test_pcs_CFLAGS = $(UNITCFLAGS)
tests_unit_test_pcs_LDADD = $(UNITLIBS)
tests_unit_test_k8s_CFLAGS = $(UNITCFLAGS)
tests_unit_test_k8s_LDADD = $(UNITLIBS)
tests_unit_test_kubeconfig_CFLAGS = $(UNITCFLAGS)
tests_unit_test_kubeconfig_LDADD = $(UNITLIBS)
tests_unit_test_redfish_CFLAGS = $(UNITCFLAGS)
tests_unit_test_redfish_LDADD = $(UNITLIBS)
tests_unit_test_inventory_CFLAGS = $(UNITCFLAGS)
tests_unit_test_inventory_LDADD = $(UNITLIBS)
tests_unit_test_conf_CFLAGS = $(UNITCFLAGS)
tests_unit_test_conf_LDADD = $(UNITLIBS)
tests_unit_test_xname_CFLAGS = $(UNITCFLAGS)
tests_unit_test_xname_LDADD = $(UNITLIBS)
tests_unit_test_table_CFLAGS = $(UNITCFLAGS)
tests_unit_test_table_LDADD = $(UNITLIBS)
tests_unit_test_site_CFLAGS = $(UNITCFLAGS)
tests_unit_test_site_LDADD = $(UNITLIBS)
tests_unit_test_pattern_CFLAGS = $(UNITCFLAGS)
tests_unit_test_pattern_LDADD = $(UNITLIBS)
tests_unit_test_constraint_CFLAGS = $(UNITCFLAGS)
tests_unit_test_constraint_LDADD = $(UNITLIBS)
tests_unit_test_solver_CFLAGS = $(UNITCFLAGS)
tests_unit_test_solver_LDADD = $(UNITLIBS)
tests_unit_test_hostlist_CFLAGS = $(UNITCFLAGS)
tests_unit_test_hostlist_LDADD = $(UNITLIBS)
tests_unit_test_proto_CFLAGS = $(UNITCFLAGS)
tests_unit_test_proto_LDADD = $(UNITLIBS)
tests_unit_test_slurmconf_CFLAGS = $(UNITCFLAGS)
tests_unit_test_slurmconf_LDADD = $(UNITLIBS)
tests_unit_test_pool_apply_CFLAGS = $(UNITCFLAGS)
tests_unit_test_pool_apply_LDADD = $(UNITLIBS)

# tided's per-node decision and the node side's image gate: pure logic outside libtide.
tests_unit_test_decide_SOURCES = tests/unit/test_decide.c helper/decide.c helper/decide.h
tests_unit_test_decide_CFLAGS = $(UNITCFLAGS) -I$(top_srcdir)/helper
tests_unit_test_decide_LDADD = $(UNITLIBS)
tests_unit_test_image_gate_SOURCES = tests/unit/test_image_gate.c nodefeatures/image_gate.c nodefeatures/image_gate.h
tests_unit_test_image_gate_CFLAGS = $(UNITCFLAGS) -I$(top_srcdir)/nodefeatures
tests_unit_test_image_gate_LDADD = $(UNITLIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_transition
TESTS += tests/unit/test_transition
# tided's steps over scripted services (tided_fixture.c): transition.c and group_moves.c.
TIDED_STEP_SOURCES = tests/unit/tided_fixture.c tests/unit/tided_fixture.h \
	helper/transition.c helper/group_moves.c helper/kpool.c helper/decide.c \
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

# tided's boot by kexec through the node agents (helper/kexec.c): transition.c's boot step calls it.
if HAVE_CMOCKA
TIDED_STEP_SOURCES += helper/kexec.c helper/kexec.h
check_PROGRAMS += tests/unit/test_kexec
TESTS += tests/unit/test_kexec
tests_unit_test_kexec_SOURCES = tests/unit/test_kexec.c $(TIDED_STEP_SOURCES)
tests_unit_test_kexec_CFLAGS = $(tests_unit_test_transition_CFLAGS)
tests_unit_test_kexec_LDADD = $(tests_unit_test_transition_LDADD)
endif

# The node agent (`tide-node agent`): its refusals, the new command line, the kexec with recorders.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_agent
TESTS += tests/unit/test_agent
tests_unit_test_agent_SOURCES = tests/unit/test_agent.c \
	nodefeatures/agent.c nodefeatures/agent_kexec.c nodefeatures/agent.h nodefeatures/cmdline.c nodefeatures/cmdline.h
tests_unit_test_agent_CFLAGS = $(UNITCFLAGS) -I$(top_srcdir)/nodefeatures $(MHD_CFLAGS) $(MUNGE_CFLAGS) -pthread
tests_unit_test_agent_LDADD = $(UNITLIBS) $(MHD_LIBS) $(MUNGE_LIBS) -lpthread
endif

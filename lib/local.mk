# libtide: the engine. No UI, no global state but the config; every program links it.
noinst_LTLIBRARIES += lib/libtide.la
lib_libtide_la_SOURCES = \
	lib/err.c lib/err.h \
	lib/log.c lib/log.h \
	lib/strbuf.c lib/strbuf.h \
	lib/conf.c lib/conf.h \
	lib/jsonutil.c lib/jsonutil.h \
	lib/http.c lib/http.h \
	lib/token.c lib/token.h \
	lib/client.c lib/client.h \
	lib/model.c lib/model.h \
	lib/xname.c lib/xname.h \
	lib/inventory.c lib/inventory.h \
	lib/table.c lib/table.h \
	lib/site.c lib/site.h \
	lib/smd.c lib/smd.h \
	lib/bss.c lib/bss.h \
	lib/deadline.c lib/deadline.h \
	lib/pcs.c lib/pcs.h \
	lib/kubeconfig.c lib/kubeconfig.h \
	lib/k8s.c lib/k8s.h \
	lib/redfish.c lib/redfish.h
lib_libtide_la_LIBADD = $(CURL_LIBS) $(JSONC_LIBS) $(YAML_LIBS)
# Pool patterns, Slurm constraints and the exact pool solver (pure logic).
lib_libtide_la_SOURCES += \
	lib/pattern.c lib/pattern.h \
	lib/constraint.c lib/constraint.h \
	lib/solver.c lib/solver.h lib/solver_int.h \
	lib/solver_search.c lib/solver_ip.c lib/solver_pick.c \
	lib/solver_order.c lib/solver_exact.c
lib_libtide_la_LIBADD += -lm
# tided's API (request bodies, munge credentials, the client) and xname-safe host lists.
lib_libtide_la_SOURCES += \
	lib/hostlist.c lib/hostlist.h \
	lib/proto.c lib/proto.h
lib_libtide_la_LIBADD += $(MUNGE_LIBS)
# The Slurm configuration of the lending pools (`tide slurm-conf`; pure).
lib_libtide_la_SOURCES += lib/slurmconf.c lib/slurmconf.h
# Pool plans against SMD's groups, and applying them race-safely (`tide pool plan|apply`).
lib_libtide_la_SOURCES += \
	lib/pool_plan.c lib/pool_plan.h \
	lib/pool_apply.c lib/pool_apply.h

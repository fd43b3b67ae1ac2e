# helper/: the controller side — the `tide` CLI (and later tided).

# The `tide` CLI: tide.c holds main and the command table, cmd_<name>.c one command each.
bin_PROGRAMS += helper/tide
helper_tide_SOURCES = \
	helper/tide.c \
	helper/cli.c helper/cli.h \
	helper/cmd_inventory.c \
	helper/cmd_node.c \
	helper/cmd_pools.c \
	helper/cmd_dump.c
# `tide pool plan|apply` and the hardware matrix it shares with `tide inventory`.
helper_tide_SOURCES += helper/cmd_pool.c helper/hw_matrix.c
# `tide slurm-conf`: the programs' install paths go into power.conf and helpers.conf.
helper_tide_SOURCES += helper/cmd_slurmconf.c
helper_tide_CPPFLAGS = $(AM_CPPFLAGS) -DTIDE_BINDIR='"$(bindir)"' -DTIDE_SBINDIR='"$(sbindir)"'

# tided, the controller: main and signals (tided.c), the API (api.c), the state the API threads and the
# reconcile loop share (tided_state.c), the journal and the metrics.  The reconcile loop's files are
# appended below with `helper_tided_SOURCES +=`.
sbin_PROGRAMS += helper/tided
helper_tided_SOURCES = \
	helper/tided.c helper/tided.h \
	helper/tided_state.c \
	helper/api.c helper/api.h \
	helper/journal.c helper/journal.h \
	helper/metrics.c helper/metrics.h
helper_tided_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(MUNGE_CFLAGS) -pthread
helper_tided_LDADD = $(LDADD) $(MHD_LIBS) $(MUNGE_LIBS) -lpthread
# The reconcile loop: one pass (reconcile.c), its reads (observe.c), the decision per node (decide.c,
# pure), the steps (transition.c; the SMD group moves in group_moves.c), Kubernetes borrow/return (kpool.c), Slurm upkeep (upkeep.c),
# libslurm (slurm.c).
helper_tided_SOURCES += \
	helper/reconcile.c \
	helper/observe.c helper/observe.h \
	helper/decide.c helper/decide.h \
	helper/transition.c helper/transition.h \
	helper/kexec.c helper/kexec.h \
	helper/group_moves.c \
	helper/kpool.c helper/kpool.h \
	helper/upkeep.c helper/upkeep.h \
	helper/slurm.c helper/slurm.h
helper_tided_LDADD += $(SLURM_LDFLAGS) $(SLURM_LIBS)

# The programs Slurm runs (`tide slurm ...`) and the views of tided (`tide status`, `tide leases`).
helper_tide_SOURCES += helper/cmd_slurm.c helper/cmd_status.c
# Slurm runs a program path with arguments of its own: tide-slurm-<program> are symlinks to tide,
# which maps its name to `tide slurm <program>` (tide.c).
tide_slurm_links = resume suspend resume-fail reboot prolog epilog
install-exec-hook: install-tide-slurm-links
uninstall-hook: uninstall-tide-slurm-links
install-tide-slurm-links:
	for p in $(tide_slurm_links); do \
	  rm -f "$(DESTDIR)$(bindir)/tide-slurm-$$p" && \
	  ln -s tide "$(DESTDIR)$(bindir)/tide-slurm-$$p" || exit 1; \
	done
uninstall-tide-slurm-links:
	for p in $(tide_slurm_links); do rm -f "$(DESTDIR)$(bindir)/tide-slurm-$$p"; done
.PHONY: install-tide-slurm-links uninstall-tide-slurm-links

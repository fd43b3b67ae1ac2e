# nodefeatures/: tide on the compute nodes — tide-node, the node_features/helpers Helper.
sbin_PROGRAMS += nodefeatures/tide-node
nodefeatures_tide_node_SOURCES = nodefeatures/tide-node.c
dist_man_MANS += doc/tide-node.8
# The node-side Prolog's image check (pure: tests/unit/test_image_gate.c), and the name Prolog= runs it
# under (Prolog= takes no arguments): tide-node-prolog, a symlink to tide-node.
nodefeatures_tide_node_SOURCES += nodefeatures/image_gate.c nodefeatures/image_gate.h
install-exec-hook: install-tide-node-prolog-link
uninstall-hook: uninstall-tide-node-prolog-link
install-tide-node-prolog-link:
	rm -f "$(DESTDIR)$(sbindir)/tide-node-prolog" && ln -s tide-node "$(DESTDIR)$(sbindir)/tide-node-prolog"
uninstall-tide-node-prolog-link:
	rm -f "$(DESTDIR)$(sbindir)/tide-node-prolog"
.PHONY: install-tide-node-prolog-link uninstall-tide-node-prolog-link
# The node agent (`tide-node agent`): tided switches a running node's image by kexec through it.
# cmdline.c: the kernel command line, shared by the Helper, the Prolog and the agent.
nodefeatures_tide_node_SOURCES += nodefeatures/cmdline.c nodefeatures/cmdline.h \
	nodefeatures/agent.c nodefeatures/agent_kexec.c nodefeatures/agent.h
nodefeatures_tide_node_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(MUNGE_CFLAGS) -pthread
nodefeatures_tide_node_LDADD = $(LDADD) $(MHD_LIBS) $(MUNGE_LIBS) -lpthread

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

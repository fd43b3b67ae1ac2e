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

/*
 * cmdline.h - what a node knows from the kernel command line it booted with:
 * the image tide booted it in (tide.image=) and its xname (xname=, which BSS
 * adds to every boot script).  Shared by tide-node's modes and its agent.
 *
 * The command line is $TIDE_CMDLINE when set (the testbed simulates each
 * node's /proc/cmdline), else /proc/cmdline.
 */
#ifndef TIDE_NODE_CMDLINE_H
#define TIDE_NODE_CMDLINE_H

#include "err.h"

#define TIDE_IMAGE_KEY "tide.image="
#define TIDE_XNAME_KEY "xname="        /* BSS adds xname=<node> to every boot script */

/* $TIDE_CMDLINE, else /proc/cmdline. */
const char *tide_node_cmdline_path(void);

/* The kernel command line at path (NUL bytes, as in some simulated files, read as blanks).  NULL with e
 * set.  Caller frees. */
char *tide_node_read_cmdline(const char *path, tide_err *e);

/*
 * The value of the LAST `key` parameter of a kernel command line (a later
 * parameter overrides an earlier one, as for the kernel's own), or NULL.
 * Parameters are separated by blanks; double quotes group blanks into a
 * value and are dropped, as the kernel does.  Caller frees.
 */
char *tide_node_cmdline_value(const char *cmdline, const char *key);

/* This node's xname: xname= of the command line, else the host name when it is one.  NULL with e set.
 * Caller frees. */
char *tide_node_xname(const char *cmdline, tide_err *e);

#endif

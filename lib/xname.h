/*
 * xname.h - HPE/OpenCHAMI component names (x1000c0s0b0n0), as SMD reads them.
 *
 * No I/O.  Normalisation is SMD's: lower case, leading zeros dropped.
 * Locality follows the physical hierarchy cabinet > chassis > slot > BMC > node.
 */
#ifndef TIDE_XNAME_H
#define TIDE_XNAME_H

#include <stddef.h>

typedef enum {
    TIDE_XNAME_INVALID = 0,
    TIDE_XNAME_SYSTEM,       /* s0, all */
    TIDE_XNAME_PARTITION,    /* p1, p1.2 */
    TIDE_XNAME_CABINET,      /* x1000 */
    TIDE_XNAME_CHASSIS,      /* x1000c0 */
    TIDE_XNAME_SLOT,         /* x1000c0s0 (ComputeModule) */
    TIDE_XNAME_BMC,          /* x1000c0s0b0 (NodeBMC) */
    TIDE_XNAME_NODE,         /* x1000c0s0b0n0 */
    TIDE_XNAME_PROCESSOR,    /* ...n0p0 */
    TIDE_XNAME_MEMORY,       /* ...n0d0 */
    TIDE_XNAME_ACCEL,        /* ...n0a0 */
    TIDE_XNAME_HSN_NIC,      /* ...n0h0 */
    TIDE_XNAME_NIC,          /* ...n0i0 */
    TIDE_XNAME_ACCEL_RISER,  /* ...n0r0 */
    TIDE_XNAME_DRIVE,        /* ...n0g0k0 */
    TIDE_XNAME_ROUTER_MODULE,/* x1000c0r0 */
    TIDE_XNAME_ROUTER_BMC,   /* x1000c0r0b0 */
    TIDE_XNAME_ENCLOSURE,    /* x1000c0s0e0 */
} tide_xname_type;

typedef struct tide_xname {
    tide_xname_type type;
    int cabinet, chassis, slot, bmc, node;   /* -1 where not part of the name */
    char child;                              /* 'p','d','a','h','i','r','g' for node children, else 0 */
    int child_index;
} tide_xname;

/* Parse (case-insensitive, leading zeros allowed).  Returns the type; INVALID on error. */
tide_xname_type tide_xname_parse(const char *s, tide_xname *out);
/* Normalised copy (lower case, no leading zeros); NULL when s is not an xname.  Caller frees. */
char *tide_xname_normalize(const char *s);
/* Write the normalised form into buf; returns 0, or -1 when invalid or too long. */
int tide_xname_normalize_buf(const char *s, char *buf, size_t size);
const char *tide_xname_type_name(tide_xname_type t);  /* SMD's HMS type name: "Node", "Memory", ... */
/* The node a node child (processor, DIMM, GPU, NIC...) belongs to, into buf; -1 when s has none. */
int tide_xname_node_of(const char *s, char *buf, size_t size);
/* Prefix keys for locality: level 1 cabinet "xX", 2 chassis "xXcC", 3 slot, 4 BMC. */
int tide_xname_prefix(const char *s, int level, char *buf, size_t size);
/* 0 same BMC, 1 same slot, 2 same chassis, 3 same cabinet, 4 different cabinets; -1 when invalid. */
int tide_xname_distance(const char *a, const char *b);
/* Order xnames by their numbers (x2 < x10), the order admins expect in tables. */
int tide_xname_cmp(const char *a, const char *b);

/* xname normalised into buf for comparing with parsed names; s itself when it is not an xname. */
const char *tide_xname_or_self(const char *s, char *buf, size_t size);

#endif

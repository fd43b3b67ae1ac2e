/*
 * model.h - the hardware of one node, as tide reasons about it.
 *
 * Built from SMD's hardware inventory by inventory.c, consumed by the CLI
 * views, the pattern matcher and the solver.  Plain data, no I/O.
 */
#ifndef TIDE_MODEL_H
#define TIDE_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* A multiset of names: model string -> how many (sockets, devices, DIMMs, NICs). */
typedef struct tide_count {
    char *name;
    int   count;
} tide_count;

typedef struct tide_counts {
    tide_count *items;   /* sorted by name (strcmp), names unique */
    size_t      n;
} tide_counts;

void tide_counts_add(tide_counts *c, const char *name, int n);
int  tide_counts_get(const tide_counts *c, const char *name);  /* 0 when absent */
int  tide_counts_total(const tide_counts *c);
void tide_counts_free(tide_counts *c);

/* MEMORY_CAPACITY_LCM of clstr: memory is counted in units of 16 GiB per node. */
#define TIDE_MEMORY_UNIT_MIB 16384

typedef struct tide_node_hw {
    char       *xname;          /* normalised node xname */
    tide_counts processors;     /* processor model -> sockets */
    tide_counts accelerators;   /* accelerator model -> devices */
    tide_counts hsn_nics;       /* HSN NIC model (SMD: NodeHsnNicLocationInfo.Description) -> NICs */
    tide_counts dimms;          /* DIMM size "16384" (MiB, decimal) -> DIMMs */
    int64_t     memory_mib;     /* sum of CapacityMiB over populated DIMMs */
    char      **empty_slots;    /* xnames of components whose Status is "Empty" */
    size_t      nempty;
} tide_node_hw;

/* floor(memory_mib / 16 GiB): clstr's per-node memory units. */
int64_t tide_node_memory_units(const tide_node_hw *n);
void tide_node_hw_free(tide_node_hw *n);  /* frees the members, not n */

#endif

/*
 * inventory.h - SMD's hardware inventory, read the way tide reasons about it.
 *
 * Input: the body of `GET /Inventory/Hardware/Query/{xname}` as SMD sent it
 * (sm.SystemHWInventory, NestNodesOnly: {"XName","Format","Nodes":[...]};
 * child entries that SMD could not nest under a node, or a FullyFlat body,
 * come as top-level "Processors", "Memory", "NodeAccels", "NodeHsnNics" arrays
 * and are credited to the node their xname names).
 *
 * What is read (clstr's extraction, plus HSN NICs and empty slots):
 *   Processors[*].PopulatedFRU.ProcessorFRUInfo.Model        -> processors
 *   NodeAccels[*].PopulatedFRU.NodeAccelFRUInfo.Model        -> accelerators
 *   Memory[*].PopulatedFRU.MemoryFRUInfo.CapacityMiB         -> dimms, memory_mib
 *   NodeHsnNics[*].NodeHsnNicLocationInfo.Description
 *       (else PopulatedFRU.NodeHsnNicFRUInfo.Model)          -> hsn_nics
 *   any of them with "Status":"Empty"                        -> empty_slots
 * Anything missing or of the wrong type is skipped, never fatal: a real
 * site's inventory has holes.  No I/O.
 */
#ifndef TIDE_INVENTORY_H
#define TIDE_INVENTORY_H

#include <stddef.h>

#include <json-c/json.h>

#include "err.h"
#include "model.h"

/* The hardware of many nodes, sorted by tide_xname_cmp, one entry per node. */
typedef struct tide_inventory {
    tide_node_hw *nodes;
    size_t        n;
} tide_inventory;

/* Read an inventory body.  Fails only when the body is not a JSON object. */
int tide_inventory_parse(json_object *body, tide_inventory *out, tide_err *e);
void tide_inventory_free(tide_inventory *inv);
/* The node with this xname (any spelling SMD accepts), or NULL. */
const tide_node_hw *tide_inventory_find(const tide_inventory *inv, const char *xname);

/*
 * One line that tells node kinds apart, e.g.
 * "2x AMD EPYC 7742 64-Core Processor, 4x NVIDIA_A100-SXM4-80GB, 512 GiB,
 *  1x SS11 200Gb 2P NIC Mezz REV02 (HSN)": processors, accelerators, memory,
 * HSN NICs; "no inventory" when SMD knows nothing of the node.  Caller frees.
 */
char *tide_node_hw_profile(const tide_node_hw *n);

/* ---- per-component listing (`tide node`) ------------------------------ */

#define TIDE_MISSING_INFO "*** Missing info"

typedef struct tide_hw_component {
    char       *xname;   /* normalised, or as SMD wrote it when it is not an xname */
    const char *type;    /* "Processor", "Memory", "NodeAccel", "NodeHsnNic" (static) */
    char       *info;    /* model, "16384 MiB" for a DIMM, TIDE_MISSING_INFO when empty or unknown */
    int         empty;   /* SMD says "Status":"Empty" */
} tide_hw_component;

typedef struct tide_hw_components {
    tide_hw_component *items;  /* processors, memory, accelerators, HSN NICs; each in xname order */
    size_t             n;
} tide_hw_components;

/* The components of `node` found in an inventory body (none is not an error). */
int tide_inventory_components(json_object *body, const char *node, tide_hw_components *out, tide_err *e);
void tide_hw_components_free(tide_hw_components *c);

#endif

/* gen_inventory.c - see gen_inventory.h. */
#include "gen_inventory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "strbuf.h"

#define HSN_NIC "SS11 200Gb 2P NIC Mezz REV02 (HSN)"

typedef struct profile {
    const char *name;
    int         weight;       /* share of chassis, in percent */
    const char *cpu;
    int         cpus;
    const char *accel;
    int         accels;
    int         dimms;
    int         dimm_mib;
    int         nics;
} profile;

static const profile profiles[] = {
    { "cpu-7742",     25, "AMD EPYC 7742 64-Core Processor", 2, NULL, 0, 16, 16384, 1 },
    { "cpu-7742-512", 10, "AMD EPYC 7742 64-Core Processor", 2, NULL, 0, 16, 32768, 1 },
    { "cpu-7763",     10, "AMD EPYC 7763 64-Core Processor", 2, NULL, 0, 16, 16384, 1 },
    { "cpu-9654",     10, "AMD EPYC 9654 96-Core Processor", 2, NULL, 0, 24, 32768, 1 },
    { "a100-40",       8, "AMD EPYC 7713 64-Core Processor", 1, "NVIDIA_A100-SXM4-40GB", 4, 8, 32768, 4 },
    { "a100-80",       8, "AMD EPYC 7713 64-Core Processor", 1, "NVIDIA_A100-SXM4-80GB", 4, 8, 65536, 4 },
    { "h100",          8, "AMD EPYC 9334 32-Core Processor", 2, "NVIDIA H100 80GB HBM3", 4, 16, 65536, 4 },
    { "mi200",        10, "AMD EPYC 7A53 64-Core Processor", 1, "AMD INSTINCT MI200 (MCM) OAM LC", 8, 8, 65536, 4 },
    { "mi300a",        6, "AMD Instinct MI300A Accelerator", 4, "AMD INSTINCT MI300A", 4, 8, 65536, 4 },
    { "bigmem",        5, "Intel(R) Xeon(R) Gold 6348 CPU @ 2.60GHz", 2, NULL, 0, 32, 65536, 1 },
};
#define NPROFILES (sizeof(profiles) / sizeof(profiles[0]))

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t pick_profile(uint64_t *rs)
{
    int r = (int)(next(rs) % 100);
    for (size_t p = 0; p < NPROFILES; p++) {
        if (r < profiles[p].weight)
            return p;
        r -= profiles[p].weight;
    }
    return 0;
}

static void fill_node(tide_node_hw *n, const profile *pr, int holes)
{
    char size[32];
    tide_counts_add(&n->processors, pr->cpu, pr->cpus);
    if (pr->accel)
        tide_counts_add(&n->accelerators, pr->accel, pr->accels);
    tide_counts_add(&n->hsn_nics, HSN_NIC, pr->nics);
    snprintf(size, sizeof(size), "%d", pr->dimm_mib);
    tide_counts_add(&n->dimms, size, pr->dimms - holes);
    n->memory_mib = (int64_t)(pr->dimms - holes) * pr->dimm_mib;
    if (holes) {
        n->empty_slots = xmalloc(sizeof(char *) * (size_t)holes);
        for (int h = 0; h < holes; h++)
            n->empty_slots[h] = xasprintf("%sd%d", n->xname, pr->dimms - holes + h);
        n->nempty = (size_t)holes;
    }
}

void bench_site_generate(bench_site *s, size_t nodes, uint64_t seed, int diverse)
{
    uint64_t rs = seed;
    size_t used[NPROFILES][4] = { { 0 } };
    memset(s, 0, sizeof(*s));
    s->n = nodes;
    s->hw = xcalloc(nodes + 1, sizeof(*s->hw));
    s->in_target = xcalloc(nodes + 1, 1);
    s->candidate = xcalloc(nodes + 1, 1);
    size_t chassis_profile = 0, blade_profile = 0, blade_group = 0;
    int mixed = 0;
    for (size_t i = 0; i < nodes; i++) {
        size_t cab = i / 256, ch = i / 32 % 8, slot = i / 4 % 8, bmc = i / 2 % 2, node = i % 2;
        if (i % 32 == 0) {
            chassis_profile = pick_profile(&rs);
            mixed = next(&rs) % 5 == 0;
        }
        if (i % 4 == 0) {
            blade_profile = mixed ? pick_profile(&rs) : chassis_profile;
            uint64_t r = next(&rs) % 100;
            blade_group = r < 2 ? 0 : r < 7 ? 2 : 1;   /* 0 target, 1 free, 2 other */
        }
        tide_node_hw *n = &s->hw[i];
        n->xname = xasprintf("x%zuc%zus%zub%zun%zu", 1000 + cab, ch, slot, bmc, node);
        int holes = blade_profile == 0 && next(&rs) % 100 == 0;
        if (diverse && next(&rs) % 10 == 0)
            holes = 1 + (int)(next(&rs) % 3);
        fill_node(n, &profiles[blade_profile], holes);
        used[blade_profile][holes]++;
        s->in_target[i] = blade_group == 0;
        s->candidate[i] = blade_group != 2;
    }
    for (size_t p = 0; p < NPROFILES; p++)
        for (int h = 0; h < 4; h++)
            s->nprofiles += used[p][h] > 0;
}

void bench_site_free(bench_site *s)
{
    for (size_t i = 0; i < s->n; i++)
        tide_node_hw_free(&s->hw[i]);
    free(s->hw);
    free(s->in_target);
    free(s->candidate);
    memset(s, 0, sizeof(*s));
}

/* ---- the dump, in SMD's shapes ---- */

static json_object *fru(const char *type, const char *info_key, json_object *info, const char *id)
{
    json_object *f = json_object_new_object();
    json_object_object_add(f, "FRUID", json_object_new_string(id));
    json_object_object_add(f, "Type", json_object_new_string(type));
    json_object_object_add(f, "Subtype", json_object_new_string(""));
    char kind[64];
    snprintf(kind, sizeof(kind), "HWInvByFRU%s", type);
    json_object_object_add(f, "HWInventoryByFRUType", json_object_new_string(kind));
    json_object_object_add(f, info_key, info);
    return f;
}

static json_object *location(const char *id, const char *type, int ordinal, const char *loc_key,
                             json_object *loc, json_object *populated)
{
    json_object *o = json_object_new_object();
    char kind[64];
    json_object_object_add(o, "ID", json_object_new_string(id));
    json_object_object_add(o, "Type", json_object_new_string(type));
    json_object_object_add(o, "Ordinal", json_object_new_int(ordinal));
    json_object_object_add(o, "Status", json_object_new_string(populated ? "Populated" : "Empty"));
    snprintf(kind, sizeof(kind), "HWInvByLoc%s", type);
    json_object_object_add(o, "HWInventoryByLocationType", json_object_new_string(kind));
    json_object_object_add(o, loc_key, loc);
    if (populated)
        json_object_object_add(o, "PopulatedFRU", populated);
    return o;
}

static json_object *loc_info(const char *id, const char *description)
{
    json_object *l = json_object_new_object();
    json_object_object_add(l, "Id", json_object_new_string(id));
    json_object_object_add(l, "Name", json_object_new_string(""));
    json_object_object_add(l, "Description", json_object_new_string(description));
    return l;
}

static json_object *node_json(const tide_node_hw *n)
{
    char id[96], fruid[160], lid[32];
    const char *cpu = n->processors.items[0].name;
    int cpus = n->processors.items[0].count;
    json_object *nli = loc_info("Node0", "");
    json_object_object_add(nli, "HostName", json_object_new_string(""));
    json_object *ps = json_object_new_object();
    json_object_object_add(ps, "Count", json_object_new_int(cpus));
    json_object_object_add(ps, "Model", json_object_new_string(cpu));
    json_object_object_add(nli, "ProcessorSummary", ps);
    json_object *ms = json_object_new_object();
    json_object_object_add(ms, "TotalSystemMemoryGiB", json_object_new_int64(n->memory_mib / 1024));
    json_object_object_add(nli, "MemorySummary", ms);
    json_object *nfi = json_object_new_object();
    json_object_object_add(nfi, "Manufacturer", json_object_new_string("HPE"));
    json_object_object_add(nfi, "Model", json_object_new_string("EX425"));
    json_object_object_add(nfi, "SerialNumber", json_object_new_string(n->xname));
    json_object_object_add(nfi, "SystemType", json_object_new_string("Physical"));
    snprintf(fruid, sizeof(fruid), "Node.HPE.%s", n->xname);
    json_object *node = location(n->xname, "Node", 0, "NodeLocationInfo", nli, fru("Node", "NodeFRUInfo", nfi, fruid));

    json_object *procs = json_object_new_array();
    for (int p = 0; p < cpus; p++) {
        json_object *pfi = json_object_new_object();
        json_object_object_add(pfi, "InstructionSet", json_object_new_string("x86-64"));
        json_object_object_add(pfi, "Manufacturer", json_object_new_string("AMD"));
        json_object_object_add(pfi, "Model", json_object_new_string(cpu));
        json_object_object_add(pfi, "ProcessorType", json_object_new_string("CPU"));
        json_object_object_add(pfi, "TotalCores", json_object_new_int(64));
        snprintf(id, sizeof(id), "%sp%d", n->xname, p);
        snprintf(lid, sizeof(lid), "CPU%d", p);
        snprintf(fruid, sizeof(fruid), "Processor.%s", id);
        json_object *loc = loc_info(lid, "");
        json_object_object_add(loc, "Socket", json_object_new_string(lid));
        json_object_array_add(procs, location(id, "Processor", p, "ProcessorLocationInfo", loc,
                                              fru("Processor", "ProcessorFRUInfo", pfi, fruid)));
    }
    json_object_object_add(node, "Processors", procs);

    json_object *mem = json_object_new_array();
    int d = 0;
    for (size_t k = 0; k < n->dimms.n; k++) {
        for (int c = 0; c < n->dimms.items[k].count; c++, d++) {
            json_object *mfi = json_object_new_object();
            json_object_object_add(mfi, "CapacityMiB", json_object_new_int(atoi(n->dimms.items[k].name)));
            json_object_object_add(mfi, "MemoryDeviceType", json_object_new_string("DDR4"));
            json_object_object_add(mfi, "OperatingSpeedMhz", json_object_new_int(3200));
            snprintf(id, sizeof(id), "%sd%d", n->xname, d);
            snprintf(lid, sizeof(lid), "DIMM%d", d);
            snprintf(fruid, sizeof(fruid), "Memory.%s", id);
            json_object_array_add(mem, location(id, "Memory", d, "MemoryLocationInfo", loc_info(lid, ""),
                                                fru("Memory", "MemoryFRUInfo", mfi, fruid)));
        }
    }
    for (size_t k = 0; k < n->nempty; k++) {
        snprintf(lid, sizeof(lid), "DIMM%d", d);
        json_object_array_add(mem, location(n->empty_slots[k], "Memory", d++, "MemoryLocationInfo",
                                            loc_info(lid, ""), NULL));
    }
    json_object_object_add(node, "Memory", mem);

    if (n->accelerators.n) {
        json_object *acc = json_object_new_array();
        for (int a = 0; a < n->accelerators.items[0].count; a++) {
            json_object *afi = json_object_new_object();
            json_object_object_add(afi, "Model", json_object_new_string(n->accelerators.items[0].name));
            json_object_object_add(afi, "Manufacturer", json_object_new_string(""));
            snprintf(id, sizeof(id), "%sa%d", n->xname, a);
            snprintf(fruid, sizeof(fruid), "NodeAccel.%s", id);
            json_object_array_add(acc, location(id, "NodeAccel", a, "NodeAccelLocationInfo", loc_info("", ""),
                                                fru("NodeAccel", "NodeAccelFRUInfo", afi, fruid)));
        }
        json_object_object_add(node, "NodeAccels", acc);
    }
    json_object *nics = json_object_new_array();
    for (int h = 0; h < n->hsn_nics.items[0].count; h++) {
        json_object *hfi = json_object_new_object();
        json_object_object_add(hfi, "Model", json_object_new_string(""));
        snprintf(id, sizeof(id), "%sh%d", n->xname, h);
        snprintf(lid, sizeof(lid), "HPCNet%d", h);
        snprintf(fruid, sizeof(fruid), "NodeHsnNic.%s", id);
        json_object_array_add(nics, location(id, "NodeHsnNic", h, "NodeHsnNicLocationInfo",
                                             loc_info(lid, n->hsn_nics.items[0].name),
                                             fru("NodeHsnNic", "NodeHsnNicFRUInfo", hfi, fruid)));
    }
    json_object_object_add(node, "NodeHsnNics", nics);
    return node;
}

static json_object *group_json(const char *label, const bench_site *s, int which)
{
    json_object *g = json_object_new_object(), *members = json_object_new_object(), *ids = json_object_new_array();
    json_object_object_add(g, "label", json_object_new_string(label));
    json_object_object_add(g, "description", json_object_new_string(""));
    json_object_object_add(g, "exclusiveGroup", json_object_new_string("tide"));
    for (size_t i = 0; i < s->n; i++) {
        int grp = s->in_target[i] ? 0 : s->candidate[i] ? 1 : 2;
        if (grp == which)
            json_object_array_add(ids, json_object_new_string(s->hw[i].xname));
    }
    json_object_object_add(members, "ids", ids);
    json_object_object_add(g, "members", members);
    return g;
}

char *bench_site_dump(const bench_site *s)
{
    json_object *dump = json_object_new_object(), *comps = json_object_new_object(), *list = json_object_new_array();
    for (size_t i = 0; i < s->n; i++) {
        json_object *c = json_object_new_object();
        json_object_object_add(c, "ID", json_object_new_string(s->hw[i].xname));
        json_object_object_add(c, "Type", json_object_new_string("Node"));
        json_object_object_add(c, "State", json_object_new_string("Ready"));
        json_object_object_add(c, "Flag", json_object_new_string("OK"));
        json_object_object_add(c, "Enabled", json_object_new_boolean(1));
        json_object_object_add(c, "Role", json_object_new_string("Compute"));
        json_object_object_add(c, "NID", json_object_new_int64((int64_t)i + 1));
        json_object_object_add(c, "Arch", json_object_new_string("X86"));
        json_object_object_add(c, "Class", json_object_new_string("Mountain"));
        json_object_array_add(list, c);
    }
    json_object_object_add(comps, "Components", list);
    json_object_object_add(dump, "components", comps);
    json_object *groups = json_object_new_array();
    json_object_array_add(groups, group_json("bench", s, 0));
    json_object_array_add(groups, group_json("nodes_free", s, 1));
    json_object_array_add(groups, group_json("k8s_workers", s, 2));
    json_object_object_add(dump, "groups", groups);
    json_object *inv = json_object_new_object(), *nodes = json_object_new_array();
    json_object_object_add(inv, "XName", json_object_new_string("s0"));
    json_object_object_add(inv, "Format", json_object_new_string("NestNodesOnly"));
    for (size_t i = 0; i < s->n; i++)
        json_object_array_add(nodes, node_json(&s->hw[i]));
    json_object_object_add(inv, "Nodes", nodes);
    json_object_object_add(dump, "inventory", inv);
    char *text = xstrdup(json_object_to_json_string_ext(dump, JSON_C_TO_STRING_PLAIN));
    json_object_put(dump);
    return text;
}

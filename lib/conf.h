/*
 * conf.h - tide.conf, the one configuration file (tide.conf(5)).
 *
 * Slurm-style: `Key=Value` pairs, several per line, `#` comments, values with
 * blanks in double quotes, keys case-insensitive.  A line that starts with
 * `Pool=` or `Image=` is a record: every pair on it belongs to that record.
 * `Include=GLOB` reads more files in place.  Every error names file:line.
 */
#ifndef TIDE_CONF_H
#define TIDE_CONF_H

#include <stddef.h>

#include "err.h"

#define TIDE_DEFAULT_CONF SYSCONFDIR "/tide/tide.conf"
/* AgentPort= when tide.conf has none: the node agent's TCP port (tided's own API is 6821). */
#define TIDE_DEFAULT_AGENT_PORT 6820

typedef enum {
    TIDE_POOL_FREE,        /* idle nodes anyone may take */
    TIDE_POOL_KUBERNETES,  /* Kubernetes workers: drain before borrowing */
    TIDE_POOL_SLURM,       /* the nodes Slurm uses now (SlurmPool=) */
    TIDE_POOL_TENANT,      /* a group tide manages but does not lend */
} tide_pool_kind;

typedef struct tide_pool_conf {
    char *name;            /* Pool=  */
    char *group;           /* Group= SMD group label (default: the pool name) */
    tide_pool_kind kind;   /* Kind=free|kubernetes|slurm|tenant */
    int   cost;            /* Cost= pull cost (default 1) */
    int   park;            /* Park=on|off: power nodes off while idle in this pool */
    char *kubeconfig;      /* Kubeconfig= (Kind=kubernetes) */
    char *home_image;      /* HomeImage= image the node runs while home */
    int   max_borrow;      /* MaxBorrow= nodes, or percent when max_borrow_percent */
    int   max_borrow_percent;
    int   drain_timeout;   /* DrainTimeout= seconds (default 600) */
    char *where;           /* "file:line" of the record, for later messages */
} tide_pool_conf;

typedef enum { TIDE_TRANSITION_REBOOT, TIDE_TRANSITION_KEXEC } tide_transition;

typedef struct tide_image_conf {
    char *name;            /* Image= */
    char *kernel;          /* Kernel= URL */
    char *initrd;          /* Initrd= URL */
    char *params;          /* Params= kernel command line (tide adds tide.image=<name>) */
    char *cloud_init_group;/* CloudInitGroup= */
    tide_transition transition; /* Transition=kexec|reboot (default reboot) */
    char *where;
} tide_image_conf;

typedef struct tide_conf {
    char *path;            /* the file that was read */

    /* services */
    char *smd_url, *bss_url, *pcs_url;
    char *token_file;                          /* TokenFile= */
    char *token_url, *client_id, *client_secret_file; /* OAuth2 client credentials */
    char *ca_file;                             /* CaFile= */
    int   tls_verify;                          /* TlsVerify=yes|no (default yes) */
    int   connect_timeout;                     /* ConnectTimeout= seconds (default 5) */
    int   request_timeout;                     /* RequestTimeout= seconds (default 30) */
    int   retries;                             /* Retries= (default 3) */
    char *redfish_user, *redfish_password_file;/* RedfishUser=, RedfishPasswordFile= */

    /* controller */
    char *listen;          /* Listen= */
    char *state_dir;       /* StateDir= */
    char *exclusive_group; /* ExclusiveGroup= (default "tide") */
    char *slurm_pool;      /* SlurmPool= */
    char *default_image;   /* DefaultImage= */
    int   quarantine_after;/* QuarantineAfter= (default 3) */
    int   boot_timeout;    /* BootTimeout= seconds from a boot to slurmd's registration (default 300) */
    char *munge_socket;    /* MungeSocket= munged's socket (NULL: libmunge's default) */
    char *slurm_user;      /* SlurmUser= the user Slurm runs tide's programs as (default "slurm") */
    int   bulk_group_moves;/* BulkGroupMoves=yes|no: SMD group moves by PUT members (default yes) */
    int   agent_port;      /* AgentPort= TCP port of the node agent, `tide-node agent` (default 6820) */

    tide_pool_conf  *pools;  size_t npools;
    tide_image_conf *images; size_t nimages;
} tide_conf;

/* Read and check `path` (and its includes).  Returns NULL with e set on error. */
tide_conf *tide_conf_load(const char *path, tide_err *e);
/* Parse from a string; `name` is used in messages in place of a file name. */
tide_conf *tide_conf_parse(const char *text, const char *name, tide_err *e);
void tide_conf_free(tide_conf *c);

/* The file to read: `explicit` if given, else $TIDE_CONF, else TIDE_DEFAULT_CONF. */
const char *tide_conf_path(const char *explicit_path);

const tide_pool_conf  *tide_conf_pool(const tide_conf *c, const char *name);
const tide_pool_conf  *tide_conf_pool_by_group(const tide_conf *c, const char *group);
const tide_image_conf *tide_conf_image(const tide_conf *c, const char *name);
const char *tide_pool_kind_name(tide_pool_kind k);

#endif

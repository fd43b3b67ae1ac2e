/*
 * kexec.c - see kexec.h.
 *
 * One POST per node, one after the other: an agent that is up answers at
 * once (it acts after its 202), one that is not refuses the connection, and
 * only a hung host costs the connect timeout.  The choice lets through only
 * nodes Slurm shows up, so the slow case is rare; a cold boot never waits
 * on an agent.
 */
#include "kexec.h"

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "journal.h"
#include "log.h"
#include "metrics.h"
#include "proto.h"
#include "strbuf.h"

/* ---- the choice (pure) ----------------------------------------------------------- */

const char *tided_kexec_refusal(const tided_kexec_facts *f)
{
    const tided_slurm_node *s = f->slurm;

    if (!f->image)
        return "the image has no Image= record";
    if (f->image->transition != TIDE_TRANSITION_KEXEC)
        return "the image has Transition=reboot";
    if (!s)
        return "Slurm does not know the node";
    if (s->powered_down || s->powering_down)
        return "Slurm shows the node powered down";
    /* Slurm 22.05 (seen on the testbed) marks every node it resumes NOT_RESPONDING until slurmd registers
     * again, running ones included, and a node it reboots DOWN+REBOOT_ISSUED: neither says the OS is gone. */
    if (s->base == TIDED_SLURM_DOWN && !s->reboot_issued)
        return "Slurm shows the node down";
    if (f->strikes > 0)
        return "its last acquire failed: a cold boot this time";
    if (!s->reboot_issued && f->lease_booted == 0)
        return "it comes from off (claimed by this acquire)";
    return NULL;
}

char *tided_agent_url(const char *addr, int port, const char *path)
{
    int v6 = strchr(addr, ':') != NULL && addr[0] != '[';
    return xasprintf("http://%s%s%s:%d%s", v6 ? "[" : "", addr, v6 ? "]" : "", port, path);
}

json_object *tided_kexec_body(const char *node, const tide_image_conf *img)
{
    json_object *o = json_object_new_object();
    char *params = tided_image_params(img);
    json_object_object_add(o, "node", json_object_new_string(node));
    json_object_object_add(o, "image", json_object_new_string(img->name));
    json_object_object_add(o, "kernel", json_object_new_string(img->kernel ? img->kernel : ""));
    json_object_object_add(o, "initrd", json_object_new_string(img->initrd ? img->initrd : ""));
    json_object_object_add(o, "params", json_object_new_string(params));
    free(params);
    return o;
}

/* ---- the agents' client ------------------------------------------------------------ */

static tide_http *open_agents(const tide_conf *c, tide_err *e)
{
    tide_http_opts o;
    tide_http_opts_init(&o, "node agent", "http://agent");
    o.connect_timeout_s = TIDED_AGENT_CONNECT_TIMEOUT;
    o.total_timeout_s = TIDED_AGENT_TIMEOUT;
    o.retries = 0;   /* a refusal or a silence is answered by PCS, not by asking again */
    o.header_fn = tide_munge_header;   /* bound to "POST /v1/kexec\n" + body, as tided's API */
    o.header_ctx = c->munge_socket;
    return tide_http_new(&o, e);
}

/* POST the kexec to n's agent.  0 when it answered 202; -1 with e set otherwise. */
static int post_kexec(tided_run *r, tide_http *agents, const tided_node *n, const tide_image_conf *img,
                      tide_err *e)
{
    const char *addr = n->slurm->addr ? n->slurm->addr : n->name;   /* Slurm's default NodeAddr */
    char *url = tided_agent_url(addr, r->d->conf->agent_port, TIDED_AGENT_KEXEC_PATH);
    json_object *body = tided_kexec_body(n->name, img);
    const char *text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    tide_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    int rc = tide_http_send(agents, "POST", url, "application/json", text, &resp, e);
    if (rc == 0 && resp.status != 202) {
        if (resp.status >= 400)
            tide_http_status_error(agents, "POST", url, &resp, e);
        else
            tide_err_set(e, "node agent: POST %s: HTTP %ld, not 202", url, resp.status);
        rc = -1;
    }
    tide_http_resp_free(&resp);
    json_object_put(body);
    free(url);
    return rc;
}

/* ---- the step ---------------------------------------------------------------------- */

/* An accepted kexec: the boot is done as far as tided can tell; verify takes over. */
static void kexec_booted(tided_run *r, tided_node *n, double seconds)
{
    n->boot_pending = 0;
    n->booted = 1;
    n->boot_at = n->boot_done_at = r->now;
    n->boot_done_mono = tided_mono();
    n->boot_blocked_at = 0;
    n->lease_booted = 1;
    tided_record(r, n, "boot", "kexec", n->image, seconds, "ok", NULL);
    tided_metrics_boot(r->d->metrics, "kexec", "ok");
    tide_info("%s: kexec into %s accepted by its agent", n->name, n->image ? n->image : "?");
}

size_t tided_kexec_boot(tided_run *r, tided_node **nodes, size_t n)
{
    tide_http *agents = r->agent;
    int opened = 0;
    size_t left = 0;

    for (size_t i = 0; i < n; i++) {
        tided_node *node = nodes[i];
        tided_kexec_facts f = {
            .image = node->image ? tide_conf_image(r->d->conf, node->image) : NULL,
            .slurm = node->slurm,
            .lease_booted = node->lease_booted,
            .strikes = node->strikes,
        };
        const char *why = tided_kexec_refusal(&f);
        if (why) {
            if (f.image && f.image->transition == TIDE_TRANSITION_KEXEC)
                tide_verbose("%s: booting through PCS: %s", node->name, why);
            nodes[left++] = node;
            continue;
        }
        tide_err e = { 0 };
        if (!agents && !opened) {
            opened = 1;
            if (!(agents = open_agents(r->d->conf, &e)))
                tide_error("%s", e.msg);
        }
        double t0 = tided_mono();
        if (agents && post_kexec(r, agents, node, f.image, &e) == 0) {
            kexec_booted(r, node, tided_mono() - t0);
            continue;
        }
        /* The agent is not there, or refused: the power service boots it, in this pass. */
        tide_info("%s: no kexec (%s): booting through PCS", node->name, e.msg);
        tided_record(r, node, "boot", "kexec", node->image, -1, "fallback", e.msg);
        tided_metrics_boot(r->d->metrics, "kexec", "fallback");
        nodes[left++] = node;
    }
    if (opened)
        tide_http_free(agents);
    return left;
}

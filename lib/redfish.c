/* redfish.c - see redfish.h. */
#include "redfish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deadline.h"
#include "jsonutil.h"
#include "log.h"
#include "strbuf.h"

#define SYSTEMS "/redfish/v1/Systems"

/* The fallback chains, most wanted first (see redfish.h). */
static const char *const chain_on[] = { "On", "ForceOn", "PushPowerButton", NULL };
static const char *const chain_off[] = { "GracefulShutdown", "ForceOff", "Off", "PushPowerButton", NULL };
/* "Off" is not a standard ResetType, but HPE Cray EX BMCs offer it next to ForceOff. */
static const char *const chain_force_off[] = { "ForceOff", "Off", "GracefulShutdown", "PushPowerButton", NULL };
static const char *const chain_restart[] = { "GracefulRestart", "ForceRestart", "PowerCycle", NULL };
static const char *const chain_force_restart[] = { "ForceRestart", "PowerCycle", "GracefulRestart", NULL };

static const char *const *chain_of(tide_redfish_op op)
{
    switch (op) {
    case TIDE_RF_ON:            return chain_on;
    case TIDE_RF_OFF:           return chain_off;
    case TIDE_RF_FORCE_OFF:     return chain_force_off;
    case TIDE_RF_RESTART:       return chain_restart;
    case TIDE_RF_FORCE_RESTART: return chain_force_restart;
    }
    return chain_on;
}

const char *tide_redfish_op_name(tide_redfish_op op)
{
    switch (op) {
    case TIDE_RF_ON:            return "on";
    case TIDE_RF_OFF:           return "off";
    case TIDE_RF_FORCE_OFF:     return "force-off";
    case TIDE_RF_RESTART:       return "restart";
    case TIDE_RF_FORCE_RESTART: return "force-restart";
    }
    return "?";
}

void tide_redfish_system_free(tide_redfish_system *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nallowed; i++)
        free(s->allowed[i]);
    free(s->allowed);
    free(s->path);
    free(s->power_state);
    free(s->reset_target);
    memset(s, 0, sizeof(*s));
}

/*
 * A Redfish error says "A general error has occurred. See ExtendedInfo for
 * more information." in error.message; the useful words are in
 * error.@Message.ExtendedInfo[].Message.  Add them to the error line.
 */
static int status_error(tide_http *rf, const char *method, const char *path, const tide_http_resp *resp,
                        tide_err *e)
{
    tide_http_status_error(rf, method, path, resp, e);
    json_object *j = NULL;
    tide_http_parse_json(rf, method, path, resp, &j, NULL);
    json_object *info = tide_json_array(tide_json_get(j, "error"), "@Message.ExtendedInfo");
    size_t n = info ? json_object_array_length(info) : 0;
    strbuf b = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        const char *m = tide_json_str(json_object_array_get_idx(info, i), "Message");
        if (m && *m && e && !strstr(e->msg, m))
            strbuf_printf(&b, "%s%s", b.len ? "; " : "", m);
    }
    if (e && b.len) {
        size_t l = strlen(e->msg);
        snprintf(e->msg + l, sizeof(e->msg) - l, " (%s)", strbuf_str(&b));
    }
    strbuf_free(&b);
    json_object_put(j);
    return -1;
}

/* GET a Redfish resource as JSON, with Redfish's error detail on failure. */
static int rf_get(tide_http *rf, const char *path, json_object **out, tide_err *e)
{
    tide_http_resp resp = { 0 };
    int rc = -1;
    *out = NULL;
    if (tide_http_send(rf, "GET", path, NULL, NULL, &resp, e) == 0) {
        if (resp.status < 200 || resp.status >= 300)
            status_error(rf, "GET", path, &resp, e);
        else if (tide_http_parse_json(rf, "GET", path, &resp, out, e) == 0)
            rc = *out ? 0 : tide_err_set(e, "%s: GET %s%s: empty answer", tide_http_service(rf),
                                         tide_http_base_url(rf), path);
    }
    tide_http_resp_free(&resp);
    return rc;
}

static char *system_path(tide_http *rf, const char *system, tide_err *e)
{
    if (system && system[0] == '/')
        return xstrdup(system);
    if (system && *system) {
        strbuf b = STRBUF_INIT;
        strbuf_puts(&b, SYSTEMS "/");
        strbuf_urlencode(&b, system);
        return strbuf_steal(&b);
    }
    json_object *col = NULL;
    if (rf_get(rf, SYSTEMS, &col, e))
        return NULL;
    json_object *members = tide_json_array(col, "Members");
    const char *id = members && json_object_array_length(members)
                   ? tide_json_str(json_object_array_get_idx(members, 0), "@odata.id") : NULL;
    char *path = id ? xstrdup(id) : NULL;
    if (!path)
        tide_err_set(e, "%s: GET %s" SYSTEMS ": the BMC lists no system", tide_http_service(rf),
                     tide_http_base_url(rf));
    else if (json_object_array_length(members) > 1)
        tide_verbose("%s: %s lists %zu systems, using %s", tide_http_service(rf), tide_http_base_url(rf),
                     json_object_array_length(members), path);
    json_object_put(col);
    return path;
}

static void take_allowed(tide_redfish_system *s, json_object *values)
{
    size_t n = json_object_array_length(values);
    s->allowed = xcalloc(n + 1, sizeof(*s->allowed));
    for (size_t i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(values, i);
        if (json_object_is_type(v, json_type_string))
            s->allowed[s->nallowed++] = xstrdup(json_object_get_string(v));
    }
    s->allowed_known = 1;
}

/* Parameters[Name == "ResetType"].AllowableValues of an ActionInfo resource. */
static int read_action_info(tide_http *rf, const char *path, tide_redfish_system *s, tide_err *e)
{
    json_object *info = NULL;
    if (rf_get(rf, path, &info, e))
        return -1;
    json_object *params = tide_json_array(info, "Parameters");
    size_t n = params ? json_object_array_length(params) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *p = json_object_array_get_idx(params, i);
        const char *name = tide_json_str(p, "Name");
        json_object *values = tide_json_array(p, "AllowableValues");
        if (name && !strcmp(name, "ResetType") && values) {
            take_allowed(s, values);
            break;
        }
    }
    json_object_put(info);
    return 0;
}

int tide_redfish_system_get(tide_http *rf, const char *system, tide_redfish_system *out, tide_err *e)
{
    json_object *sys = NULL;
    memset(out, 0, sizeof(*out));
    out->path = system_path(rf, system, e);
    if (!out->path || rf_get(rf, out->path, &sys, e)) {
        tide_redfish_system_free(out);
        return -1;
    }
    const char *ps = tide_json_str(sys, "PowerState");
    out->power_state = xstrdup(ps ? ps : "");

    json_object *reset = tide_json_get(tide_json_get(sys, "Actions"), "#ComputerSystem.Reset");
    const char *target = tide_json_str(reset, "target");
    /* Some BMCs end the target in "/" (HPE XL675d): use it exactly as given. */
    out->reset_target = target && *target ? xstrdup(target)
                                          : xasprintf("%s/Actions/ComputerSystem.Reset", out->path);
    json_object *values = tide_json_array(reset, "ResetType@Redfish.AllowableValues");
    const char *action_info = tide_json_str(reset, "@Redfish.ActionInfo");
    int rc = 0;
    if (values)
        take_allowed(out, values);
    else if (action_info && *action_info)
        rc = read_action_info(rf, action_info, out, e);
    json_object_put(sys);
    if (rc)
        tide_redfish_system_free(out);
    return rc;
}

int tide_redfish_power_state(tide_http *rf, const char *path, char **state, tide_err *e)
{
    json_object *sys = NULL;
    *state = NULL;
    if (rf_get(rf, path, &sys, e))
        return -1;
    const char *ps = tide_json_str(sys, "PowerState");
    *state = xstrdup(ps ? ps : "");
    json_object_put(sys);
    return 0;
}

static int allowed(const tide_redfish_system *s, const char *type)
{
    if (!s->allowed_known)
        return 1;
    for (size_t i = 0; i < s->nallowed; i++)
        if (!strcmp(s->allowed[i], type))
            return 1;
    return 0;
}

/* The first allowed entry of chain at or after *pos (advanced past it), or NULL. */
static const char *next_allowed(const tide_redfish_system *s, const char *const *chain, size_t *pos)
{
    for (; chain[*pos]; (*pos)++)
        if (allowed(s, chain[*pos]))
            return chain[(*pos)++];
    return NULL;
}

const char *tide_redfish_pick_reset(const tide_redfish_system *s, tide_redfish_op op)
{
    size_t pos = 0;
    return next_allowed(s, chain_of(op), &pos);
}

/* POST the reset; *status gets the HTTP status (0 when no answer came). */
static int post_reset(tide_http *rf, const tide_redfish_system *s, const char *type, long *status, tide_err *e)
{
    json_object *body = json_object_new_object();
    json_object_object_add(body, "ResetType", json_object_new_string(type));
    const char *text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    tide_http_resp resp = { 0 };
    int rc = -1;

    *status = 0;
    if (tide_http_send(rf, "POST", s->reset_target, "application/json", text, &resp, e) == 0) {
        *status = resp.status;
        /* 202 comes with a task monitor; the caller watches PowerState anyway. */
        if (resp.status == 200 || resp.status == 202 || resp.status == 204)
            rc = 0;
        else
            status_error(rf, "POST", s->reset_target, &resp, e);
    }
    if (rc == 0)
        tide_verbose("%s: %s%s: ResetType %s accepted (HTTP %ld)", tide_http_service(rf), tide_http_base_url(rf),
                     s->path, type, resp.status);
    tide_http_resp_free(&resp);
    json_object_put(body);
    return rc;
}

int tide_redfish_reset_type(tide_http *rf, const tide_redfish_system *s, const char *type, tide_err *e)
{
    long status;
    return post_reset(rf, s, type, &status, e);
}

/*
 * Try the chain's allowed values in order.  A 400 moves on to the next only
 * when the BMC did not list its allowed values (it may just not support that
 * one).  *type gets the value accepted; -1 with *type NULL and e unset when the
 * chain has nothing (left) to try.
 */
static int reset_chain(tide_http *rf, const tide_redfish_system *s, const char *const *chain, const char **type,
                       tide_err *e)
{
    size_t pos = 0;
    const char *t;
    *type = NULL;
    while ((t = next_allowed(s, chain, &pos))) {
        long status;
        if (post_reset(rf, s, t, &status, e) == 0) {
            *type = t;
            return 0;
        }
        if (s->allowed_known || status != 400)
            return -1;
        tide_verbose("%s: %s%s refused ResetType %s, trying the next", tide_http_service(rf),
                     tide_http_base_url(rf), s->path, t);
    }
    return -1;
}

static int state_is(const char *state, const char *want)
{
    return state && !strcmp(state, want);
}

/* Refresh s->power_state until it is `want` or the deadline passes. */
static int wait_state(tide_http *rf, tide_redfish_system *s, const char *want, long poll_ms, long deadline_s,
                      tide_err *e)
{
    tide_deadline d;
    tide_deadline_start(&d, deadline_s);
    for (;;) {
        char *st;
        if (tide_redfish_power_state(rf, s->path, &st, e))
            return -1;
        free(s->power_state);
        s->power_state = st;
        if (state_is(st, want))
            return 0;
        if (!tide_deadline_allows(&d, poll_ms))
            return tide_err_set(e, "%s: %s%s: PowerState is still %s, not %s, after %ld s", tide_http_service(rf),
                                tide_http_base_url(rf), s->path, *st ? st : "unreported", want, deadline_s);
        tide_sleep_ms(poll_ms);
    }
}

/* Error for a chain with nothing the BMC allows. */
static int nothing_allowed(tide_http *rf, const tide_redfish_system *s, const char *what, tide_err *e)
{
    strbuf b = STRBUF_INIT;
    for (size_t i = 0; i < s->nallowed; i++)
        strbuf_printf(&b, "%s%s", i ? ", " : "", s->allowed[i]);
    tide_err_set(e, "%s: %s%s: cannot %s: the BMC allows only ResetType %s", tide_http_service(rf),
                 tide_http_base_url(rf), s->path, what, b.len ? strbuf_str(&b) : "(none)");
    strbuf_free(&b);
    return -1;
}

/* Run op's chain; *type gets the ResetType the BMC accepted. */
static int run_chain(tide_http *rf, const tide_redfish_system *s, tide_redfish_op op, const char **type,
                     tide_err *e)
{
    if (!tide_redfish_pick_reset(s, op))
        return nothing_allowed(rf, s, tide_redfish_op_name(op), e);
    return reset_chain(rf, s, chain_of(op), type, e);
}

int tide_redfish_reset(tide_http *rf, tide_redfish_system *s, tide_redfish_op op, long poll_ms, long deadline_s,
                       char **used, tide_err *e)
{
    const char *type = NULL, *off = NULL;
    char *st;

    if (used)
        *used = NULL;
    if (tide_redfish_power_state(rf, s->path, &st, e))
        return -1;
    free(s->power_state);
    s->power_state = st;

    if (op == TIDE_RF_ON || op == TIDE_RF_OFF || op == TIDE_RF_FORCE_OFF) {
        /* Nothing to do, and PushPowerButton would toggle the wrong way. */
        if (state_is(st, op == TIDE_RF_ON ? "On" : "Off")) {
            if (used)
                *used = xstrdup("");
            return 0;
        }
        if (run_chain(rf, s, op, &type, e))
            return -1;
    } else if (state_is(st, "Off")) {
        /* Restarting a node that is off means starting it; restart types do nothing to it. */
        if (run_chain(rf, s, TIDE_RF_ON, &type, e))
            return -1;
    } else if (tide_redfish_pick_reset(s, op)) {
        if (reset_chain(rf, s, chain_of(op), &type, e))
            return -1;
    } else {
        /* No restart type at all (HPE Cray EX: ForceOff, On, Off only): off, wait for Off, on. */
        if (!tide_redfish_pick_reset(s, TIDE_RF_ON) || !tide_redfish_pick_reset(s, TIDE_RF_FORCE_OFF))
            return nothing_allowed(rf, s, tide_redfish_op_name(op), e);
        tide_verbose("%s: %s%s has no restart ResetType: powering off, then on", tide_http_service(rf),
                     tide_http_base_url(rf), s->path);
        if (run_chain(rf, s, TIDE_RF_FORCE_OFF, &off, e) || wait_state(rf, s, "Off", poll_ms, deadline_s, e) ||
            run_chain(rf, s, TIDE_RF_ON, &type, e))
            return -1;
    }
    if (used)
        *used = off ? xasprintf("%s+%s", off, type) : xstrdup(type);
    return 0;
}

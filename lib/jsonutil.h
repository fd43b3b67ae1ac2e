/*
 * jsonutil.h - small json-c accessors used by every client.
 *
 * They never fail loudly: a missing key or a wrong type gives the default.
 * Callers that must insist on a field check it and build their own error.
 */
#ifndef TIDE_JSONUTIL_H
#define TIDE_JSONUTIL_H

#include <stdint.h>

#include <json-c/json.h>

/* Member `key` of object `o` if o is an object and the member exists, else NULL. */
json_object *tide_json_get(json_object *o, const char *key);
/* A string member, or NULL when absent or not a string. */
const char *tide_json_str(json_object *o, const char *key);
/* An integer member (a JSON number, or a string holding one), or `dflt`. */
int64_t tide_json_int(json_object *o, const char *key, int64_t dflt);
/* A boolean member, or `dflt`. */
int tide_json_bool(json_object *o, const char *key, int dflt);
/* An array member, or NULL. */
json_object *tide_json_array(json_object *o, const char *key);
/* Walk a path of object keys: tide_json_path(o, "a", "b", NULL). */
json_object *tide_json_path(json_object *o, ...);

/* Build an array of strings. */
json_object *tide_json_str_array(const char *const *items, size_t n);

/* The strings of a JSON array (other elements skipped; NULL array = none).  With `xnames`, each
 * is normalised by tide_xname_normalize, or kept as sent when it is not an xname. */
char **tide_strv_from_json(json_object *arr, int xnames, size_t *n);
void   tide_strv_free(char **v, size_t n);
/* A string member copied ("" when absent); the same, normalised as an xname when it is one. */
char  *tide_reply_str(json_object *o, const char *key);
char  *tide_reply_xname(json_object *o, const char *key);

#endif

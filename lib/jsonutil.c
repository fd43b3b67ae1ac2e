/* jsonutil.c - see jsonutil.h. */
#include "jsonutil.h"

#include <stdarg.h>
#include <stdlib.h>
#include <errno.h>

#include "strbuf.h"
#include "xname.h"

json_object *tide_json_get(json_object *o, const char *key)
{
    json_object *v;
    if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

const char *tide_json_str(json_object *o, const char *key)
{
    json_object *v = tide_json_get(o, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int64_t tide_json_int(json_object *o, const char *key, int64_t dflt)
{
    json_object *v = tide_json_get(o, key);
    if (!v)
        return dflt;
    if (json_object_is_type(v, json_type_int))
        return json_object_get_int64(v);
    if (json_object_is_type(v, json_type_double))
        return json_object_get_int64(v);  /* json-c clamps out-of-range doubles */
    if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        char *end;
        errno = 0;
        long long n = strtoll(s, &end, 10);
        if (!errno && end != s && !*end)
            return n;
    }
    return dflt;
}

int tide_json_bool(json_object *o, const char *key, int dflt)
{
    json_object *v = tide_json_get(o, key);
    return v && json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : dflt;
}

json_object *tide_json_array(json_object *o, const char *key)
{
    json_object *v = tide_json_get(o, key);
    return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

json_object *tide_json_path(json_object *o, ...)
{
    va_list ap;
    const char *key;
    va_start(ap, o);
    while (o && (key = va_arg(ap, const char *)))
        o = tide_json_get(o, key);
    va_end(ap);
    return o;
}

json_object *tide_json_str_array(const char *const *items, size_t n)
{
    json_object *a = json_object_new_array_ext((int)n);
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(items[i]));
    return a;
}

char **tide_strv_from_json(json_object *arr, int xnames, size_t *n)
{
    size_t len = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
    char **v = len ? xcalloc(len, sizeof(*v)) : NULL;

    *n = 0;
    for (size_t i = 0; i < len; i++) {
        json_object *it = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(it, json_type_string))
            continue;
        const char *s = json_object_get_string(it);
        char *norm = xnames ? tide_xname_normalize(s) : NULL;
        v[(*n)++] = norm ? norm : xstrdup(s);
    }
    return v;
}

void tide_strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

char *tide_reply_str(json_object *o, const char *key)
{
    const char *s = tide_json_str(o, key);
    return xstrdup(s ? s : "");
}

char *tide_reply_xname(json_object *o, const char *key)
{
    const char *s = tide_json_str(o, key);
    char *norm = s ? tide_xname_normalize(s) : NULL;
    return norm ? norm : xstrdup(s ? s : "");
}


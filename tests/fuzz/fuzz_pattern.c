/*
 * fuzz_pattern.c - libFuzzer target for pool patterns (lib/pattern.c).
 *
 * Any input: parse it with and without a group name; an error must be one
 * line that names a field or says the pattern is empty or has no terms; a
 * pattern that parses must print to a canonical text that parses to the same
 * text again, and match any model without trouble.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *text, int with_group)
{
    tide_pattern p, again;
    tide_err e = { 0 };
    int rc = with_group ? tide_pattern_parse(text, &p, &e) : tide_pattern_parse_terms(text, &p, &e);
    if (rc) {
        if (!e.msg[0] || strchr(e.msg, '\n') || p.terms || p.group)
            abort();
        if (!strstr(e.msg, "field ") && !strstr(e.msg, "empty pool pattern") && !strstr(e.msg, "has no terms"))
            abort();
        return;
    }
    if (!p.nterms || (with_group && !p.group))
        abort();
    for (size_t t = 1; t < p.nterms; t++)
        if (strcmp(p.terms[t - 1].name, p.terms[t].name) >= 0 || p.terms[t].qty < 1)
            abort();
    char *out = tide_pattern_format(&p);
    if (with_group ? tide_pattern_parse(out, &again, &e) : tide_pattern_parse_terms(out, &again, &e))
        abort();
    char *out2 = tide_pattern_format(&again);
    if (strcmp(out, out2))
        abort();
    /* Match the input itself as a model string, and each term against itself. */
    (void)tide_pattern_match(&p, text);
    for (size_t t = 0; t < p.nterms; t++) {
        int m = tide_pattern_match(&p, p.terms[t].name);
        if (!p.terms[t].is_memory && (m < 0 || (size_t)m > t))
            abort();
        char *type = tide_pattern_type_of(&p, p.terms[t].name);
        free(type);
    }
    free(out);
    free(out2);
    tide_pattern_free(&again);
    tide_pattern_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xstrndup((const char *)data, size);   /* stops at a NUL byte, as a C string would */
    check(text, 1);
    check(text, 0);
    free(text);
    return 0;
}

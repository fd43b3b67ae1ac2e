/*
 * cmdline.c - see cmdline.h.
 */
#include "cmdline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strbuf.h"
#include "xname.h"

#define MAX_CMDLINE 65536

const char *tide_node_cmdline_path(void)
{
    const char *p = getenv("TIDE_CMDLINE");
    return p && *p ? p : "/proc/cmdline";
}

char *tide_node_read_cmdline(const char *path, tide_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        tide_err_set(e, "cannot read the kernel command line %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = xmalloc(MAX_CMDLINE + 1);
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, MAX_CMDLINE - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            tide_err_set(e, "cannot read the kernel command line %s: %s", path, strerror(errno));
            close(fd);
            free(buf);
            return NULL;
        }
        if (n == 0 || (len += (size_t)n) == MAX_CMDLINE)
            break;
    }
    close(fd);
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    buf[len] = '\0';
    return buf;
}

char *tide_node_cmdline_value(const char *cmdline, const char *key)
{
    char *found = NULL;
    size_t klen = strlen(key);
    const char *s = cmdline;
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == '\n')
            s++;
        if (!*s)
            break;
        strbuf word = STRBUF_INIT;
        int quoted = 0;
        for (; *s && (quoted || !(*s == ' ' || *s == '\t' || *s == '\n')); s++) {
            if (*s == '"')
                quoted = !quoted;
            else
                strbuf_add(&word, s, 1);
        }
        const char *w = strbuf_str(&word);
        if (!strncmp(w, key, klen)) {
            free(found);
            found = xstrdup(w + klen);
        }
        strbuf_free(&word);
    }
    if (found && !*found) {   /* `tide.image=` with nothing after it says nothing */
        free(found);
        found = NULL;
    }
    return found;
}

char *tide_node_xname(const char *cmdline, tide_err *e)
{
    char *x = tide_node_cmdline_value(cmdline, TIDE_XNAME_KEY);
    char *norm = x ? tide_xname_normalize(x) : NULL;
    free(x);
    if (norm)
        return norm;
    char host[256] = "";
    if (gethostname(host, sizeof(host) - 1) == 0)
        norm = tide_xname_normalize(host);
    if (!norm)
        tide_err_set(e, "cannot tell this node's xname: the kernel command line has no " TIDE_XNAME_KEY
                        " and the host name '%s' is not an xname", host);
    return norm;
}

/*
 * agent_kexec.c - the node agent's kexec order (agent.h): the request body,
 * the new kernel's command line, and carrying it out (the testbed's
 * command, or download, kexec_file_load(2) and `systemctl kexec`).
 * agent.c decides whether to; this file does it.
 */
#include "config.h"

#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmdline.h"
#include "jsonutil.h"
#include "log.h"
#include "strbuf.h"

#ifndef KEXEC_FILE_NO_INITRAMFS
#define KEXEC_FILE_NO_INITRAMFS 0x00000004   /* linux/kexec.h */
#endif

extern char **environ;

/* ---- the request body ------------------------------------------------------------ */

void tide_agent_kexec_free(tide_agent_kexec *k)
{
    free(k->node);
    free(k->image);
    free(k->kernel);
    free(k->initrd);
    free(k->params);
    memset(k, 0, sizeof(*k));
}

static int url_ok(const char *s)
{
    return !*s || !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

int tide_agent_parse_kexec(const char *body, size_t len, tide_agent_kexec *k, tide_err *e)
{
    memset(k, 0, sizeof(*k));
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, body ? body : "", (int)len);
    int complete = json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    if (!o || !complete || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return tide_err_set(e, "the body must be a JSON object {\"node\",\"image\",\"kernel\",\"initrd\",\"params\"}");
    }
    static const char *const keys[] = { "node", "image", "kernel", "initrd", "params" };
    char **fields[] = { &k->node, &k->image, &k->kernel, &k->initrd, &k->params };
    for (size_t i = 0; i < 5; i++) {
        json_object *v = tide_json_get(o, keys[i]);
        if (v && !json_object_is_type(v, json_type_string)) {
            json_object_put(o);
            tide_agent_kexec_free(k);
            return tide_err_set(e, "\"%s\" must be a string", keys[i]);
        }
        *fields[i] = xstrdup(v ? json_object_get_string(v) : "");
    }
    json_object_put(o);
    if (!*k->node || !*k->image) {
        int rc = tide_err_set(e, "\"%s\" is required", *k->node ? "image" : "node");
        tide_agent_kexec_free(k);
        return rc;
    }
    if (strpbrk(k->image, " \t\n\"'") || strlen(k->image) > 128) {
        tide_agent_kexec_free(k);
        return tide_err_set(e, "\"image\" must be an image name (no blanks or quotes)");
    }
    if (!url_ok(k->kernel) || !url_ok(k->initrd)) {
        int rc = tide_err_set(e, "\"%s\" must be an http:// or https:// URL", url_ok(k->kernel) ? "initrd" : "kernel");
        tide_agent_kexec_free(k);
        return rc;
    }
    return 0;
}

/* ---- the new command line (pure) ------------------------------------------------- */

/* The words of a command line as written (quotes kept: the kernel parses them). */
static size_t split_words(const char *s, char ***out)
{
    char **w = NULL;
    size_t n = 0;
    while (s && *s) {
        while (*s == ' ' || *s == '\t' || *s == '\n')
            s++;
        if (!*s)
            break;
        const char *start = s;
        int quoted = 0;
        for (; *s && (quoted || !(*s == ' ' || *s == '\t' || *s == '\n')); s++)
            if (*s == '"')
                quoted = !quoted;
        w = xrealloc(w, sizeof(*w) * (n + 1));
        w[n++] = xstrndup(start, (size_t)(s - start));
    }
    *out = w;
    return n;
}

static void free_words(char **w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(w[i]);
    free(w);
}

char *tide_agent_cmdline(const char *params, const char *image, const char *running, tide_err *e)
{
    /* What BSS adds per node and a kexec'd kernel still needs: identity, boot NIC, cloud-init. */
    static const char *const carried[] = { TIDE_XNAME_KEY, "nid=", "BOOTIF=", "ds=" };
    char **w;
    size_t n = split_words(params, &w);
    strbuf b = STRBUF_INIT;
    char *named = tide_node_cmdline_value(params ? params : "", TIDE_IMAGE_KEY);

    if (named && strcmp(named, image)) {
        tide_err_set(e, "the params name tide.image=%s, but the image is %s", named, image);
        free(named);
        free_words(w, n);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if ((i == 0 && !strcmp(w[i], "kernel")) || !strncmp(w[i], "initrd=", 7))
            continue;   /* iPXE's: BSS's json=1 starts with "kernel", and initrd=initrd names iPXE's image */
        strbuf_printf(&b, "%s%s", b.len ? " " : "", w[i]);
    }
    for (size_t c = 0; c < sizeof(carried) / sizeof(carried[0]); c++) {
        int have = 0;
        for (size_t i = 0; i < n && !have; i++)
            have = !strncmp(w[i], carried[c], strlen(carried[c]));
        char *v = have || !running ? NULL : tide_node_cmdline_value(running, carried[c]);
        if (v)
            strbuf_printf(&b, "%s%s%s%s%s", b.len ? " " : "", carried[c], strpbrk(v, " \t") ? "\"" : "", v,
                          strpbrk(v, " \t") ? "\"" : "");
        free(v);
    }
    if (!named)
        strbuf_printf(&b, "%s" TIDE_IMAGE_KEY "%s", b.len ? " " : "", image);
    free(named);
    free_words(w, n);
    return strbuf_steal(&b);
}

/* ---- magic numbers (pure) -------------------------------------------------------- */

static int at(const void *buf, size_t len, size_t off, const char *magic, size_t mlen)
{
    return len >= off + mlen && !memcmp((const char *)buf + off, magic, mlen);
}

int tide_agent_check_kernel(const void *buf, size_t len, const char *arch, tide_err *e)
{
    if (!strcmp(arch, "x86_64") || !strcmp(arch, "i686")) {
        if (!at(buf, len, 0x202, "HdrS", 4))
            return tide_err_set(e, "not a bzImage (no \"HdrS\" at offset 0x202): kexec_file_load on %s "
                                   "wants one", arch);
    } else if (!strcmp(arch, "aarch64")) {
        if (!at(buf, len, 0x38, "ARM\x64", 4) && !(at(buf, len, 0, "MZ", 2) && at(buf, len, 4, "zimg", 4)))
            return tide_err_set(e, "not an arm64 Image (no \"ARM\\x64\" at offset 0x38) nor an EFI zboot image");
    }
    return 0;
}

int tide_agent_check_initrd(const void *buf, size_t len, tide_err *e)
{
    static const struct { const char *magic; size_t len; } kinds[] = {
        { "070701", 6 }, { "070702", 6 },          /* cpio newc, crc */
        { "\x1f\x8b", 2 },                         /* gzip */
        { "\x28\xb5\x2f\xfd", 4 },                 /* zstd */
        { "\xfd" "7zXZ\x00", 6 },                  /* xz */
        { "\x5d\x00\x00", 3 },                     /* lzma */
        { "BZh", 3 },                              /* bzip2 */
        { "\x02\x21\x4c\x18", 4 },                 /* lz4 legacy */
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (at(buf, len, 0, kinds[i].magic, kinds[i].len))
            return 0;
    return tide_err_set(e, "not an initramfs (neither cpio nor gzip, zstd, xz, lzma, bzip2 or lz4 data)");
}

/* ---- the kexec -------------------------------------------------------------------- */

/* GET url (following up to 5 redirects: BSS may hand out presigned S3 URLs) into a memfd. */
static int download(tide_http *h, const char *what, const char *url, int kernel, int *fd, tide_err *e)
{
    char *cur = xstrdup(url);
    tide_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    int rc = -1;
    *fd = -1;
    for (int hop = 0;; hop++) {
        if (tide_http_send(h, "GET", cur, NULL, NULL, &resp, e))
            break;
        if (resp.status >= 300 && resp.status < 400 && resp.location && hop < 5 &&
            (!strncmp(resp.location, "http://", 7) || !strncmp(resp.location, "https://", 8))) {
            free(cur);
            cur = xstrdup(resp.location);
            continue;
        }
        if (resp.status != 200) {
            tide_http_status_error(h, "GET", cur, &resp, e);
            break;
        }
        struct utsname u;
        const char *arch = uname(&u) ? "" : u.machine;
        if ((kernel ? tide_agent_check_kernel(resp.body.s, resp.body.len, arch, e)
                    : tide_agent_check_initrd(resp.body.s, resp.body.len, e))) {
            tide_err_prefix(e, "%s %s", what, cur);
            break;
        }
        if ((*fd = memfd_create(what, MFD_CLOEXEC)) < 0) {
            tide_err_set(e, "%s: memfd_create: %s", what, strerror(errno));
            break;
        }
        size_t off = 0;
        while (off < resp.body.len) {
            ssize_t w = write(*fd, resp.body.s + off, resp.body.len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        if (off < resp.body.len || lseek(*fd, 0, SEEK_SET) != 0) {
            tide_err_set(e, "%s: cannot hold %zu bytes in memory: %s", what, resp.body.len, strerror(errno));
            close(*fd);
            *fd = -1;
            break;
        }
        tide_info("%s: %zu bytes from %s", what, resp.body.len, cur);
        rc = 0;
        break;
    }
    tide_http_resp_free(&resp);
    free(cur);
    return rc;
}

static int default_load(void *ctx, int kernel_fd, int initrd_fd, const char *cmdline, tide_err *e)
{
    (void)ctx;
#ifdef SYS_kexec_file_load
    unsigned long flags = initrd_fd < 0 ? KEXEC_FILE_NO_INITRAMFS : 0;
    if (syscall(SYS_kexec_file_load, kernel_fd, initrd_fd, strlen(cmdline) + 1, cmdline, flags)) {
        int err = errno;
        return tide_err_set(e, "kexec_file_load: %s%s", strerror(err),
                            err == EPERM ? " (kernel lockdown, Secure Boot, or kexec_load_disabled=1: "
                                           "this node needs a power cycle)"
                            : err == EKEYREJECTED || err == EBADMSG ? " (the kernel's signature is not trusted)"
                            : err == ENOEXEC ? " (not a kernel this kernel can load)" : "");
    }
    FILE *f = fopen("/sys/kernel/kexec_loaded", "r");
    int loaded = 0;
    if (f) {
        if (fscanf(f, "%d", &loaded) != 1)
            loaded = 0;
        fclose(f);
    }
    if (loaded != 1)
        return tide_err_set(e, "kexec_file_load succeeded but /sys/kernel/kexec_loaded does not read 1");
    return 0;
#else
    (void)kernel_fd;
    (void)initrd_fd;
    (void)cmdline;
    return tide_err_set(e, "kexec_file_load: not available on this architecture");
#endif
}

/* Run argv[0] (a path, or found in PATH) with envp, stdin on /dev/null; 0 when it exits 0. */
static int run_program(char *const argv[], char *const envp[], const char *what, tide_err *e)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    if (rc)
        return tide_err_set(e, "%s: cannot run %s: %s", what, argv[0], strerror(rc));
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return tide_err_set(e, "%s: waitpid: %s", what, strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status))
        return tide_err_set(e, "%s exited with status %d", what, WEXITSTATUS(status));
    return tide_err_set(e, "%s was killed by signal %d", what, WTERMSIG(status));
}

static int default_jump(void *ctx, tide_err *e)
{
    (void)ctx;
    /* An orderly shutdown, then systemd-shutdown jumps into the loaded kernel (never `kexec -e`,
     * which skips unmounting). */
    char *argv[] = { "systemctl", "kexec", NULL };
    return run_program(argv, environ, "systemctl kexec", e);
}

/* The kexec command, through /bin/sh, with the order in its environment. */
static int run_command(const tide_kexec_env *env, const tide_agent_kexec *k, tide_err *e)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **envp = xcalloc(n + 6, sizeof(*envp));
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "TIDE_KEXEC_", 11))
            envp[m++] = xstrdup(environ[i]);
    envp[m++] = xasprintf("TIDE_KEXEC_NODE=%s", env->node);
    envp[m++] = xasprintf("TIDE_KEXEC_IMAGE=%s", k->image);
    envp[m++] = xasprintf("TIDE_KEXEC_KERNEL=%s", k->kernel);
    envp[m++] = xasprintf("TIDE_KEXEC_INITRD=%s", k->initrd);
    envp[m++] = xasprintf("TIDE_KEXEC_PARAMS=%s", k->params);
    char *argv[] = { "/bin/sh", "-c", (char *)env->kexec_command, NULL };
    int rc = run_program(argv, envp, "the kexec command", e);
    for (size_t i = 0; i < m; i++)
        free(envp[i]);
    free(envp);
    return rc;
}

int tide_kexec_run(const tide_kexec_env *env, const tide_agent_kexec *k, tide_err *e)
{
    if (env->kexec_command)
        return run_command(env, k, e);

    tide_err ce = { 0 };
    char *running = tide_node_read_cmdline(env->cmdline_path, &ce);
    if (!running)
        tide_info("%s (xname=, nid=, BOOTIF=, ds= not carried over)", ce.msg);
    char *cmdline = tide_agent_cmdline(k->params, k->image, running, e);
    free(running);
    if (!cmdline)
        return -1;
    tide_http *h = env->http;
    if (!h) {
        tide_http_opts o;
        tide_http_opts_init(&o, "boot image server", "http://images");
        o.connect_timeout_s = 10;
        o.total_timeout_s = env->download_timeout > 0 ? env->download_timeout : 600;
        o.retries = 2;
        o.tls_verify = env->tls_verify;
        o.ca_file = env->ca_file;
        if (!(h = tide_http_new(&o, e))) {
            free(cmdline);
            return -1;
        }
    }
    int kfd = -1, ifd = -1, rc = -1;
    if (!download(h, "kernel", k->kernel, 1, &kfd, e) && (!*k->initrd || !download(h, "initrd", k->initrd, 0, &ifd, e))) {
        tide_info("kexec: loading %s with: %s", k->image, cmdline);
        if (!(env->load ? env->load : default_load)(env->ctx, kfd, ifd, cmdline, e)) {
            tide_info("kexec: %s loaded; systemctl kexec", k->image);
            rc = (env->jump ? env->jump : default_jump)(env->ctx, e);
        }
    }
    if (kfd >= 0)
        close(kfd);   /* the kernel has its own copy once loaded */
    if (ifd >= 0)
        close(ifd);
    if (h != env->http)
        tide_http_free(h);
    free(cmdline);
    return rc;
}

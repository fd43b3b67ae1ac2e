/* test_bss.c - the BSS client against recorded BSS replies: grouping, 404-as-none, chunking, boot scripts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bss.h"
#include "fake_http.h"
#include "jsonutil.h"
#include "strbuf.h"

#define BASE "http://bss.test:27778/boot/v1"
#define JSON "application/json; charset=UTF-8"
#define PROBLEM "application/problem+json"

#define KERNEL "http://172.16.0.254:9000/boot-images/efi-images/compute/vmlinuz-5.14.0-570.21.1.el9_6.x86_64"
#define INITRD "http://172.16.0.254:9000/boot-images/efi-images/compute/initramfs-5.14.0-570.21.1.el9_6.x86_64.img"
#define SERVED_PARAMS                                                                                          \
    "initrd=initrd nomodeset ro root=live:http://172.16.0.254:9000/boot-images/compute/rocky9.6-compute ip=dhcp " \
    "overlayroot=tmpfs console=ttyS0,115200 tide.image=rocky9.6-compute xname=x1000c0s0b0n0 nid=1 "             \
    "bss_referral_token=4c1f0a8e-2b7d-4e3a-9c6b-5d0e1f2a3b4c ds=nocloud-net;s=http://172.16.0.254:8081/cloud-init/"

static int setup(void **state)
{
    *state = fake_client_new("BSS", BASE);
    return 0;
}

/* ---- GET bootparameters ------------------------------------------------- */

static void get_all_grouped(void **state)
{
    fake_client *t = *state;
    tide_bootparams_list l;

    fake_expect_file(&t->f, "GET", "/boot/v1/bootparameters", 200, "bss/bootparameters_grouped.json");
    assert_int_equal(tide_bss_get_all(t->http, &l, &t->e), 0);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.items[0].nhosts, 3);
    assert_int_equal(l.items[0].nmacs, 0);
    assert_int_equal(l.items[0].nnids, 0);
    assert_string_equal(l.items[0].kernel, KERNEL);
    assert_string_equal(l.items[0].initrd, INITRD);
    assert_int_equal(l.items[2].nmacs, 1);
    assert_string_equal(l.items[2].macs[0], "ec:e7:a7:05:9f:50");

    /* Postgres groups hosts: every element's hosts are searched, whatever their order */
    const tide_bootparams *p = tide_bss_params_for(&l, "x1000c0s0b0n0");
    assert_ptr_equal(p, &l.items[0]);
    assert_ptr_equal(tide_bss_params_for(&l, "x1000c0s2b0n1"), &l.items[0]);
    assert_ptr_equal(tide_bss_params_for(&l, "x1000c0s0b0n1"), &l.items[1]);
    assert_ptr_equal(tide_bss_params_for(&l, "X1000c0s01b0n0"), &l.items[1]);  /* any spelling */
    assert_null(tide_bss_params_for(&l, "x1000c0s3b0n0"));
    char *img = tide_params_image(tide_bss_params_for(&l, "x1000c0s1b0n0")->params);
    assert_string_equal(img, "rocky9.6-gpu");
    free(img);
    tide_bootparams_list_free(&l);
    assert_int_equal(l.n, 0);
}

static void get_all_null_and_etcd(void **state)
{
    fake_client *t = *state;
    tide_bootparams_list l;

    fake_expect(&t->f, "GET", "/boot/v1/bootparameters", 200, JSON, "null");
    assert_int_equal(tide_bss_get_all(t->http, &l, &t->e), 0);
    assert_int_equal(l.n, 0);
    assert_null(tide_bss_params_for(&l, "x1000c0s0b0n0"));
    tide_bootparams_list_free(&l);

    fake_expect_file(&t->f, "GET", "/boot/v1/bootparameters", 200, "bss/bootparameters_etcd.json");
    assert_int_equal(tide_bss_get_all(t->http, &l, &t->e), 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.items[0].nnids, 1);
    assert_int_equal(l.items[0].nids[0], 1);
    assert_string_equal(l.items[0].kernel, "s3://boot-images/0b9c3a2e-1d4f-4e5a-8b6c-7d8e9f0a1b2c/kernel");
    assert_ptr_equal(tide_bss_params_for(&l, "x3000c0s19b1n0"), &l.items[0]);
    tide_bootparams_list_free(&l);

    fake_expect(&t->f, "GET", "/boot/v1/bootparameters", 200, JSON, "{\"hosts\":[]}");
    assert_int_equal(tide_bss_get_all(t->http, &l, &t->e), -1);
    assert_string_equal(t->e.msg, "BSS: GET " BASE "/bootparameters: the reply is not a list of boot parameters");
}

static void get_names_404_means_none(void **state)
{
    fake_client *t = *state;
    tide_bootparams_list l;
    const char *names[] = { "x1000c0s0b0n0", "x1000c0s0b0n1" };

    fake_exchange *x = fake_expect_file(&t->f, "GET", "/boot/v1/bootparameters?name=x1000c0s0b0n0,x1000c0s0b0n1",
                                        404, "bss/not_found.json");
    x->content_type = PROBLEM;
    assert_int_equal(tide_bss_get(t->http, names, 2, &l, &t->e), 0);
    assert_int_equal(l.n, 0);
    assert_null(tide_bss_params_for(&l, "x1000c0s0b0n0"));
    tide_bootparams_list_free(&l);

    /* a 404 that is not BSS's "none" (a wrong URL behind a proxy) stays an error */
    fake_expect(&t->f, "GET", "/boot/v1/bootparameters?name=x1000c0s0b0n0,x1000c0s0b0n1", 404, "text/plain",
                "404 page not found\n");
    assert_int_equal(tide_bss_get(t->http, names, 2, &l, &t->e), -1);
    assert_int_equal(t->e.http_status, 404);
    assert_string_equal(t->e.msg, "BSS: GET " BASE "/bootparameters?name=x1000c0s0b0n0,x1000c0s0b0n1: HTTP 404 "
                                  "Not Found: 404 page not found");
    assert_int_equal(l.n, 0);
}

static void get_names_chunked(void **state)
{
    fake_client *t = *state;
    enum { N = 250 };
    char *names[N];
    char *urls[3];
    tide_bootparams_list l;

    for (int i = 0; i < N; i++)
        names[i] = xasprintf("x1000c%ds%db0n0", i / 64, i % 64);
    for (int c = 0; c < 3; c++) {
        strbuf u = STRBUF_INIT;
        strbuf_puts(&u, "/boot/v1/bootparameters?name=");
        for (int i = c * 100; i < N && i < (c + 1) * 100; i++)
            strbuf_printf(&u, "%s%s", i > c * 100 ? "," : "", names[i]);
        urls[c] = strbuf_steal(&u);
    }
    /* chunk 1 finds two nodes (grouped), chunk 2 none (404), chunk 3 one */
    char *body1 = xasprintf("[{\"hosts\":[\"%s\",\"%s\"],\"macs\":[],\"nids\":[],\"kernel\":\"k\",\"initrd\":\"i\","
                            "\"params\":\"tide.image=a\"}]", names[99], names[0]);
    char *body3 = xasprintf("[{\"hosts\":[\"%s\"],\"macs\":[],\"nids\":[],\"kernel\":\"k\",\"initrd\":\"i\","
                            "\"params\":\"tide.image=b\"}]", names[249]);
    fake_expect(&t->f, "GET", urls[0], 200, JSON, body1);
    fake_expect_file(&t->f, "GET", urls[1], 404, "bss/not_found.json");
    fake_expect(&t->f, "GET", urls[2], 200, JSON, body3);

    assert_int_equal(tide_bss_get(t->http, (const char *const *)names, N, &l, &t->e), 0);
    assert_int_equal(l.n, 2);
    assert_ptr_equal(tide_bss_params_for(&l, names[0]), &l.items[0]);
    assert_ptr_equal(tide_bss_params_for(&l, names[99]), &l.items[0]);
    assert_ptr_equal(tide_bss_params_for(&l, names[249]), &l.items[1]);
    assert_null(tide_bss_params_for(&l, names[150]));
    tide_bootparams_list_free(&l);

    /* no names: no request */
    assert_int_equal(tide_bss_get(t->http, NULL, 0, &l, &t->e), 0);
    assert_int_equal(l.n, 0);

    free(body1);
    free(body3);
    for (int c = 0; c < 3; c++)
        free(urls[c]);
    for (int i = 0; i < N; i++)
        free(names[i]);
}

/* ---- PUT / PATCH / DELETE ------------------------------------------------ */

static void put_chunked(void **state)
{
    fake_client *t = *state;
    enum { N = 1200 };
    char *hosts[N];
    fake_exchange *x[3];

    for (int i = 0; i < N; i++)
        hosts[i] = xasprintf("x%dc0s%db0n0", 1000 + i / 64, i % 64);
    for (int c = 0; c < 3; c++)
        x[c] = fake_expect(&t->f, "PUT", "/boot/v1/bootparameters", 200, JSON, NULL);
    assert_int_equal(tide_bss_put(t->http, (const char *const *)hosts, N, KERNEL, INITRD, "ro tide.image=a", &t->e), 0);

    static const size_t want[3] = { 500, 500, 200 };
    for (int c = 0; c < 3; c++) {
        json_object *sent = json_tokener_parse(x[c]->sent_body);
        json_object *arr = tide_json_array(sent, "hosts");
        assert_int_equal(json_object_object_length(sent), 4);
        assert_int_equal(json_object_array_length(arr), want[c]);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(arr, 0)), hosts[c * 500]);
        assert_string_equal(tide_json_str(sent, "kernel"), KERNEL);
        assert_string_equal(tide_json_str(sent, "initrd"), INITRD);
        assert_string_equal(tide_json_str(sent, "params"), "ro tide.image=a");
        json_object_put(sent);
    }
    for (int i = 0; i < N; i++)
        free(hosts[i]);
}

static void put_one_and_errors(void **state)
{
    fake_client *t = *state;
    const char *hosts[] = { "x1000c0s0b0n0" };

    fake_exchange *x = fake_expect(&t->f, "PUT", "/boot/v1/bootparameters", 200, JSON, "");
    assert_int_equal(tide_bss_put(t->http, hosts, 1, KERNEL, INITRD, NULL, &t->e), 0);
    fake_assert_json_equal(x->sent_body, "{\"hosts\":[\"x1000c0s0b0n0\"],\"kernel\":\"" KERNEL "\",\"initrd\":\"" INITRD
                                         "\",\"params\":\"\"}");

    fake_expect(&t->f, "PUT", "/boot/v1/bootparameters", 400, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"detail\":\"Bad Request: invalid xname: x1000c0s0b0\",\"status\":400}");
    assert_int_equal(tide_bss_put(t->http, hosts, 1, KERNEL, INITRD, "ro", &t->e), -1);
    assert_string_equal(t->e.msg, "BSS: PUT " BASE "/bootparameters: HTTP 400 Bad Request: Bad Request: invalid xname: "
                                  "x1000c0s0b0");
    /* no hosts: no request */
    assert_int_equal(tide_bss_put(t->http, hosts, 0, KERNEL, INITRD, "ro", &t->e), 0);
}

static void patch_only_given_fields(void **state)
{
    fake_client *t = *state;
    const char *hosts[] = { "x1000c0s0b0n0", "x1000c0s0b0n9" };

    fake_exchange *x = fake_expect(&t->f, "PATCH", "/boot/v1/bootparameters", 200, JSON, NULL);
    assert_int_equal(tide_bss_patch(t->http, hosts, 1, NULL, "", "ro tide.image=b", &t->e), 0);
    fake_assert_json_equal(x->sent_body, "{\"hosts\":[\"x1000c0s0b0n0\"],\"params\":\"ro tide.image=b\"}");

    x = fake_expect(&t->f, "PATCH", "/boot/v1/bootparameters", 404, PROBLEM,
                    "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"detail\":\"Not Found: x1000c0s0b0n9\",\"status\":404}");
    assert_int_equal(tide_bss_patch(t->http, hosts, 2, KERNEL, NULL, NULL, &t->e), -1);
    fake_assert_json_equal(x->sent_body, "{\"hosts\":[\"x1000c0s0b0n0\",\"x1000c0s0b0n9\"],\"kernel\":\"" KERNEL "\"}");
    assert_int_equal(t->e.http_status, 404);
    assert_string_equal(t->e.msg, "BSS: PATCH " BASE "/bootparameters: HTTP 404 Not Found: Not Found: x1000c0s0b0n9");
}

static void delete_hosts(void **state)
{
    fake_client *t = *state;
    const char *hosts[] = { "x1000c0s0b0n0", "x1000c0s0b0n1" };

    fake_exchange *x = fake_expect(&t->f, "DELETE", "/boot/v1/bootparameters", 200, JSON, NULL);
    assert_int_equal(tide_bss_delete(t->http, hosts, 2, &t->e), 0);
    fake_assert_json_equal(x->sent_body, "{\"hosts\":[\"x1000c0s0b0n0\",\"x1000c0s0b0n1\"]}");
}

/* ---- boot script --------------------------------------------------------- */

static void bootscript_ipxe(void **state)
{
    fake_client *t = *state;
    tide_bootscript s;

    fake_exchange *x = fake_expect_file(&t->f, "GET", "/boot/v1/bootscript?name=x1000c0s0b0n0", 200, "bss/bootscript.ipxe");
    x->content_type = "text/plain; charset=utf-8";
    assert_int_equal(tide_bss_bootscript(t->http, "x1000c0s0b0n0", 0, &s, &t->e), 0);
    assert_string_equal(s.kernel, KERNEL);
    assert_string_equal(s.initrd, INITRD);
    assert_string_equal(s.params, SERVED_PARAMS);
    char *img = tide_params_image(s.params);
    assert_string_equal(img, "rocky9.6-compute");
    free(img);
    tide_bootscript_free(&s);
    assert_null(s.kernel);
}

static void bootscript_json(void **state)
{
    fake_client *t = *state;
    tide_bootscript s;

    fake_expect_file(&t->f, "GET", "/boot/v1/bootscript?name=x1000c0s0b0n0&json=1", 200, "bss/bootscript.json");
    assert_int_equal(tide_bss_bootscript(t->http, "x1000c0s0b0n0", 1, &s, &t->e), 0);
    /* the same struct as the iPXE form: the leading image name "kernel" is gone */
    assert_string_equal(s.kernel, KERNEL);
    assert_string_equal(s.initrd, INITRD);
    assert_string_equal(s.params, SERVED_PARAMS);
    tide_bootscript_free(&s);
}

static void bootscript_unknown_node(void **state)
{
    fake_client *t = *state;
    tide_bootscript s;

    /* BSS's discovery script for a node it does not boot by name */
    fake_expect(&t->f, "GET", "/boot/v1/bootscript?name=x1000c0s9b0n0", 200, "text/plain",
                "#!ipxe\nsleep 10\nchain http://172.16.0.254:27778/boot/v1/bootscript?mac=${net0/mac}&retry=1\n");
    assert_int_equal(tide_bss_bootscript(t->http, "x1000c0s9b0n0", 0, &s, &t->e), -1);
    assert_string_equal(t->e.msg, "BSS: GET " BASE "/bootscript?name=x1000c0s9b0n0: the boot script loads no kernel "
                                  "(BSS does not boot this node by name)");
    assert_null(s.kernel);

    fake_expect(&t->f, "GET", "/boot/v1/bootscript?name=x1000c0s9b0n0", 404, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"detail\":\"Not Found: this host not configured for booting.\",\"status\":404}");
    assert_int_equal(tide_bss_bootscript(t->http, "x1000c0s9b0n0", 0, &s, &t->e), -1);
    assert_string_equal(t->e.msg, "BSS: GET " BASE "/bootscript?name=x1000c0s9b0n0: HTTP 404 Not Found: Not Found: "
                                  "this host not configured for booting.");

    fake_expect(&t->f, "GET", "/boot/v1/bootscript?name=x1000c0s9b0n0&json=1", 200, JSON, "{\"params\":\"\"}");
    assert_int_equal(tide_bss_bootscript(t->http, "x1000c0s9b0n0", 1, &s, &t->e), -1);
    assert_string_equal(t->e.msg, "BSS: GET " BASE "/bootscript?name=x1000c0s9b0n0&json=1: the boot script loads no "
                                  "kernel (BSS does not boot this node by name)");
}

static void ipxe_variants(void **state)
{
    (void)state;
    tide_bootscript s;

    /* options in other spellings, no fallback, no initrd, CRLF line ends */
    assert_int_equal(tide_bootscript_parse_ipxe("#!ipxe\r\n  kernel --name=kernel --autofree -t 5000 http://h/k  a=1   b \r\n"
                                                "boot\r\n", &s), 0);
    assert_string_equal(s.kernel, "http://h/k");
    assert_string_equal(s.params, "a=1   b");
    assert_string_equal(s.initrd, "");
    tide_bootscript_free(&s);

    assert_int_equal(tide_bootscript_parse_ipxe("kernel -n kernel http://h/k||goto x\ninitrd http://h/i\n", &s), 0);
    assert_string_equal(s.kernel, "http://h/k||goto");   /* `||` must stand alone to be iPXE's fallback */
    tide_bootscript_free(&s);

    assert_int_equal(tide_bootscript_parse_ipxe("kernel --name kernel http://h/k\ninitrd --name initrd http://h/i", &s), 0);
    assert_string_equal(s.params, "");
    assert_string_equal(s.initrd, "http://h/i");
    tide_bootscript_free(&s);

    assert_int_equal(tide_bootscript_parse_ipxe("kernelx http://h/k\nkernel --name kernel || goto retry\n", &s), -1);
    assert_int_equal(tide_bootscript_parse_ipxe("", &s), -1);
}

static void params_image(void **state)
{
    (void)state;
    char *v;

    assert_null(tide_params_image(NULL));
    assert_null(tide_params_image("ro ip=dhcp"));
    assert_null(tide_params_image("xtide.image=a tide.image="));
    v = tide_params_image("tide.image=first ro");
    assert_string_equal(v, "first");
    free(v);
    v = tide_params_image("tide.image=old ro\ttide.image=new");   /* the last one wins */
    assert_string_equal(v, "new");
    free(v);
}

/* ---- endpoint history ----------------------------------------------------- */

static void endpoint_history(void **state)
{
    fake_client *t = *state;
    int64_t epoch = -1;

    fake_expect_file(&t->f, "GET", "/boot/v1/endpoint-history?name=x1000c0s0b0n0&endpoint=bootscript", 200,
                     "bss/endpoint_history.json");
    assert_int_equal(tide_bss_last_bootscript(t->http, "x1000c0s0b0n0", &epoch, &t->e), 0);
    assert_int_equal(epoch, 1767261300);

    fake_expect(&t->f, "GET", "/boot/v1/endpoint-history?name=x1000c0s0b0n1&endpoint=bootscript", 200, JSON, "null");
    assert_int_equal(tide_bss_last_bootscript(t->http, "x1000c0s0b0n1", &epoch, &t->e), 0);
    assert_int_equal(epoch, 0);

    tide_endpoint_access *a;
    size_t n;
    fake_expect(&t->f, "GET", "/boot/v1/endpoint-history", 200, JSON,
                "[{\"name\":\"x1000c0s0b0n0\",\"endpoint\":\"bootscript\",\"last_epoch\":1767261300},"
                "{\"name\":\"x1000c0s0b0n0\",\"endpoint\":\"user-data\",\"last_epoch\":1767261360}]");
    assert_int_equal(tide_bss_endpoint_history(t->http, NULL, NULL, &a, &n, &t->e), 0);
    assert_int_equal(n, 2);
    assert_string_equal(a[1].endpoint, "user-data");
    assert_int_equal(a[1].last_epoch, 1767261360);
    tide_endpoint_access_free(a, n);

    fake_expect(&t->f, "GET", "/boot/v1/endpoint-history?endpoint=bootscript", 500, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"Internal Server Error\",\"detail\":\"database unreachable\",\"status\":500}");
    assert_int_equal(tide_bss_endpoint_history(t->http, NULL, "bootscript", &a, &n, &t->e), -1);
    assert_string_equal(t->e.msg, "BSS: GET " BASE "/endpoint-history?endpoint=bootscript: HTTP 500 Internal Server "
                                  "Error: database unreachable");
    assert_null(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fake_client_teardown)
        T(get_all_grouped),
        T(get_all_null_and_etcd),
        T(get_names_404_means_none),
        T(get_names_chunked),
        T(put_chunked),
        T(put_one_and_errors),
        T(patch_only_given_fields),
        T(delete_hosts),
        T(bootscript_ipxe),
        T(bootscript_json),
        T(bootscript_unknown_node),
        T(ipxe_variants),
        T(params_image),
        T(endpoint_history),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_redfish.c - the Redfish client against mockups of real BMCs: discovery, allowed
 * ResetType values (inline and ActionInfo), the fallback chains, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_http.h"
#include "redfish.h"
#include "strbuf.h"

#define BASE "https://x1000c0s0b0"
#define JSON "application/json"
#define DMTF "/redfish/v1/Systems/437XR1138R2"
#define EX425 "/redfish/v1/Systems/Node0"
#define RESET "/Actions/ComputerSystem.Reset"

typedef struct fixture {
    fake_client c;
    tide_redfish_system s;
} fixture;

static int setup(void **state)
{
    fixture *t = xcalloc(1, sizeof(*t));
    fake_client_init(&t->c, "Redfish", BASE);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    fixture *t = *state;
    fake_client_done(&t->c);
    tide_redfish_system_free(&t->s);
    free(t);
    return 0;
}

static void discovery_and_inline_values(void **state)
{
    fixture *t = *state;

    fake_expect_file(&t->c.f, "GET", BASE "/redfish/v1/Systems", 200, "redfish/systems.json");
    fake_expect_file(&t->c.f, "GET", BASE DMTF, 200, "redfish/system-inline.json");
    assert_int_equal(tide_redfish_system_get(t->c.http, NULL, &t->s, &t->c.e), 0);
    assert_string_equal(t->s.path, DMTF);
    assert_string_equal(t->s.power_state, "On");
    assert_string_equal(t->s.reset_target, DMTF RESET);
    assert_true(t->s.allowed_known);
    assert_int_equal(t->s.nallowed, 8);
    assert_string_equal(t->s.allowed[7], "PushPowerButton");

    assert_string_equal(tide_redfish_pick_reset(&t->s, TIDE_RF_ON), "On");
    assert_string_equal(tide_redfish_pick_reset(&t->s, TIDE_RF_OFF), "GracefulShutdown");
    assert_string_equal(tide_redfish_pick_reset(&t->s, TIDE_RF_FORCE_OFF), "ForceOff");
    assert_string_equal(tide_redfish_pick_reset(&t->s, TIDE_RF_RESTART), "GracefulRestart");
    assert_string_equal(tide_redfish_pick_reset(&t->s, TIDE_RF_FORCE_RESTART), "ForceRestart");
}

static void system_by_id_without_graceful_restart(void **state)
{
    fixture *t = *state;

    fake_expect_file(&t->c.f, "GET", BASE "/redfish/v1/Systems/QSBP74100021", 200, "redfish/system-intel.json");
    assert_int_equal(tide_redfish_system_get(t->c.http, "QSBP74100021", &t->s, &t->c.e), 0);
    assert_string_equal(tide_redfish_pick_reset(&t->s, TIDE_RF_RESTART), "ForceRestart");
    assert_string_equal(tide_redfish_pick_reset(&t->s, TIDE_RF_FORCE_RESTART), "ForceRestart");

    fake_expect(&t->c.f, "GET", "/redfish/v1/Systems/QSBP74100021", 200, JSON, "{\"PowerState\":\"On\"}");
    fake_exchange *x = fake_expect(&t->c.f, "POST", BASE "/redfish/v1/Systems/QSBP74100021" RESET, 204, NULL, NULL);
    char *used = NULL;
    assert_int_equal(tide_redfish_reset(t->c.http, &t->s, TIDE_RF_RESTART, 0, 60, &used, &t->c.e), 0);
    assert_string_equal(used, "ForceRestart");
    assert_string_equal(x->sent_body, "{\"ResetType\":\"ForceRestart\"}");
    assert_string_equal(x->sent_content_type, JSON);
    free(used);
}

static void action_info_values(void **state)
{
    fixture *t = *state;

    fake_expect_file(&t->c.f, "GET", BASE "/redfish/v1/Systems/Self", 200, "redfish/system-gigabyte.json");
    fake_expect_file(&t->c.f, "GET", BASE "/redfish/v1/Systems/Self/ResetActionInfo", 200,
                     "redfish/actioninfo-gigabyte.json");
    assert_int_equal(tide_redfish_system_get(t->c.http, "/redfish/v1/Systems/Self", &t->s, &t->c.e), 0);
    assert_string_equal(t->s.power_state, "Off");
    assert_true(t->s.allowed_known);
    assert_int_equal(t->s.nallowed, 4);
    assert_string_equal(tide_redfish_pick_reset(&t->s, TIDE_RF_ON), "On");
    assert_string_equal(tide_redfish_pick_reset(&t->s, TIDE_RF_OFF), "GracefulShutdown");
    assert_string_equal(tide_redfish_pick_reset(&t->s, TIDE_RF_FORCE_OFF), "ForceOff");
    assert_string_equal(tide_redfish_pick_reset(&t->s, TIDE_RF_RESTART), "ForceRestart");
}

static void restart_of_an_off_system_powers_it_on(void **state)
{
    fixture *t = *state;
    char *used = NULL;

    fake_expect_file(&t->c.f, "GET", "/redfish/v1/Systems/Self", 200, "redfish/system-gigabyte.json");
    fake_expect_file(&t->c.f, "GET", "/redfish/v1/Systems/Self/ResetActionInfo", 200,
                     "redfish/actioninfo-gigabyte.json");
    assert_int_equal(tide_redfish_system_get(t->c.http, "Self", &t->s, &t->c.e), 0);

    fake_expect_file(&t->c.f, "GET", "/redfish/v1/Systems/Self", 200, "redfish/system-gigabyte.json");
    fake_exchange *x = fake_expect(&t->c.f, "POST", "/redfish/v1/Systems/Self" RESET, 204, NULL, NULL);
    assert_int_equal(tide_redfish_reset(t->c.http, &t->s, TIDE_RF_RESTART, 0, 60, &used, &t->c.e), 0);
    assert_string_equal(used, "On");
    assert_string_equal(x->sent_body, "{\"ResetType\":\"On\"}");
    free(used);
}

static void restart_without_restart_types_is_off_then_on(void **state)
{
    fixture *t = *state;
    char *used = NULL;

    fake_expect_file(&t->c.f, "GET", BASE EX425, 200, "redfish/system-ex425.json");
    fake_expect_file(&t->c.f, "GET", BASE EX425 "/ResetActionInfo", 200, "redfish/actioninfo-ex425.json");
    assert_int_equal(tide_redfish_system_get(t->c.http, EX425, &t->s, &t->c.e), 0);
    assert_null(tide_redfish_pick_reset(&t->s, TIDE_RF_RESTART));
    assert_null(tide_redfish_pick_reset(&t->s, TIDE_RF_FORCE_RESTART));
    assert_string_equal(tide_redfish_pick_reset(&t->s, TIDE_RF_OFF), "ForceOff");

    fake_expect_file(&t->c.f, "GET", EX425, 200, "redfish/system-ex425.json");
    fake_exchange *off = fake_expect(&t->c.f, "POST", BASE EX425 RESET, 204, NULL, NULL);
    fake_expect(&t->c.f, "GET", EX425, 200, JSON, "{\"Id\":\"Node0\",\"PowerState\":\"PoweringOff\"}");
    fake_expect(&t->c.f, "GET", EX425, 200, JSON, "{\"Id\":\"Node0\",\"PowerState\":\"Off\"}");
    fake_exchange *on = fake_expect(&t->c.f, "POST", BASE EX425 RESET, 204, NULL, NULL);
    assert_int_equal(tide_redfish_reset(t->c.http, &t->s, TIDE_RF_FORCE_RESTART, 0, 60, &used, &t->c.e), 0);
    assert_string_equal(used, "ForceOff+On");
    assert_string_equal(off->sent_body, "{\"ResetType\":\"ForceOff\"}");
    assert_string_equal(on->sent_body, "{\"ResetType\":\"On\"}");
    assert_string_equal(t->s.power_state, "Off");
    free(used);
}

static void off_then_on_deadline(void **state)
{
    fixture *t = *state;
    char *used = (char *)"unchanged";

    fake_expect_file(&t->c.f, "GET", EX425, 200, "redfish/system-ex425.json");
    fake_expect_file(&t->c.f, "GET", EX425 "/ResetActionInfo", 200, "redfish/actioninfo-ex425.json");
    assert_int_equal(tide_redfish_system_get(t->c.http, EX425, &t->s, &t->c.e), 0);

    fake_expect_file(&t->c.f, "GET", EX425, 200, "redfish/system-ex425.json");
    fake_expect(&t->c.f, "POST", EX425 RESET, 204, NULL, NULL);
    fake_expect(&t->c.f, "GET", EX425, 200, JSON, "{\"PowerState\":\"PoweringOff\"}");
    assert_int_equal(tide_redfish_reset(t->c.http, &t->s, TIDE_RF_RESTART, 0, 0, &used, &t->c.e), -1);
    assert_null(used);
    assert_string_equal(t->c.e.msg, "Redfish: " BASE EX425 ": PowerState is still PoweringOff, not Off, after 0 s");
}

static void unknown_values_fall_back_on_400(void **state)
{
    fixture *t = *state;
    char *used = NULL;

    fake_expect_file(&t->c.f, "GET", "/redfish/v1/Systems/system", 200, "redfish/system-plain.json");
    assert_int_equal(tide_redfish_system_get(t->c.http, "system", &t->s, &t->c.e), 0);
    assert_false(t->s.allowed_known);
    /* The target ends in "/" on some BMCs: it is used as given. */
    assert_string_equal(t->s.reset_target, "/redfish/v1/Systems/system/Actions/ComputerSystem.Reset/");
    assert_string_equal(tide_redfish_pick_reset(&t->s, TIDE_RF_RESTART), "GracefulRestart");

    fake_expect_file(&t->c.f, "GET", "/redfish/v1/Systems/system", 200, "redfish/system-plain.json");
    fake_exchange *a = fake_expect_file(&t->c.f, "POST",
                                        BASE "/redfish/v1/Systems/system/Actions/ComputerSystem.Reset/", 400,
                                        "redfish/error-400.json");
    fake_exchange *b = fake_expect(&t->c.f, "POST", "/Actions/ComputerSystem.Reset/", 200, JSON, "{}");
    assert_int_equal(tide_redfish_reset(t->c.http, &t->s, TIDE_RF_RESTART, 0, 60, &used, &t->c.e), 0);
    assert_string_equal(used, "ForceRestart");
    assert_string_equal(a->sent_body, "{\"ResetType\":\"GracefulRestart\"}");
    assert_string_equal(b->sent_body, "{\"ResetType\":\"ForceRestart\"}");
    free(used);
}

static void error_body_message_is_reported(void **state)
{
    fixture *t = *state;
    char *used = NULL;

    fake_expect_file(&t->c.f, "GET", DMTF, 200, "redfish/system-inline.json");
    assert_int_equal(tide_redfish_system_get(t->c.http, DMTF, &t->s, &t->c.e), 0);

    fake_expect_file(&t->c.f, "GET", DMTF, 200, "redfish/system-inline.json");
    fake_expect_file(&t->c.f, "POST", DMTF RESET, 400, "redfish/error-400.json");
    assert_int_equal(tide_redfish_reset(t->c.http, &t->s, TIDE_RF_RESTART, 0, 60, &used, &t->c.e), -1);
    assert_null(used);
    assert_string_equal(t->c.e.msg, "Redfish: POST " BASE DMTF RESET ": HTTP 400 Bad Request: A general error has "
                                  "occurred. See ExtendedInfo for more information. (The parameter GracefulRestart "
                                  "for the action ComputerSystem.Reset is not supported on the target resource.)");
    assert_int_equal(t->c.e.http_status, 400);
}

static void on_when_on_does_nothing(void **state)
{
    fixture *t = *state;
    char *used = NULL;

    fake_expect_file(&t->c.f, "GET", DMTF, 200, "redfish/system-inline.json");
    assert_int_equal(tide_redfish_system_get(t->c.http, DMTF, &t->s, &t->c.e), 0);
    fake_expect_file(&t->c.f, "GET", DMTF, 200, "redfish/system-inline.json");
    assert_int_equal(tide_redfish_reset(t->c.http, &t->s, TIDE_RF_ON, 0, 60, &used, &t->c.e), 0);
    assert_string_equal(used, "");
    free(used);

    fake_expect_file(&t->c.f, "GET", DMTF, 200, "redfish/system-inline.json");
    fake_exchange *x = fake_expect(&t->c.f, "POST", DMTF RESET, 204, NULL, NULL);
    assert_int_equal(tide_redfish_reset(t->c.http, &t->s, TIDE_RF_FORCE_OFF, 0, 60, &used, &t->c.e), 0);
    assert_string_equal(used, "ForceOff");
    assert_string_equal(x->sent_body, "{\"ResetType\":\"ForceOff\"}");
    free(used);
}

static void reset_type_accepts_202(void **state)
{
    fixture *t = *state;

    fake_expect_file(&t->c.f, "GET", DMTF, 200, "redfish/system-inline.json");
    assert_int_equal(tide_redfish_system_get(t->c.http, "437XR1138R2", &t->s, &t->c.e), 0);
    fake_exchange *x = fake_expect(&t->c.f, "POST", DMTF RESET, 202, JSON,
                                   "{\"@odata.id\":\"/redfish/v1/TaskService/Tasks/7\",\"TaskState\":\"Running\"}");
    x->location = "/redfish/v1/TaskService/TaskMonitors/7";
    assert_int_equal(tide_redfish_reset_type(t->c.http, &t->s, "Nmi", &t->c.e), 0);
    assert_string_equal(x->sent_body, "{\"ResetType\":\"Nmi\"}");
}

static void nothing_allowed_is_an_error(void **state)
{
    fixture *t = *state;

    fake_expect(&t->c.f, "GET", "/redfish/v1/Systems/1", 200, JSON,
                "{\"PowerState\":\"Off\",\"Actions\":{\"#ComputerSystem.Reset\":{\"target\":"
                "\"/redfish/v1/Systems/1/Actions/ComputerSystem.Reset\",\"ResetType@Redfish.AllowableValues\":[\"Nmi\"]}}}");
    assert_int_equal(tide_redfish_system_get(t->c.http, "1", &t->s, &t->c.e), 0);
    assert_null(tide_redfish_pick_reset(&t->s, TIDE_RF_ON));
    fake_expect(&t->c.f, "GET", "/redfish/v1/Systems/1", 200, JSON, "{\"PowerState\":\"Off\"}");
    assert_int_equal(tide_redfish_reset(t->c.http, &t->s, TIDE_RF_ON, 0, 60, NULL, &t->c.e), -1);
    assert_string_equal(t->c.e.msg,
                        "Redfish: " BASE "/redfish/v1/Systems/1: cannot on: the BMC allows only ResetType Nmi");
}

static void empty_collection(void **state)
{
    fixture *t = *state;

    fake_expect(&t->c.f, "GET", "/redfish/v1/Systems", 200, JSON,
                "{\"@odata.id\":\"/redfish/v1/Systems\",\"Members\":[],\"Members@odata.count\":0}");
    assert_int_equal(tide_redfish_system_get(t->c.http, NULL, &t->s, &t->c.e), -1);
    assert_string_equal(t->c.e.msg, "Redfish: GET " BASE "/redfish/v1/Systems: the BMC lists no system");
    assert_null(t->s.path);
}

static void unauthorized(void **state)
{
    fixture *t = *state;

    fake_expect(&t->c.f, "GET", "/redfish/v1/Systems", 401, JSON,
                "{\"error\":{\"code\":\"Base.1.8.GeneralError\",\"message\":\"A general error has occurred. See "
                "ExtendedInfo for more information.\",\"@Message.ExtendedInfo\":[{\"MessageId\":"
                "\"Base.1.8.NoValidSession\",\"Message\":\"There is no valid session established with the "
                "implementation.\",\"Severity\":\"Critical\"}]}}");
    assert_int_equal(tide_redfish_system_get(t->c.http, NULL, &t->s, &t->c.e), -1);
    assert_string_equal(t->c.e.msg, "Redfish: GET " BASE "/redfish/v1/Systems: HTTP 401 Unauthorized: A general error "
                                  "has occurred. See ExtendedInfo for more information. (There is no valid session "
                                  "established with the implementation.)");
}

static void power_state(void **state)
{
    fixture *t = *state;
    char *st = NULL;

    fake_expect(&t->c.f, "GET", EX425, 200, JSON, "{\"PowerState\":\"PoweringOn\"}");
    assert_int_equal(tide_redfish_power_state(t->c.http, EX425, &st, &t->c.e), 0);
    assert_string_equal(st, "PoweringOn");
    free(st);
    assert_string_equal(tide_redfish_op_name(TIDE_RF_FORCE_RESTART), "force-restart");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(discovery_and_inline_values, setup, teardown),
        cmocka_unit_test_setup_teardown(system_by_id_without_graceful_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(action_info_values, setup, teardown),
        cmocka_unit_test_setup_teardown(restart_of_an_off_system_powers_it_on, setup, teardown),
        cmocka_unit_test_setup_teardown(restart_without_restart_types_is_off_then_on, setup, teardown),
        cmocka_unit_test_setup_teardown(off_then_on_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_values_fall_back_on_400, setup, teardown),
        cmocka_unit_test_setup_teardown(error_body_message_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(on_when_on_does_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(reset_type_accepts_202, setup, teardown),
        cmocka_unit_test_setup_teardown(nothing_allowed_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_collection, setup, teardown),
        cmocka_unit_test_setup_teardown(unauthorized, setup, teardown),
        cmocka_unit_test_setup_teardown(power_state, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

# tests/unit/: cmocka unit tests of lib/, against recorded response bodies in tests/unit/data/.
if HAVE_CMOCKA
UNITLIBS = $(LDADD) $(CMOCKA_LIBS)
UNITCFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -DTEST_DATA_DIR='"$(abs_top_srcdir)/tests/unit/data"'
endif
EXTRA_DIST += tests/unit/data

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_http
TESTS += tests/unit/test_http
tests_unit_test_http_SOURCES = tests/unit/test_http.c tests/unit/fake_http.c tests/unit/fake_http.h
tests_unit_test_http_CFLAGS = $(UNITCFLAGS)
tests_unit_test_http_LDADD = $(UNITLIBS)
endif

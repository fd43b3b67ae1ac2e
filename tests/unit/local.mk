# tests/unit/: cmocka unit tests of lib/, against recorded response bodies in tests/unit/data/.
if HAVE_CMOCKA
UNITLIBS = $(LDADD) $(CMOCKA_LIBS)
UNITCFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -DTEST_DATA_DIR='"$(abs_top_srcdir)/tests/unit/data"'
endif
EXTRA_DIST += tests/unit/data

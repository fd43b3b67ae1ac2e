# contrib/: the site simulator, examples, the testbed and the demo (shipped in the tarball).
EXTRA_DIST += $(srcdir)/contrib

# tests/integration/fidelity/: tide-fidelity, the driver test_fidelity.py runs through a
# validating proxy to check libtide's SMD, BSS and PCS clients against the services' API specs.
noinst_PROGRAMS += tests/integration/fidelity/tide-fidelity
tests_integration_fidelity_tide_fidelity_SOURCES = tests/integration/fidelity/tide-fidelity.c

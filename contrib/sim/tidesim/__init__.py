"""tide-sim: simulated OpenCHAMI/CSM services for testing tide."""

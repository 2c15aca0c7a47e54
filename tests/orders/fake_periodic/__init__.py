"""A stand-in for an app added later: it has a schedule and a tasks module and is listed
nowhere, so run_periodic_jobs must discover it (tests/orders/test_periodic_jobs.py)."""

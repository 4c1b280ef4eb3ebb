"""The load test's locustfile (run by bench.load_test in a process of its own)."""

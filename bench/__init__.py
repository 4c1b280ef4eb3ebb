"""Benchmarks: they print their figures; they are not timed tests."""

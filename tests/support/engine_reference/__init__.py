"""The rules engine as it stood before the sweep was made fast (issue 12): the optimised engine
must give the same evaluations on any history (tests/unit/test_engine_equivalence.py)."""

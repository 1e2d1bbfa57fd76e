"""Benchmark scripts: they print figures and never assert on timing (`make bench`)."""

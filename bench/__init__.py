"""Benchmarks over real data: run each with `python -m bench.NAME` from the project root."""

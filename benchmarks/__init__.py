"""Benchmarks and retrieval baselines (not installed): `make bench` runs them."""

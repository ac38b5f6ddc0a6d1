"""Benchmark sections: one module each, defining ``SECTION`` (see benchmarks/registry.py)."""

"""Benchmarks: scripts that measure and print JSON figures."""

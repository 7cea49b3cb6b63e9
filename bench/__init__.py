"""Benchmarks of the deployer and the platform on the local sandbox: `python bench/run.py [--quick]`."""

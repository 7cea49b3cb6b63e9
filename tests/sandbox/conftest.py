"""Fixtures of the sandbox suite live in tests/conftest.py (execution_role is shared with the deployer suite)."""

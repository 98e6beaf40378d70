"""Shared fixtures: the local cloud (moto's server + the local AppConfig service); see localcloud.testing."""

pytest_plugins = ["localcloud.testing"]

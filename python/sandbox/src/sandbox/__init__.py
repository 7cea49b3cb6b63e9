"""Local multi-account AWS sandbox: pinned moto plus the extensions this project needs."""

__all__ = ["__version__"]
__version__ = "0.1.0"

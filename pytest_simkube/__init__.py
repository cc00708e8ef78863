"""pytest-simkube: replay Kubernetes cluster traces against a proposed config and assert SLOs."""

__version__ = "0.1.0"

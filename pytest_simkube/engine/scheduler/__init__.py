"""The embedded kube-scheduler: framework, node snapshot, plugins and the scheduling cycle.

Importable alone (``simkube schedule`` uses only this package, ``kube`` and ``config``).
"""

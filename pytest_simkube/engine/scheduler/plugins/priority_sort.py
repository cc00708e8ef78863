"""PrioritySort (QueueSort): higher ``spec.priority`` first, then the earlier enqueue time.

Upstream: pkg/scheduler/framework/plugins/queuesort/priority_sort.go (``Less``).
"""

from __future__ import annotations

from typing import Any

from pytest_simkube.engine.scheduler.framework import QueueSortPlugin


class PrioritySort(QueueSortPlugin):
    name = "PrioritySort"

    def less(self, a: Any, b: Any) -> bool:
        """``a`` and ``b`` carry ``.pod.priority`` and ``.timestamp`` (QueuedPodInfo)."""
        p1, p2 = a.pod.priority, b.pod.priority
        return p1 > p2 or (p1 == p2 and a.timestamp < b.timestamp)

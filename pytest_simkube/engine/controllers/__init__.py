"""Workload controllers, one module per kind, each citing the upstream controller it follows."""

from __future__ import annotations

from pytest_simkube.engine.controllers.cronjob import CronJobController
from pytest_simkube.engine.controllers.daemonset import DaemonSetController
from pytest_simkube.engine.controllers.deployment import DeploymentController
from pytest_simkube.engine.controllers.job import JobController
from pytest_simkube.engine.controllers.replicaset import ReplicaSetController
from pytest_simkube.engine.controllers.statefulset import StatefulSetController

ALL_CONTROLLERS = (
    ReplicaSetController, DeploymentController, StatefulSetController, DaemonSetController,
    JobController, CronJobController,
)

__all__ = [
    "ALL_CONTROLLERS", "CronJobController", "DaemonSetController", "DeploymentController",
    "JobController", "ReplicaSetController", "StatefulSetController",
]

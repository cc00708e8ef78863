"""The embedded engine: a discrete-event cluster simulator in virtual time (DESIGN.md §4).

Entry point: :func:`pytest_simkube.engine.run.run_scenario`. This package file imports
nothing, so ``engine.scheduler`` (the kube-scheduler model, usable alone by
``simkube schedule``) does not pull in the rest of the engine.
"""

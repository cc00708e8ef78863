"""Conformance with the real kube-scheduler (v1.30) on every reference score vector.

For each vector the embedded scheduler explains the pending pod on the same cluster and
every field is compared: effective plugins, per node feasibility, the rejecting plugin with
code and reasons, per plugin normalised scores, totals, the tie set, the fit error text,
skipped plugins and ``numFeasibleNodesToFind``.  ``test_agreement_table`` prints
field: agreeing/total over all vectors (run with ``-s`` to see it) and requires 100%.
"""

from __future__ import annotations

import pytest

from tests.conftest import SCHEDULER_VECTORS, require_reference
from tests.scheduler.conftest import vector_ids, vector_paths
from tests.scheduler.score_conformance import FIELDS, compare

PATHS = vector_paths("score")


@pytest.mark.parametrize("path", PATHS, ids=vector_ids("score"))
def test_score_vector_agrees(path):
    result = compare(path)
    disagreements = {field: bad for field, (_ok, _n, bad) in result.items() if bad}
    assert not disagreements, f"{path.name}: {disagreements}"


def test_agreement_table(capsys):
    require_reference(SCHEDULER_VECTORS / "score")
    if not PATHS:
        pytest.skip("no score vectors found")
    totals = {field: [0, 0] for field in FIELDS}
    for path in PATHS:
        for field, (ok, n, _bad) in compare(path).items():
            totals[field][0] += ok
            totals[field][1] += n
    lines = [f"score vectors: {len(PATHS)}"]
    lines += [f"  {field:<34} {ok}/{n}" for field, (ok, n) in totals.items()]
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert all(ok == n for ok, n in totals.values()), "\n".join(lines)
    assert totals["node.feasible"][1] > 1000  # the comparison really covered the nodes

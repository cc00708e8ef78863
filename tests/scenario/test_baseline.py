"""The baseline scenario: the config section and its files as they are at a git ref."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from pytest_simkube.cli import main
from pytest_simkube.errors import ConfigError, ScenarioError
from pytest_simkube.scenario import BaselineUnavailable, load_baseline_scenario, load_scenario
from tests.scenario.scenario_files import SCENARIO, write_scenario_folder

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd, *args):
    subprocess.run(
        ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path):
    git(tmp_path, "init", "-q", "-b", "main")
    path = write_scenario_folder(tmp_path / "scenarios")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    return path


def test_baseline_takes_config_from_the_ref_and_everything_else_from_now(repo):
    root = repo.parent
    (root / "config" / "kube-scheduler.yaml").write_text(
        "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"
        "percentageOfNodesToScore: 70\n"
    )
    (root / "patches" / "requests.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: catalog, namespace: shop}\n"
        "spec: {replicas: 9}\n"
    )
    repo.write_text(
        SCENARIO.replace("scale-down-unneeded-time: 5m", "scale-down-unneeded-time: 2m").replace(
            "nodes.peak <= 40", "nodes.peak <= 30"
        )
    )
    current = load_scenario(repo)
    baseline = load_baseline_scenario(current, "main")

    assert current.config.autoscaler.scale_down_unneeded_time == 120.0
    assert baseline.config.autoscaler.scale_down_unneeded_time == 300.0
    assert current.config.scheduler.percentage_of_nodes_to_score == 70
    assert baseline.config.scheduler.percentage_of_nodes_to_score == 0
    assert current.config.patches[0].target == "apps/v1 Deployment shop/catalog"
    assert baseline.config.patches[0].target == "apps/v1 Deployment shop/checkout"
    assert baseline.config.patches[0].source.endswith("requests.yaml@main")
    assert baseline.expectations == current.expectations  # same SLOs
    assert (baseline.trace_path, baseline.cluster, baseline.seed) == (
        current.trace_path,
        current.cluster,
        current.seed,
    )
    cpu = [
        o["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"]
        for e in baseline.load_trace().events
        for o in e.applied_objs
        if o["metadata"]["name"] == "checkout"
    ]
    assert cpu == ["1200m", "1200m"]


def test_new_scenario_has_no_baseline(repo):
    new = repo.parent / "new.simkube.yaml"
    new.write_text(SCENARIO)
    with pytest.raises(BaselineUnavailable, match="does not exist at main, so it has no baseline"):
        load_baseline_scenario(load_scenario(new), "main")


def test_bad_ref_and_files_missing_at_the_ref(repo):
    current = load_scenario(repo)
    with pytest.raises(ScenarioError, match="unknown git ref 'no-such-branch'"):
        load_baseline_scenario(current, "no-such-branch")
    root = repo.parent
    (root / "patches" / "extra.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: catalog}\nspec: {replicas: 1}\n"
    )
    repo.write_text(SCENARIO.replace("patches: [patches/requests.yaml]", "patches: [patches/extra.yaml]"))
    git(root.parent, "commit", "-q", "-am", "use extra")  # scenario committed, patch file not
    with pytest.raises(ScenarioError) as info:
        load_baseline_scenario(load_scenario(repo), "main")
    assert info.value.source == f"{repo}@main"
    assert "patch file 'patches/extra.yaml' does not exist at main (scenarios/patches/extra.yaml)" in str(
        info.value
    )


def test_invalid_config_at_the_ref_names_the_ref(repo):
    root = repo.parent
    (root / "config" / "kube-scheduler.yaml").write_text(
        "apiVersion: kubescheduler.config.k8s.io/v1\nkind: Nope\n"
    )
    git(root.parent, "commit", "-q", "-am", "break the scheduler config")
    (root / "config" / "kube-scheduler.yaml").write_text(
        "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"
    )
    with pytest.raises(ConfigError) as info:
        load_baseline_scenario(load_scenario(repo), "main")
    assert info.value.source.endswith("kube-scheduler.yaml@main")


def test_outside_a_repository(tmp_path):
    current = load_scenario(write_scenario_folder(tmp_path))
    with pytest.raises(ScenarioError, match="not in a git repository"):
        load_baseline_scenario(current, "main")


def test_validate_with_baseline_ref(cli, repo):
    result = cli.invoke(main, ["scenario", "validate", "--baseline-ref", "main", str(repo)])
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("; baseline at main: 1 patch")
    new = repo.parent / "new.simkube.yaml"
    new.write_text(SCENARIO)
    result = cli.invoke(main, ["scenario", "validate", "--baseline-ref", "main", str(new)])
    assert result.exit_code == 0
    assert result.stdout.rstrip().endswith("; no baseline at main (new scenario)")
    bad_ref = cli.invoke(main, ["scenario", "validate", "--baseline-ref", "nope", str(repo)])
    assert bad_ref.exit_code == 2
    assert bad_ref.stderr == f"simkube: error: {repo}: unknown git ref 'nope'\n"

"""``simkube schedule``: run the embedded kube-scheduler on a cluster snapshot and explain it.

Answers "why is this pod pending?" and "why did it land there?": every node is filtered and
every feasible node scored, as kube-scheduler's framework would, and the verdicts are shown
per node (rejecting plugin and reason, or per-plugin weighted scores and the total), with the
chosen node or kube-scheduler's own "0/N nodes are available: ..." message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from pytest_simkube.errors import ConfigError, InputError


def _config(cluster: Any, config_file: Path | None) -> Any:
    from pytest_simkube.config.scheduler import (
        default_scheduler_config,
        load_scheduler_config,
        parse_scheduler_config_text,
    )

    if config_file is not None:
        return load_scheduler_config(config_file)
    if cluster.config_text:
        return parse_scheduler_config_text(cluster.config_text, f"{cluster.source}: config")
    return default_scheduler_config()


def _explain_one(cluster: Any, pod: Any, config: Any, seed: int) -> dict[str, Any]:
    from pytest_simkube.engine.scheduler.explain import explain
    from pytest_simkube.engine.scheduler.profiles import build_framework

    profile = config.profile(pod.scheduler_name)
    if profile is None:
        names = ", ".join(p.scheduler_name for p in config.profiles)
        message = f"no scheduler profile for schedulerName {pod.scheduler_name!r} (profiles: {names})"
        raise ConfigError(cluster.source, f"pod {pod.key}", message)
    snapshot = cluster.snapshot()
    framework = build_framework(snapshot, profile=profile, config=config,
                                namespace_labels=cluster.namespace_labels)
    return explain(pod, framework, snapshot, seed=seed)


def _run_form(cluster: Any, config_file: Path | None, seed: int) -> dict[str, Any]:
    try:
        from pytest_simkube.engine.scheduler.runner import run_case
    except ImportError:
        raise InputError(cluster.source, None, "several pending pods: name one with --pod "
                         "(the sequential run form is not available in this build)") from None
    data = dict(cluster.raw_input or {})
    if cluster.raw_input is None:
        # Kubernetes objects: the Namespaces' labels (namespaceSelectors) and the PDBs
        # (preemption's victim choice) go with the nodes and pods.
        data = {"nodes": cluster.nodes, "pods": [p.raw for p in cluster.bound + cluster.pending]}
        if cluster.namespace_labels:
            data["namespaces"] = cluster.namespace_labels
        if cluster.pdbs:
            data["pdbs"] = cluster.pdbs
    if config_file is not None:
        data["config"] = config_file.read_text(encoding="utf-8")
    return run_case(data, seed, source=cluster.source)


_SHORT = {"NodeResourcesBalancedAllocation": "BalancedAlloc", "NodeResourcesFit": "ResourcesFit",
          "PodTopologySpread": "TopologySpread", "InterPodAffinity": "PodAffinity",
          "TaintToleration": "Taints", "ImageLocality": "Images", "NodeAffinity": "NodeAffinity"}
"""Column headers for the score plugins, short enough to fit a terminal."""


def _reason(node: dict[str, Any]) -> str:
    status = node.get("filter") or {}
    return f"{status.get('plugin', '')}: {', '.join(status.get('reasons', []))}".strip(": ")


def _render_table(result: dict[str, Any], explain_details: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=200, highlight=False, soft_wrap=False)
    plugins = [s["name"] for s in result["plugins"].get("score", [])
               if s["name"] not in set(result.get("skippedScorePlugins", []))]
    feasible = [n for n in result["nodes"] if n["feasible"]]
    shown = [p for p in plugins if any(p in n.get("scores", {}) for n in feasible)]
    table = Table(title=f"pod {result['pod']} — profile {result['profile']}", title_justify="left")
    table.add_column("node", no_wrap=True)
    table.add_column("fits")
    table.add_column("rejected by (plugin: reasons)")
    for plugin in shown:
        table.add_column(_SHORT.get(plugin, plugin), justify="right")
    table.add_column("total", justify="right")
    best = set(result.get("maxNodes", []))
    for node in result["nodes"]:
        cells = [node["name"] + (" *" if node["name"] == result.get("selected") else ""),
                 "yes" if node["feasible"] else "no", _reason(node)]
        for plugin in shown:
            score = node.get("scores", {}).get(plugin)
            if score is None:
                cells.append("")
            elif explain_details:
                cells.append(f"{score['weighted']} ({score['raw']}→{score['normalized']}×{score['weight']})")
            else:
                cells.append(str(score["weighted"]))
        total = node.get("total")
        cells.append("" if total is None else (f"{total} (max)" if node["name"] in best else str(total)))
        table.add_row(*cells)
    console.print(table)
    if result.get("selected"):
        ties = len(result.get("maxNodes", []))
        tie_note = f" (random pick among {ties} nodes tied at {result['maxTotal']})" if ties > 1 else ""
        console.print(f"chosen node: {result['selected']}{tie_note}")
    if result.get("fitError"):
        console.print(f"unschedulable: {result['fitError']}")
    if explain_details:
        skipped_filters = ", ".join(result["skippedFilterPlugins"]) or "-"
        skipped_scores = ", ".join(result.get("skippedScorePlugins", [])) or "-"
        console.print(f"filters skipped (PreFilter said Skip): {skipped_filters}")
        console.print(f"scores skipped (PreScore said Skip): {skipped_scores}")
        single = ("; with one feasible node it skips scoring"
                  if result["singleFeasibleNodeScoringSkipped"] else "")
        console.print(f"kube-scheduler would stop filtering after {result['numFeasibleNodesToFind']} "
                      f"feasible of {result['numAllNodes']} nodes{single}")
    for plugin, note in (result.get("notModelled") or {}).items():
        console.print(f"not modelled ({plugin}): {note}")


def _render_run_table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=200, highlight=False, soft_wrap=False)
    table = Table(title="pods", title_justify="left")
    for column in ("pod", "status", "node", "message"):
        table.add_column(column)
    for pod in result.get("pods", []):
        key = f"{pod['namespace']}/{pod['name']}" if pod.get("namespace") else str(pod.get("name"))
        table.add_row(key, str(pod.get("status")),
                      str(pod.get("node") or ""), str(pod.get("message") or ""))
    console.print(table)


@click.command()
@click.argument("input_file", metavar="INPUT", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--pod", "pod_name", metavar="NAME", help="The pending pod to place (name or namespace/name).")
@click.option("--pod-file", type=click.Path(path_type=Path, dir_okay=False),
              help="A Pod manifest to place on INPUT's cluster.")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="KubeSchedulerConfiguration (v1) file; default: INPUT's config, else the defaults.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--explain", "explain_details", is_flag=True,
              help="Table: also raw/normalised scores, skipped plugins and sampling facts.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the tie-break among top nodes.")
def schedule(input_file: Path, pod_name: str | None, pod_file: Path | None, config_file: Path | None,
             output_format: str, explain_details: bool, seed: int) -> None:
    """Decide where a pod goes, as kube-scheduler would, and explain why.

    INPUT is a scheduler vector input ({nodes, pods, pod}) or Nodes and Pods as
    `kubectl get nodes,pods -A -o yaml` prints them.  With one pending pod (or --pod /
    --pod-file) every node's verdict is shown; a vector input with several pending pods
    and no --pod is run as a sequence, one pod after the other.
    """
    from pytest_simkube.engine.scheduler.inputs import find_pending, load_cluster_input, load_pod_file

    if pod_name and pod_file:
        raise click.UsageError("use either --pod or --pod-file, not both")
    cluster = load_cluster_input(input_file)
    if pod_file is not None:
        pod = load_pod_file(pod_file)
    elif pod_name is not None:
        pod = find_pending(cluster, pod_name)
    elif len(cluster.pending) == 1:
        pod = cluster.pending[0]
    elif not cluster.pending:
        raise InputError(str(input_file), None, "no pending pod to schedule (give one with --pod-file)")
    else:
        result = _run_form(cluster, config_file, seed)
        if output_format == "json":
            click.echo(json.dumps(result, indent=2, sort_keys=True))
        else:
            _render_run_table(result)
        return
    config = _config(cluster, config_file)
    result = _explain_one(cluster, pod, config, seed)
    if output_format == "json":
        click.echo(json.dumps(result, indent=2, sort_keys=True))
    else:
        _render_table(result, explain_details)

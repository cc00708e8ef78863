"""Loading ``*.simkube.yaml`` scenarios strictly (DESIGN.md §3.2).

Every key is known or rejected with a suggestion, every value typed and range-checked,
every referenced file resolved relative to the scenario and checked, and each error
names the file, the line and the key path. A scenario that loads is one an engine can
run without tripping over its input.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pytest_simkube.config.autoscaler import parse_autoscaler_options, parse_node_group_options
from pytest_simkube.errors import ScenarioError
from pytest_simkube.expect.parser import parse_expectations
from pytest_simkube.scenario.config_files import ConfigFiles, WorkingTreeFiles
from pytest_simkube.scenario.model import (
    DEFAULT_PROVISION_DELAY_SECONDS,
    ClusterSpec,
    NodeGroupSpec,
    ProposedConfig,
    Scenario,
)
from pytest_simkube.scenario.nodes import group_name, parse_static_nodes, parse_template
from pytest_simkube.scenario.patches import Patch, parse_patch, parse_patch_text
from pytest_simkube.scenario.scheduler_config import resolve_scheduler_config
from pytest_simkube.yamlstrict import Reader, child_path, parse_yaml_documents

SCENARIO_SUFFIX = ".simkube.yaml"
TOP_LEVEL_KEYS = ("name", "description", "trace", "duration", "seed", "cluster", "config", "expect")
CLUSTER_KEYS = ("nodes", "nodeGroups")
NODE_GROUP_KEYS = ("name", "min", "max", "price", "provisionDelay", "template", "zones", "autoscaling")
CONFIG_KEYS = ("scheduler", "autoscaler", "patches")
_SCENARIO_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(str(file), None, "scenario file not found") from None
    except OSError as exc:
        raise ScenarioError(str(file), None, f"cannot read scenario file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ScenarioError(str(file), None, "not a UTF-8 text file") from None
    return parse_scenario(text, file)


def parse_scenario(text: str, path: str | Path) -> Scenario:
    """Validate scenario ``text`` as if read from ``path`` (relative paths resolve against its folder)."""
    file = Path(path)
    source = str(file)
    documents = parse_yaml_documents(text, source, ScenarioError)
    if len(documents) > 1:
        raise ScenarioError(source, None, "expected exactly one YAML document holding the scenario")
    if not documents or documents[0][0] is None:
        raise ScenarioError(source, None, "the scenario file is empty")
    data, lines = documents[0]
    reader = Reader(source, lines, ScenarioError)
    if isinstance(data, dict):  # top-level "x-..." keys hold YAML anchors for reuse (compose-style)
        data = {key: value for key, value in data.items() if not str(key).startswith("x-")}
    top = reader.mapping(data, "", TOP_LEVEL_KEYS, required=("trace",), what="scenario mapping")
    files = WorkingTreeFiles(file.resolve().parent)

    name = _scenario_name(reader, top.get("name"), file)
    description = None
    if top.get("description") is not None:
        description = reader.string(top["description"], "description")
    trace_path = files.resolve(reader, top["trace"], "trace", what="trace")
    duration = top.get("duration")
    duration_seconds = None
    if duration is not None:
        duration_seconds = reader.duration(duration, "duration")
        if duration_seconds <= 0:
            raise reader.fail("duration", "must be positive")
    seed = reader.integer(top.get("seed", 0), "seed", minimum=0)
    cluster = _cluster(reader, top.get("cluster"))
    config = resolve_config(reader, top.get("config"), files)
    expectations = parse_expectations(reader.sequence(top.get("expect"), "expect"), source, "expect", lines)
    return Scenario(name=name, path=file, trace_path=trace_path, duration_seconds=duration_seconds, seed=seed,
                    cluster=cluster, config=config, expectations=expectations, description=description)


def scenario_name_from_path(path: Path) -> str:
    name = path.name
    return name[: -len(SCENARIO_SUFFIX)] if name.endswith(SCENARIO_SUFFIX) else path.stem


def _scenario_name(reader: Reader, value: Any, file: Path) -> str:
    if value is None:
        return scenario_name_from_path(file)
    name = reader.string(value, "name")
    if len(name) > 128 or not _SCENARIO_NAME.match(name):
        raise reader.fail("name", f"invalid scenario name {name!r} (letters, digits, '-', '_' and '.'; "
                                  "it names report files and test cases)")
    return name


def _cluster(reader: Reader, value: Any) -> ClusterSpec:
    data = reader.mapping(value, "cluster", CLUSTER_KEYS, what="cluster mapping (nodes, nodeGroups)")
    nodes = parse_static_nodes(reader, data.get("nodes"), "cluster.nodes")
    seen_nodes: dict[str, int] = {}
    for index, node in enumerate(nodes):
        node_name = node["metadata"]["name"]
        if node_name in seen_nodes:
            raise reader.fail("cluster.nodes", f"node name {node_name!r} is used twice "
                                               f"(nodes {seen_nodes[node_name]} and {index} after expansion)")
        seen_nodes[node_name] = index
    groups: list[NodeGroupSpec] = []
    for index, item in enumerate(reader.sequence(data.get("nodeGroups"), "cluster.nodeGroups")):
        groups.append(_node_group(reader, item, f"cluster.nodeGroups[{index}]"))
    names: dict[str, int] = {}
    for index, group in enumerate(groups):
        path = f"cluster.nodeGroups[{index}].name"
        if group.name in names:
            raise reader.fail(path, f"duplicate node group name {group.name!r} "
                                    f"(also cluster.nodeGroups[{names[group.name]}])")
        names[group.name] = index
        clash = next((n for n in seen_nodes if re.fullmatch(re.escape(group.name) + r"-[0-9]+", n)), None)
        if clash:
            raise reader.fail(path, f"static node {clash!r} would clash with the names of node group "
                                    f"{group.name!r}'s nodes ({group.name}-0, {group.name}-1, ...)")
    if not nodes and not any(group.max_size > 0 for group in groups):
        raise reader.fail("cluster", "the cluster has no nodes: give static nodes or a node group "
                                     "with max > 0")
    return ClusterSpec(nodes=nodes, node_groups=groups)


def _node_group(reader: Reader, value: Any, path: str) -> NodeGroupSpec:
    data = reader.mapping(value, path, NODE_GROUP_KEYS, required=("name", "max", "template"),
                          what="node group mapping")
    name = group_name(reader, data["name"], child_path(path, "name"))
    min_size = reader.integer(data.get("min", 0), child_path(path, "min"), minimum=0)
    max_size = reader.integer(data["max"], child_path(path, "max"), minimum=0)
    if min_size > max_size:
        raise reader.fail(child_path(path, "min"), f"min ({min_size}) is greater than max ({max_size})")
    price = reader.number(data.get("price", 0.0), child_path(path, "price"), minimum=0)
    delay = DEFAULT_PROVISION_DELAY_SECONDS
    if data.get("provisionDelay") is not None:
        delay = reader.duration(data["provisionDelay"], child_path(path, "provisionDelay"))
    template = parse_template(reader, data["template"], child_path(path, "template"))
    zones = None
    if data.get("zones") is not None:
        zones_path = child_path(path, "zones")
        zones = [reader.string(zone, child_path(zones_path, i))
                 for i, zone in enumerate(reader.sequence(data["zones"], zones_path))]
        if not zones:
            raise reader.fail(zones_path, "give at least one zone, or leave 'zones' out")
        if len(set(zones)) != len(zones):
            raise reader.fail(zones_path, f"zones repeat: {zones}")
    autoscaling = parse_node_group_options(data.get("autoscaling"), reader.source,
                                           child_path(path, "autoscaling"), lines=reader.lines)
    return NodeGroupSpec(name=name, min_size=min_size, max_size=max_size, template=template,
                         price_per_hour=price, provision_delay_seconds=delay, zones=zones,
                         autoscaling=autoscaling)


def resolve_config(reader: Reader, value: Any, files: ConfigFiles) -> ProposedConfig:
    """The ``config`` section: scheduler, autoscaler and patches, reading files through ``files``."""
    data = reader.mapping(value, "config", CONFIG_KEYS,
                          what="config mapping (scheduler, autoscaler, patches)")
    scheduler, scheduler_path = resolve_scheduler_config(reader, data.get("scheduler"), "config.scheduler",
                                                         files)
    autoscaler = parse_autoscaler_options(data.get("autoscaler"), reader.source, "config.autoscaler",
                                          lines=reader.lines)
    patches: list[Patch] = []
    for index, item in enumerate(reader.sequence(data.get("patches"), "config.patches")):
        item_path = f"config.patches[{index}]"
        if isinstance(item, dict):
            patches.append(parse_patch(reader, item, item_path, where=reader.where(item_path), path=None))
        else:
            patch_file = files.resolve(reader, item, item_path, what="patch")
            patches.extend(parse_patch_text(files.read_text(patch_file), files.label(patch_file), patch_file))
    return ProposedConfig(scheduler=scheduler, scheduler_path=scheduler_path, autoscaler=autoscaler,
                          patches=patches)

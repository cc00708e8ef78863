"""Nodes of the simulated cluster: templates, shorthand, and the v1.Node manifests they become.

Both engines need real ``v1.Node`` objects: the embedded scheduler filters on labels,
taints and ``status.allocatable``; the live engine registers them through ``sk-vnode``.
A scenario may write full Node manifests, but usually writes the shorthand
``{name, cpu, memory, pods, labels, taints, count}``; this module expands it the way a
kubelet would describe the node: capacity = allocatable (no system reservations), the
well-known labels ``kubernetes.io/hostname``, ``kubernetes.io/os``, ``kubernetes.io/arch``
and ``node.kubernetes.io/instance-type``, and ``topology.kubernetes.io/zone`` when a zone
is known. Node-group nodes also get SimKube's ``simkube.io/node-group`` label and a
``simkube://<node>`` providerID (SimKube ``sk-cloudprov`` matches instances that way).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from pytest_simkube.kube.quantity import format_bytes, format_cpu_millis
from pytest_simkube.yamlstrict import Reader, child_path

DEFAULT_PODS = 110
"""kubelet's default ``maxPods``."""
DEFAULT_EPHEMERAL_STORAGE = 100 * 2**30
"""100Gi: a typical node root volume (GKE's default boot disk is 100 GB)."""
NODE_GROUP_LABEL = "simkube.io/node-group"
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
TEMPLATE_KEYS = ("cpu", "memory", "pods", "ephemeralStorage", "extended", "labels", "taints",
                 "instanceType", "arch", "os")
STATIC_NODE_KEYS = ("name", "count", "zone", *TEMPLATE_KEYS)

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                             r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


@dataclass(frozen=True, slots=True)
class NodeTemplate:
    """What one node of a group (or one shorthand static node) offers."""

    cpu_millis: int
    memory_bytes: int
    pods: int = DEFAULT_PODS
    ephemeral_storage_bytes: int = DEFAULT_EPHEMERAL_STORAGE
    extended: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[dict[str, str]] = field(default_factory=list)
    instance_type: str | None = None
    arch: str = "amd64"
    os: str = "linux"

    def resources(self) -> dict[str, str]:
        """``status.capacity`` (= ``allocatable``) in canonical quantity strings."""
        resources = {
            "cpu": format_cpu_millis(self.cpu_millis),
            "memory": format_bytes(self.memory_bytes),
            "pods": str(self.pods),
            "ephemeral-storage": format_bytes(self.ephemeral_storage_bytes),
        }
        resources.update({name: str(count) for name, count in sorted(self.extended.items())})
        return resources

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "cpu": format_cpu_millis(self.cpu_millis),
            "memory": format_bytes(self.memory_bytes),
            "pods": self.pods,
            "ephemeralStorage": format_bytes(self.ephemeral_storage_bytes),
            "arch": self.arch,
            "os": self.os,
        }
        if self.instance_type:
            result["instanceType"] = self.instance_type
        if self.extended:
            result["extended"] = dict(self.extended)
        if self.labels:
            result["labels"] = dict(self.labels)
        if self.taints:
            result["taints"] = [dict(taint) for taint in self.taints]
        return result


def build_node(name: str, template: NodeTemplate, *, zone: str | None = None,
               extra_labels: dict[str, str] | None = None, provider_id: str | None = None) -> dict[str, Any]:
    """A v1.Node manifest for ``name`` offering ``template``'s resources."""
    labels = {
        "kubernetes.io/arch": template.arch,
        "kubernetes.io/os": template.os,
    }
    if template.instance_type:
        labels["node.kubernetes.io/instance-type"] = template.instance_type
    if zone:
        labels["topology.kubernetes.io/zone"] = zone
    labels.update(extra_labels or {})
    labels.update(template.labels)
    labels["kubernetes.io/hostname"] = name
    spec: dict[str, Any] = {}
    if provider_id:
        spec["providerID"] = provider_id
    if template.taints:
        spec["taints"] = [dict(taint) for taint in template.taints]
    resources = template.resources()
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
        "status": {"capacity": dict(resources), "allocatable": dict(resources)},
    }


def parse_template(reader: Reader, value: Any, path: str) -> NodeTemplate:
    """The shorthand keys of a node template (``cpu`` and ``memory`` required)."""
    data = reader.mapping(value, path, allowed=TEMPLATE_KEYS, required=("cpu", "memory"),
                          what="node template mapping")
    extended = {}
    ext_path = child_path(path, "extended")
    raw_extended = data.get("extended")
    for name, amount in reader.mapping(raw_extended, ext_path, allowed=_keys(raw_extended)).items():
        if "/" not in name:
            raise reader.fail(child_path(ext_path, name), "extended resource names are domain-qualified "
                                                          f"(e.g. 'nvidia.com/gpu'), got {name!r}")
        extended[name] = reader.quantity(amount, child_path(ext_path, name))
    return NodeTemplate(
        cpu_millis=reader.quantity(data["cpu"], child_path(path, "cpu"), milli=True, positive=True),
        memory_bytes=reader.quantity(data["memory"], child_path(path, "memory"), positive=True),
        pods=reader.integer(data.get("pods", DEFAULT_PODS), child_path(path, "pods"), minimum=1),
        ephemeral_storage_bytes=reader.quantity(data.get("ephemeralStorage", DEFAULT_EPHEMERAL_STORAGE),
                                                child_path(path, "ephemeralStorage")),
        extended=extended,
        labels=parse_labels(reader, data.get("labels"), child_path(path, "labels")),
        taints=parse_taints(reader, data.get("taints"), child_path(path, "taints")),
        instance_type=_optional_label_value(reader, data.get("instanceType"),
                                            child_path(path, "instanceType")),
        arch=_optional_label_value(reader, data.get("arch", "amd64"), child_path(path, "arch")) or "amd64",
        os=_optional_label_value(reader, data.get("os", "linux"), child_path(path, "os")) or "linux",
    )


def parse_labels(reader: Reader, value: Any, path: str) -> dict[str, str]:
    labels = reader.string_map(value, path)
    for key, label_value in labels.items():
        if not _QUALIFIED_NAME.match(key) or len(key.rpartition("/")[2]) > 63:
            raise reader.fail(child_path(path, key), f"invalid label key {key!r}")
        if len(label_value) > 63 or not _LABEL_VALUE.match(label_value):
            raise reader.fail(child_path(path, key), f"invalid label value {label_value!r} (at most 63 "
                                                     "characters: letters, digits, '-', '_', '.')")
    return labels


def parse_taints(reader: Reader, value: Any, path: str) -> list[dict[str, str]]:
    taints = []
    for index, item in enumerate(reader.sequence(value, path)):
        item_path = child_path(path, index)
        data = reader.mapping(item, item_path, allowed=("key", "value", "effect"), required=("key", "effect"),
                              what="taint mapping {key, value, effect}")
        key = reader.string(data["key"], child_path(item_path, "key"))
        if not _QUALIFIED_NAME.match(key):
            raise reader.fail(child_path(item_path, "key"), f"invalid taint key {key!r}")
        effect = data["effect"]
        if effect not in TAINT_EFFECTS:
            raise reader.fail(child_path(item_path, "effect"),
                              f"taint effect must be one of {', '.join(TAINT_EFFECTS)}, got {effect!r}")
        taint = {"key": key}
        if data.get("value") is not None:
            value_path = child_path(item_path, "value")
            taint["value"] = _optional_label_value(reader, data["value"], value_path) or ""
        taint["effect"] = effect
        taints.append(taint)
    return taints


def parse_static_nodes(reader: Reader, value: Any, path: str) -> list[dict[str, Any]]:
    """``cluster.nodes``: full v1.Node manifests or shorthand entries (``count`` copies each)."""
    nodes: list[dict[str, Any]] = []
    for index, item in enumerate(reader.sequence(value, path)):
        item_path = child_path(path, index)
        if isinstance(item, dict) and ({"kind", "apiVersion", "metadata"} & item.keys()):
            nodes.append(_full_node(reader, item, item_path))
            continue
        data = reader.mapping(item, item_path, allowed=STATIC_NODE_KEYS, required=("name",),
                              what="node (a v1.Node manifest or {name, cpu, memory, ...})")
        name = node_name(reader, data["name"], child_path(item_path, "name"))
        count = reader.integer(data.get("count", 1), child_path(item_path, "count"), minimum=1)
        zone = _optional_label_value(reader, data.get("zone"), child_path(item_path, "zone"))
        template = parse_template(reader, {k: v for k, v in data.items() if k in TEMPLATE_KEYS}, item_path)
        names = [name] if count == 1 else [f"{name}-{i}" for i in range(count)]
        nodes.extend(build_node(node, template, zone=zone) for node in names)
    return nodes


def _full_node(reader: Reader, item: dict[str, Any], path: str) -> dict[str, Any]:
    if item.get("kind") != "Node" or item.get("apiVersion") != "v1":
        raise reader.fail(path, f"a full node manifest needs apiVersion 'v1' and kind 'Node', "
                                f"got {item.get('apiVersion')!r} {item.get('kind')!r}")
    meta_path = child_path(path, "metadata")
    metadata = reader.mapping(item.get("metadata"), meta_path, allowed=_keys(item.get("metadata")),
                              required=("name",))
    name = node_name(reader, metadata["name"], child_path(meta_path, "name"))
    status_path = child_path(path, "status")
    status = reader.mapping(item.get("status"), status_path, allowed=_keys(item.get("status")))
    capacity = status.get("capacity") or status.get("allocatable")
    if not capacity:
        raise reader.fail(status_path, "a node manifest needs status.capacity or status.allocatable")
    for field_name in ("capacity", "allocatable"):
        block_path = child_path(status_path, field_name)
        block = reader.mapping(status.get(field_name), block_path, allowed=_keys(status.get(field_name)))
        for resource, amount in block.items():
            reader.quantity(amount, child_path(block_path, resource), milli=resource == "cpu")
    spec = reader.mapping(item.get("spec"), child_path(path, "spec"), allowed=_keys(item.get("spec")))
    node = copy.deepcopy(item)
    node["spec"] = copy.deepcopy(spec)
    node["status"] = dict(node["status"])
    node["status"].setdefault("capacity", dict(capacity))
    node["status"].setdefault("allocatable", dict(node["status"]["capacity"]))
    labels = parse_labels(reader, metadata.get("labels"), child_path(meta_path, "labels"))
    hostname = labels.get("kubernetes.io/hostname", name)
    node["metadata"]["labels"] = {**labels, "kubernetes.io/hostname": hostname}
    parse_taints(reader, spec.get("taints"), child_path(path, "spec.taints"))
    return node


def node_name(reader: Reader, value: Any, path: str) -> str:
    name = reader.string(value, path)
    if len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        raise reader.fail(path, f"invalid node name {name!r} (lower-case letters, digits, '-' and '.')")
    return name


def group_name(reader: Reader, value: Any, path: str) -> str:
    name = reader.string(value, path)
    if len(name) > 63 or not _DNS_LABEL.match(name):
        raise reader.fail(path, f"invalid node group name {name!r} (a DNS label: lower-case letters, "
                                "digits and '-', at most 63 characters)")
    return name


def _optional_label_value(reader: Reader, value: Any, path: str) -> str | None:
    if value is None:
        return None
    text = reader.string(value, path)
    if len(text) > 63 or not _LABEL_VALUE.match(text):
        raise reader.fail(path, f"invalid label value {text!r}")
    return text


def _keys(value: Any) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, dict) else ()

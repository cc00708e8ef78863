"""Reading what ``simkube schedule`` is asked about: a cluster plus the pod(s) to place.

Accepted documents (JSON, YAML, optionally gzip-compressed):

* the ``input`` object of a reference vector -- score form ``{nodes, pods, pod, config?}``
  (one pending pod against bound pods) or run form ``{nodes, pods, config?, ...}`` whose
  pods without ``spec.nodeName`` are pending; a whole vector file (``{id, kind, input,
  output}``) is accepted too and its ``input`` used;
* Kubernetes objects as ``kubectl get nodes,pods -A -o yaml`` prints them: a ``List`` (or
  several YAML documents, each an object or a List) of Nodes, Pods and optionally Namespaces
  (their labels serve namespaceSelectors) and PodDisruptionBudgets (honoured by preemption
  in the run form).  Pods bound to a node (``spec.nodeName``) occupy
  it unless they are Succeeded or Failed (the scheduler ignores terminated pods); the others
  are pending.

Every problem raises :class:`~pytest_simkube.errors.InputError` naming the file and the
path inside it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pytest_simkube.engine.scheduler.preemption import parse_pdb
from pytest_simkube.engine.scheduler.runner import namespace_labels_from
from pytest_simkube.engine.scheduler.snapshot import Snapshot, SnapshotError
from pytest_simkube.errors import InputError
from pytest_simkube.kube.pods import PodInfo, PodParseError, parse_pod

TERMINATED_PHASES = ("Succeeded", "Failed")


@dataclass
class ClusterInput:
    """Nodes (in order), bound pods, pending pods, namespace labels and an optional config text."""

    source: str
    nodes: list[dict[str, Any]] = field(default_factory=list)
    bound: list[PodInfo] = field(default_factory=list)
    pending: list[PodInfo] = field(default_factory=list)
    namespace_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    pdbs: list[dict[str, Any]] = field(default_factory=list)
    """PodDisruptionBudget manifests (checked on reading); the run form's preemption honours them."""
    config_text: str | None = None
    raw_input: dict[str, Any] | None = None
    """The vector-shaped input when the document was one (needed by the run form)."""
    score_form: bool = False
    """True when the document named exactly one pending ``pod`` (vector score form)."""
    paths: dict[int, str] = field(default_factory=dict)
    """Where each node dict / bound PodInfo came from (``id(obj)`` -> ``items[3]``), for errors."""

    def snapshot(self) -> Snapshot:
        """The bound cluster as a live Snapshot; a bad node or binding names its place in the file."""
        snapshot = Snapshot(capacity=max(64, len(self.nodes)))
        for obj in [*self.nodes, *self.bound]:
            try:
                if isinstance(obj, PodInfo):
                    snapshot.add_pod(obj)
                else:
                    snapshot.add_node(obj)
            except SnapshotError as exc:
                where = ".".join(p for p in (self.paths.get(id(obj), ""), exc.where) if p)
                raise InputError(self.source, where or None, exc.message) from None
        return snapshot


def _read_documents(path: Path) -> list[Any]:
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(source, None, f"cannot read: {exc.strerror or exc}") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(source, None, f"not a valid gzip file: {exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(source, None, f"not UTF-8 text (byte {exc.start})") from None
    stripped = text.lstrip()
    if stripped.startswith("{") or stripped.startswith("["):
        try:
            return [json.loads(text)]
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            raise InputError(source, where, f"invalid JSON: {exc.msg}") from None
    try:
        return [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise InputError(source, where, f"invalid YAML: {getattr(exc, 'problem', None) or exc}") from None


def _pod(source: str, where: str, raw: Any) -> PodInfo:
    try:
        return parse_pod(raw)
    except PodParseError as exc:
        raise InputError(source, f"{where}.{exc.where}" if exc.where else where, exc.message) from None


def _check_node(source: str, where: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise InputError(source, where, "a node must be a map")
    if not isinstance(raw.get("metadata"), Mapping):
        raise InputError(source, f"{where}.metadata", "a node needs a metadata map")
    name = raw["metadata"].get("name")
    if not isinstance(name, str) or not name:
        raise InputError(source, f"{where}.metadata.name", "a node needs a name")
    return dict(raw)


def _from_vector_input(source: str, data: Mapping[str, Any], base: str) -> ClusterInput:
    out = ClusterInput(source=source, raw_input=dict(data))
    nodes = data.get("nodes")
    if not isinstance(nodes, list):
        raise InputError(source, f"{base}nodes", "expected a list of Node objects")
    out.nodes = [_check_node(source, f"{base}nodes[{i}]", n) for i, n in enumerate(nodes)]
    out.paths.update((id(n), f"{base}nodes[{i}]") for i, n in enumerate(out.nodes))
    pods = data.get("pods") or []
    if not isinstance(pods, list):
        raise InputError(source, f"{base}pods", "expected a list of Pod objects")
    for i, raw in enumerate(pods):
        pod = _pod(source, f"{base}pods[{i}]", raw)
        out.paths[id(pod)] = f"{base}pods[{i}]"
        (out.bound if pod.node_name else out.pending).append(pod)
    if data.get("pod") is not None:
        pending = _pod(source, f"{base}pod", data["pod"])
        if pending.node_name:
            raise InputError(source, f"{base}pod.spec.nodeName", "the pod to schedule must not be bound yet")
        out.pending = [pending]
        out.score_form = True
    out.namespace_labels = namespace_labels_from(data.get("namespaces"), source, f"{base}namespaces")
    config = data.get("config")
    if config is not None:
        if isinstance(config, Mapping):
            config = yaml.safe_dump(dict(config))
        if not isinstance(config, str):
            raise InputError(source, f"{base}config", "expected KubeSchedulerConfiguration text or a map")
        out.config_text = config
    return out


def _objects(source: str, docs: list[Any]) -> list[tuple[str, Mapping[str, Any]]]:
    out: list[tuple[str, Mapping[str, Any]]] = []
    for d, doc in enumerate(docs):
        base = f"document {d + 1}" if len(docs) > 1 else ""
        if not isinstance(doc, Mapping):
            raise InputError(source, base or None, "expected a Kubernetes object or List")
        if doc.get("kind") == "List" or (doc.get("kind") or "").endswith("List"):
            items = doc.get("items") or []
            if not isinstance(items, list):
                raise InputError(source, f"{base}.items".lstrip("."), "expected a list")
            out.extend((f"{base}.items[{i}]".lstrip("."), item) for i, item in enumerate(items))
        else:
            out.append((base or "(top level)", doc))
    return out


def _from_objects(source: str, docs: list[Any]) -> ClusterInput:
    out = ClusterInput(source=source)
    for where, obj in _objects(source, docs):
        if not isinstance(obj, Mapping):
            raise InputError(source, where, "expected a Kubernetes object")
        kind = obj.get("kind")
        if kind == "Node":
            out.nodes.append(_check_node(source, where, obj))
            out.paths[id(out.nodes[-1])] = where
        elif kind == "Pod":
            if ((obj.get("status") or {}).get("phase")) in TERMINATED_PHASES:
                continue
            pod = _pod(source, where, obj)
            out.paths[id(pod)] = where
            (out.bound if pod.node_name else out.pending).append(pod)
        elif kind == "Namespace":
            meta = obj.get("metadata")
            name = meta.get("name") if isinstance(meta, Mapping) else None
            labels = (meta or {}).get("labels") or {}
            if not isinstance(name, str) or not name or not isinstance(labels, Mapping):
                raise InputError(source, f"{where}.metadata", "a Namespace needs a name and a labels map")
            merged = {str(k): str(v) for k, v in labels.items()}
            merged.setdefault("kubernetes.io/metadata.name", name)
            out.namespace_labels[name] = merged
        elif kind == "PodDisruptionBudget":
            parse_pdb(obj, source, where)
            out.pdbs.append(dict(obj))
        elif kind is None:
            raise InputError(source, f"{where}.kind",
                             "missing kind (expected Node, Pod, Namespace, PodDisruptionBudget or List)")
        # Other kinds (Services, Deployments, ...) are not needed to place pods and are ignored.
    if not out.nodes:
        raise InputError(source, None, "no Node objects found")
    return out


def load_cluster_input(path: str | Path) -> ClusterInput:
    """Read INPUT for ``simkube schedule`` (see the module docstring for the forms)."""
    path = Path(path)
    source = str(path)
    docs = _read_documents(path)
    if not docs:
        raise InputError(source, None, "the file is empty")
    first = docs[0]
    if len(docs) == 1 and isinstance(first, Mapping):
        if isinstance(first.get("input"), Mapping) and "kind" in first and "nodes" in first["input"]:
            return _from_vector_input(source, first["input"], "input.")
        if "nodes" in first and "kind" not in first:
            return _from_vector_input(source, first, "")
    return _from_objects(source, docs)


def find_pending(cluster: ClusterInput, name: str) -> PodInfo:
    """The pending pod called ``name`` or ``namespace/name``."""
    matches = [p for p in cluster.pending if name in (p.key, p.name)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        keys = ", ".join(p.key for p in matches)
        raise InputError(cluster.source, None, f"pod name {name!r} is ambiguous ({keys}); use namespace/name")
    if any(name in (p.key, p.name) for p in cluster.bound):
        raise InputError(cluster.source, None, f"pod {name!r} is already bound to a node")
    raise InputError(cluster.source, None, f"no pending pod named {name!r}")


def load_pod_file(path: str | Path) -> PodInfo:
    """A single Pod manifest (``--pod-file``)."""
    source = str(path)
    docs = _read_documents(Path(path))
    if len(docs) != 1 or not isinstance(docs[0], Mapping):
        raise InputError(source, None, "expected exactly one Pod object")
    doc = docs[0]
    if doc.get("kind") not in (None, "Pod"):
        raise InputError(source, "kind", f"expected a Pod, got {doc.get('kind')!r}")
    pod = _pod(source, "(pod)", doc)
    if pod.node_name:
        raise InputError(source, "spec.nodeName", "the pod to schedule must not be bound yet")
    return pod

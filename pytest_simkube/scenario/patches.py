"""Manifest patches: the "change these workloads" part of a proposed config.

A patch file holds one or more YAML documents, each a strategic-merge patch addressed
like a Kubernetes object (``apiVersion``, ``kind``, ``metadata.name``, optionally
``metadata.namespace``). :func:`apply_patches` applies each to every traced object it
addresses, in every event that applies that object, so a change of requests or
replicas holds for the whole replay. A patch that addresses nothing in the trace is an
error: a typo in a name must not silently test the unpatched workload.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_simkube.errors import ConfigError
from pytest_simkube.scenario.strategic_merge import PatchError, clean, strategic_merge
from pytest_simkube.trace.model import GVK, Trace
from pytest_simkube.yamlstrict import Reader, child_path, parse_yaml_documents


@dataclass(frozen=True, slots=True)
class Patch:
    """One strategic-merge patch document and the object it addresses."""

    api_version: str
    kind: str
    name: str
    namespace: str | None
    body: dict[str, Any]
    path: Path | None
    """The patch file, or None when written inline in the scenario."""
    source: str
    """File name used in error messages (the patch file or the scenario file)."""
    where: str
    """Where the document starts: ``document 2 (line 14)`` or the scenario key path."""

    @property
    def target(self) -> str:
        ref = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.api_version} {self.kind} {ref}"

    def matches(self, obj: dict[str, Any]) -> bool:
        meta = obj.get("metadata") or {}
        if obj.get("kind") != self.kind or obj.get("apiVersion") != self.api_version:
            return False
        if meta.get("name") != self.name:
            return False
        return self.namespace is None or meta.get("namespace", "default") == self.namespace

    def apply(self, obj: dict[str, Any]) -> dict[str, Any]:
        try:
            return strategic_merge(obj, self.body, self.kind)
        except PatchError as exc:
            raise ConfigError(self.source, f"{self.where}, {exc.path}" if exc.path else self.where,
                              f"cannot apply patch to {self.target}: {exc.message}") from None

    def describe(self) -> str:
        origin = str(self.path) if self.path else self.source
        return f"{self.target} ({origin}, {self.where})"


def load_patch_file(path: Path) -> list[Patch]:
    """Every patch document in ``path`` (``---`` separated)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), None, f"cannot read patch file: {exc}") from None
    return parse_patch_text(text, str(path), path)


def parse_patch_text(text: str, source: str, path: Path | None) -> list[Patch]:
    """Every patch document in ``text``; ``source`` names it in errors, ``path`` is recorded."""
    documents = parse_yaml_documents(text, source, ConfigError)
    patches = []
    for index, (value, lines) in enumerate(documents):
        if value is None:
            continue
        reader = Reader(source, lines, ConfigError)
        where = f"document {index + 1} (line {lines.get('', 1)})"
        patches.append(parse_patch(reader, value, "", where=where, path=path))
    if not patches:
        raise ConfigError(source, None, "the patch file holds no patch documents")
    return patches


def parse_patch(reader: Reader, value: Any, key_path: str, *, where: str, path: Path | None) -> Patch:
    """Validate one patch document (from a file, or inline in a scenario)."""
    data = reader.mapping(value, key_path, allowed=value.keys() if isinstance(value, dict) else (),
                          what="patch mapping (apiVersion, kind, metadata.name, ...)")
    for key in ("apiVersion", "kind"):
        if key not in data:
            raise reader.fail(key_path, f"a patch needs {key!r} to say which objects it patches")
        reader.string(data[key], child_path(key_path, key))
    meta_path = child_path(key_path, "metadata")
    metadata = data.get("metadata")
    if not isinstance(metadata, dict) or "name" not in metadata:
        raise reader.fail(meta_path if "metadata" in data else key_path,
                          "a patch needs metadata.name to say which object it patches")
    name = reader.string(metadata["name"], child_path(meta_path, "name"))
    namespace = metadata.get("namespace")
    if namespace is not None:
        namespace = reader.string(namespace, child_path(meta_path, "namespace"))
    if any(isinstance(key, str) and key.startswith("$") for key in data):
        raise reader.fail(key_path, "a patch's top level cannot carry $patch directives")
    try:
        clean(data, "")  # reject unknown or unsupported directives up front
    except PatchError as exc:
        raise reader.fail(child_path(key_path, exc.path), exc.message) from None
    body = {key: item for key, item in data.items() if key not in ("apiVersion", "kind")}
    body_meta = {key: item for key, item in metadata.items() if key not in ("name", "namespace")}
    if body_meta:
        body["metadata"] = body_meta
    else:
        body.pop("metadata", None)
    return Patch(api_version=data["apiVersion"], kind=data["kind"], name=name, namespace=namespace,
                 body=body, path=path, source=reader.source, where=where)


def apply_patches(trace: Trace, patches: Sequence[Patch]) -> Trace:
    """A new trace with every patch applied to every applied object it addresses.

    The input trace is not modified; unpatched objects are shared between the two traces,
    which is safe because traces are treated as read-only. The index and pod lifecycles
    are kept: they are keyed by owner, and the engine looks lifecycles up by owner.
    """
    if not patches:
        return trace
    matched = [False] * len(patches)
    by_target: dict[tuple[str, str, str], list[tuple[int, Patch]]] = {}
    for number, patch in enumerate(patches):
        by_target.setdefault((patch.api_version, patch.kind, patch.name), []).append((number, patch))
    events = []
    for event in trace.events:
        applied = []
        changed = False
        for obj in event.applied_objs:
            new = obj
            candidates = by_target.get((obj.get("apiVersion"), obj.get("kind"), _name(obj)), ())
            for number, patch in candidates:
                if patch.matches(new):
                    new = patch.apply(new)
                    matched[number] = True
            changed = changed or new is not obj
            applied.append(new)
        events.append(dataclasses.replace(event, applied_objs=applied) if changed else event)
    for number, patch in enumerate(patches):
        if not matched[number]:
            kinds = sorted({f"{GVK.of(obj).api_version} {obj.get('kind')}" for event in trace.events
                            for obj in event.applied_objs})
            raise ConfigError(patch.source, patch.where,
                              f"the patch addresses {patch.target}, which the trace never applies "
                              f"(traced kinds: {', '.join(kinds) or 'none'})")
    return dataclasses.replace(trace, events=events)


def _name(obj: dict[str, Any]) -> Any:
    meta = obj.get("metadata")
    return meta.get("name") if isinstance(meta, dict) else None

"""Finding pod templates inside traced objects, the way SimKube's ``podSpecTemplatePaths`` do.

Every tracked kind says where its pod template(s) live with RFC 6901 JSON pointers plus
one extension: ``*`` matches every element of an array (``/spec/tasks/*/template`` for a
custom resource with several templates). ``""`` is the whole object (bare Pods).
Upstream: acrlabs/simkube ``sk-core/src/k8s/gvk.rs`` (built-in defaults) and the
``json-patch-ext`` crate's ``matches`` (wildcard expansion) used by the validator and driver.

A template is the object found at the path: it has a ``spec`` (the PodSpec) and usually a
``metadata``. Validation reads them (:func:`pod_templates`); transforms edit them on a copy
(:func:`edit_pod_specs`), never in the input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_simkube.trace.model import KubeObject, TracerConfig

WILDCARD = "*"


class PointerError(ValueError):
    """A string that is not a JSON pointer (RFC 6901 plus the ``*`` wildcard)."""


def parse_pointer(pointer: str) -> tuple[str, ...]:
    """Reference tokens of a pointer: ``"/spec/template"`` -> ``("spec", "template")``.

    ``""`` is the root (no tokens). Escapes are undone as RFC 6901 says (``~1`` -> ``/``,
    then ``~0`` -> ``~``); a ``~`` followed by anything else is an error.
    """
    if not isinstance(pointer, str):
        raise PointerError(f"a JSON pointer must be a string, got {type(pointer).__name__}")
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise PointerError(f"JSON pointer {pointer!r} must be empty or start with '/'")
    tokens = []
    for raw in pointer[1:].split("/"):
        stripped = raw.replace("~0", "").replace("~1", "")
        if "~" in stripped:
            raise PointerError(f"JSON pointer {pointer!r} has an invalid escape (only ~0 and ~1 are allowed)")
        tokens.append(raw.replace("~1", "/").replace("~0", "~"))
    return tuple(tokens)


def format_pointer(tokens: Sequence[str | int]) -> str:
    """The pointer string for concrete tokens (inverse of :func:`parse_pointer`)."""
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)


def _is_array(value: Any) -> bool:
    return isinstance(value, list | tuple)


def _child(value: Any, token: str) -> tuple[bool, Any]:
    """(found, child) for one non-wildcard token; arrays take decimal indices as RFC 6901 says."""
    if isinstance(value, Mapping):
        if token in value:
            return True, value[token]
        return False, None
    if _is_array(value) and token.isdigit() and (token == "0" or not token.startswith("0")):
        index = int(token)
        if index < len(value):
            return True, value[index]
    return False, None


def resolve(document: Any, pointer: str) -> list[tuple[tuple[str | int, ...], Any]]:
    """Every (concrete path, value) the pointer matches; ``*`` fans out over array elements.

    Paths are tuples of keys and integer indices, in document order. A pointer that leads
    nowhere matches nothing (an empty list), as SimKube's ``matches`` does.
    """
    results: list[tuple[tuple[str | int, ...], Any]] = []

    def walk(value: Any, tokens: tuple[str, ...], path: tuple[str | int, ...]) -> None:
        if not tokens:
            results.append((path, value))
            return
        head, rest = tokens[0], tokens[1:]
        if head == WILDCARD and _is_array(value):
            for i, item in enumerate(value):
                walk(item, rest, (*path, i))
            return
        found, child = _child(value, head)
        if found:
            walk(child, rest, (*path, int(head) if _is_array(value) else head))

    walk(document, parse_pointer(pointer), ())
    return results


def get_path(document: Any, path: Sequence[str | int]) -> Any:
    """The value at a concrete path (as returned by :func:`resolve`); KeyError/IndexError if absent."""
    value = document
    for token in path:
        value = value[token]
    return value


def set_path(document: Any, path: Sequence[str | int], value: Any) -> None:
    """Replace the value at a concrete, existing parent path; the parent must be mutable.

    Use it on a copy made by :func:`thaw`: traces read from msgpack may hold tuples.
    """
    if not path:
        raise PointerError("cannot replace the root of a document in place")
    parent = get_path(document, path[:-1])
    parent[path[-1]] = value


def thaw(value: Any) -> Any:
    """A deep, mutable copy: dicts keep their key order, tuples become lists.

    msgpack writes lists and tuples the same way, so the copy serialises exactly like
    the original; only objects a transform edits are ever thawed.
    """
    kind = type(value)
    if kind is dict:  # exact-type checks first: this runs over every edited object
        return {k: thaw(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [thaw(v) for v in value]
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if _is_array(value):
        return [thaw(v) for v in value]
    return value


def dotted(path: Sequence[str | int]) -> str:
    """A readable location for messages: ``spec.template.spec.containers[0].env[2]``."""
    out = ""
    for token in path:
        if isinstance(token, int):
            out += f"[{token}]"
        elif token.replace("_", "").replace("-", "").isalnum():
            out += f".{token}" if out else token
        else:
            out += f"[{token!r}]"
    return out


@dataclass(frozen=True, slots=True)
class PodTemplateRef:
    """One pod template found in an object: where it is and the template itself."""

    path: tuple[str | int, ...]
    template: Mapping[str, Any]
    pointer: str = ""
    """The ``podSpecTemplatePaths`` entry that found it."""

    @property
    def pod_spec(self) -> Mapping[str, Any] | None:
        """The template's PodSpec, or None when the template has no ``spec`` map."""
        spec = self.template.get("spec")
        return spec if isinstance(spec, Mapping) else None

    @property
    def spec_path(self) -> tuple[str | int, ...]:
        return (*self.path, "spec")


def template_paths(config: TracerConfig, gvk: str) -> tuple[str, ...]:
    """The pointers SimKube uses for a kind: explicit paths, else the built-in default, else none."""
    tracked = config.tracked_objects.get(gvk)
    if tracked is None:
        return ()
    return tracked.effective_paths(gvk)


def pod_templates(obj: KubeObject, gvk: str, config: TracerConfig) -> list[PodTemplateRef]:
    """Every pod template of ``obj`` (a map at one of the kind's paths), in path order.

    Paths that lead nowhere or to a non-map are skipped: a Deployment without a template
    simply has no pods to describe.
    """
    found: list[PodTemplateRef] = []
    for pointer in template_paths(config, gvk):
        try:
            matches = resolve(obj, pointer)
        except PointerError:
            continue
        for path, value in matches:
            if isinstance(value, Mapping):
                found.append(PodTemplateRef(path, value, pointer))
    return found


def iter_containers(pod_spec: Mapping[str, Any], *, init: bool = True) -> Iterator[tuple[str, int, Any]]:
    """(list name, index, container) for ``containers`` and, if ``init``, ``initContainers``."""
    lists = ("containers", "initContainers") if init else ("containers",)
    for key in lists:
        containers = pod_spec.get(key)
        if _is_array(containers):
            for i, container in enumerate(containers):
                yield key, i, container


PodSpecEditor = Callable[[dict[str, Any], tuple[str | int, ...]], bool]
"""Edits one (mutable) PodSpec in place, given its path in the object; True when it changed anything."""


def edit_pod_specs(obj: KubeObject, gvk: str, config: TracerConfig,
                   editor: PodSpecEditor) -> KubeObject | None:
    """A copy of ``obj`` with ``editor`` applied to each pod template's spec, or None if nothing changed.

    The input object is never modified: the editor runs on a thawed copy, and the copy is
    returned only when at least one spec changed, so untouched objects stay shared (and
    byte-identical) between the input and the output trace.
    """
    refs = pod_templates(obj, gvk, config)
    if not any(ref.pod_spec is not None for ref in refs):
        return None
    copy = thaw(obj)
    changed = False
    for ref in refs:
        if ref.pod_spec is None:
            continue
        spec = get_path(copy, ref.spec_path)
        changed = editor(spec, ref.spec_path) or changed
    return copy if changed else None

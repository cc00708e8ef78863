"""Kubernetes strategic merge patch, for the object kinds a trace carries.

Reproduces ``StrategicMergeMapPatch`` from k8s.io/apimachinery
``pkg/util/strategicpatch/patch.go`` (``mergeMap``, ``mergeSlice``,
``mergeSliceWithSpecialElements``, ``normalizeElementOrder``/``mergeSortedSlice``):

- maps merge recursively; a ``null`` value deletes the key; a scalar replaces;
- a map holding ``$patch: replace`` replaces the original map; ``$patch: delete`` empties it;
- ``$retainKeys: [..]`` drops original keys not listed;
- lists whose Go field has ``patchStrategy:"merge"`` merge: lists of objects by their merge key
  (``containers`` by ``name``, ``ports`` by ``containerPort`` ...), items with
  ``$patch: delete`` remove the matching item, an item ``{$patch: replace}`` replaces the
  whole list, lists of scalars (``finalizers``) are unions, ``$deleteFromPrimitiveList/<f>``
  removes scalars; every other list is replaced;
- ordering as upstream: patch items keep the patch's order and are interleaved with the
  original's remaining items by their original positions (new items come first).

The merge keys come from the Go struct tags of k8s.io/api (core/v1 ``types.go``); only
the types that appear in traced workloads are described (:data:`KIND_SCHEMAS`). Objects of
other kinds (e.g. custom resources) merge maps and replace lists, as a JSON merge patch.
``$setElementOrder`` (written by ``kubectl apply``, never by hand) is rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/"
SET_ELEMENT_ORDER = "$setElementOrder/"


class PatchError(ValueError):
    """A patch that cannot be applied; ``path`` is where inside the object it failed."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class Field:
    """Patch metadata of one Go struct field: ``patchStrategy``, ``patchMergeKey``, element type."""

    merge: bool = False
    merge_key: str | None = None
    schema: Mapping[str, Field] | None = None


Schema = Mapping[str, Field]

OBJECT_META: Schema = {
    "finalizers": Field(merge=True),
    "ownerReferences": Field(merge=True, merge_key="uid"),
}
CONTAINER: Schema = {
    "ports": Field(merge=True, merge_key="containerPort"),
    "env": Field(merge=True, merge_key="name"),
    "volumeMounts": Field(merge=True, merge_key="mountPath"),
    "volumeDevices": Field(merge=True, merge_key="devicePath"),
}
POD_SPEC: Schema = {
    "volumes": Field(merge=True, merge_key="name"),
    "initContainers": Field(merge=True, merge_key="name", schema=CONTAINER),
    "containers": Field(merge=True, merge_key="name", schema=CONTAINER),
    "ephemeralContainers": Field(merge=True, merge_key="name", schema=CONTAINER),
    "imagePullSecrets": Field(merge=True, merge_key="name"),
    "hostAliases": Field(merge=True, merge_key="ip"),
    "topologySpreadConstraints": Field(merge=True, merge_key="topologyKey"),
    "resourceClaims": Field(merge=True, merge_key="name"),
    "schedulingGates": Field(merge=True, merge_key="name"),
}
POD_TEMPLATE: Schema = {"metadata": Field(schema=OBJECT_META), "spec": Field(schema=POD_SPEC)}
_WORKLOAD: Schema = {
    "metadata": Field(schema=OBJECT_META),
    "spec": Field(schema={"template": Field(schema=POD_TEMPLATE)}),
}
KIND_SCHEMAS: dict[str, Schema] = {
    "Pod": {"metadata": Field(schema=OBJECT_META), "spec": Field(schema=POD_SPEC)},
    "Deployment": _WORKLOAD,
    "ReplicaSet": _WORKLOAD,
    "StatefulSet": _WORKLOAD,
    "DaemonSet": _WORKLOAD,
    "Job": _WORKLOAD,
    "ReplicationController": _WORKLOAD,
    "CronJob": {
        "metadata": Field(schema=OBJECT_META),
        "spec": Field(schema={"jobTemplate": Field(schema={
            "metadata": Field(schema=OBJECT_META),
            "spec": Field(schema={"template": Field(schema=POD_TEMPLATE)}),
        })}),
    },
    "Service": {
        "metadata": Field(schema=OBJECT_META),
        "spec": Field(schema={"ports": Field(merge=True, merge_key="port")}),
    },
}
GENERIC: Schema = {"metadata": Field(schema=OBJECT_META)}


def strategic_merge(original: Mapping[str, Any], patch: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """``original`` with ``patch`` applied; neither argument is modified."""
    return merge_map(original, patch, KIND_SCHEMAS.get(kind, GENERIC), "")


def merge_map(original: Mapping[str, Any] | None, patch: Mapping[str, Any], schema: Schema | None,
              path: str) -> dict[str, Any]:
    if DIRECTIVE in patch:
        directive = patch[DIRECTIVE]
        if directive == "replace":
            return clean({key: value for key, value in patch.items() if key != DIRECTIVE}, path)
        if directive == "delete":
            return {}
        raise PatchError(_join(path, DIRECTIVE), f"unknown directive {directive!r} in a map "
                                                 "(use 'replace' or 'delete')")
    result = dict(original or {})
    if RETAIN_KEYS in patch:
        result = _retain_keys(result, patch, path)
    for key, value in patch.items():
        if key == RETAIN_KEYS:
            continue
        if not isinstance(key, str):
            raise PatchError(path, f"object keys must be strings, got {key!r}")
        if key.startswith(SET_ELEMENT_ORDER):
            raise PatchError(_join(path, key), "$setElementOrder directives are not supported; "
                                               "list the items in the order you want instead")
        if key.startswith(DELETE_FROM_PRIMITIVE_LIST):
            target = key[len(DELETE_FROM_PRIMITIVE_LIST):]
            if not isinstance(value, list):
                raise PatchError(_join(path, key), "expected a list of values to delete")
            if isinstance(result.get(target), list):
                result[target] = [item for item in result[target] if item not in value]
            continue
        if key.startswith("$"):
            raise PatchError(_join(path, key), f"unknown patch directive {key!r}")
        sub_path = _join(path, key)
        field = (schema or {}).get(key)
        if value is None:
            result.pop(key, None)
        elif key not in result or result[key] is None:
            result[key] = _merge_value(None, value, field, sub_path)
        else:
            result[key] = _merge_value(result[key], value, field, sub_path)
    return result


def _merge_value(original: Any, value: Any, field: Field | None, path: str) -> Any:
    if isinstance(value, dict):
        if original is not None and not isinstance(original, dict):
            return clean(value, path)
        return merge_map(original, value, field.schema if field else None, path)
    if isinstance(value, list):
        if field is not None and field.merge:
            if original is not None and not isinstance(original, list):
                return clean(value, path)
            return merge_list(original or [], value, field.merge_key, field.schema, path)
        return clean(value, path)
    return value


def merge_list(original: list[Any], patch: list[Any], merge_key: str | None, schema: Schema | None,
               path: str) -> list[Any]:
    """``mergeSlice``: merge a list with ``patchStrategy:"merge"``."""
    if not original and not patch:
        return list(original)
    maps = [isinstance(item, dict) for item in (*original, *patch)]
    if any(isinstance(item, list) for item in (*original, *patch)):
        raise PatchError(path, "lists of lists cannot be merged")
    if any(maps) and not all(maps):
        raise PatchError(path, "list element types are not identical")
    if not any(maps):
        merged = _dedupe([*original, *patch])
        return _normalize_order(merged, patch, original, None)
    if merge_key is None:
        raise PatchError(path, "cannot merge lists without a merge key")
    remaining = list(original)
    plain: list[dict[str, Any]] = []
    replace = False
    for index, item in enumerate(patch):
        if DIRECTIVE not in item:
            plain.append(item)
            continue
        directive = item[DIRECTIVE]
        if directive == "delete":
            if merge_key not in item:
                raise PatchError(f"{path}[{index}]",
                                 f"a '$patch: delete' item needs its merge key {merge_key!r}")
            remaining = [entry for entry in remaining if entry.get(merge_key) != item[merge_key]]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise PatchError(f"{path}[{index}]", "merging lists cannot yet be specified in the patch")
        else:
            raise PatchError(f"{path}[{index}]",
                             f"unknown directive {directive!r} (use 'delete' or 'replace')")
    if replace:
        remaining = [clean(item, f"{path}[{i}]") for i, item in enumerate(plain)]
        plain = []
    merged = list(remaining)
    for index, item in enumerate(plain):
        if merge_key not in item:
            raise PatchError(f"{path}[{index}]", f"list item is missing its merge key {merge_key!r}")
        wanted = item[merge_key]
        position = next((i for i, entry in enumerate(merged) if entry.get(merge_key) == wanted), None)
        item_path = f"{path}[{merge_key}={item[merge_key]}]"
        if position is None:
            merged.append(merge_map(None, item, schema, item_path))
        else:
            merged[position] = merge_map(merged[position], item, schema, item_path)
    for index, entry in enumerate(remaining):
        if merge_key not in entry:
            raise PatchError(f"{path}[{index}]", f"original list item is missing its merge key {merge_key!r}")
    return _normalize_order(merged, plain, remaining, merge_key)


def _normalize_order(merged: list[Any], patch: list[Any], server_order: list[Any],
                     merge_key: str | None) -> list[Any]:
    """``partitionMapsByPresentInList`` + ``normalizeElementOrder`` + ``mergeSortedSlice``."""

    def identity(item: Any) -> Any:
        value = item.get(merge_key) if merge_key is not None else item
        try:
            hash(value)
        except TypeError:
            return ("unhashable", repr(value))
        return value

    def first_positions(items: list[Any]) -> dict[Any, int]:
        positions: dict[Any, int] = {}
        for index, item in enumerate(items):
            positions.setdefault(identity(item), index)
        return positions

    in_patch = first_positions(patch)
    in_server = first_positions(server_order)
    patch_items = sorted((item for item in merged if identity(item) in in_patch),
                         key=lambda item: in_patch[identity(item)])
    server_only = sorted((item for item in merged if identity(item) not in in_patch),
                         key=lambda item: in_server.get(identity(item), -1))
    result: list[Any] = []
    left, right = 0, 0
    while left < len(server_only) or right < len(patch_items):
        if right >= len(patch_items):
            result.append(server_only[left])
            left += 1
        elif left >= len(server_only):
            result.append(patch_items[right])
            right += 1
        else:
            left_index = in_server.get(identity(server_only[left]), -1)
            right_index = in_server.get(identity(patch_items[right]), -1)
            if left_index >= 0 and right_index >= 0 and left_index < right_index:
                result.append(server_only[left])
                left += 1
            else:
                result.append(patch_items[right])
                right += 1
    return result


def _retain_keys(result: dict[str, Any], patch: Mapping[str, Any], path: str) -> dict[str, Any]:
    retain = patch[RETAIN_KEYS]
    if not isinstance(retain, list):
        raise PatchError(_join(path, RETAIN_KEYS), "expected a list of keys")
    for key, value in patch.items():
        if value is None or not isinstance(key, str) or key.startswith("$"):
            continue
        if key not in retain:
            raise PatchError(_join(path, key), f"key {key!r} is patched but not listed in $retainKeys")
    return {key: value for key, value in result.items() if key in retain}


def clean(value: Any, path: str) -> Any:
    """A copy of a patch value with no directives left (patch content taken as-is)."""
    if isinstance(value, dict):
        if DIRECTIVE in value or any(isinstance(k, str) and k.startswith("$") for k in value):
            return merge_map(None, value, None, path)
        return {key: clean(item, _join(path, key)) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [clean(item, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


def _dedupe(items: list[Any]) -> list[Any]:
    result: list[Any] = []
    for item in items:
        if item not in result:
            result.append(item)
    return result


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key

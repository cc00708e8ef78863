"""Strict readers for the Kubernetes pod fields a spec passes through verbatim.

Tolerations, affinity and topology spread constraints are written in the spec exactly as
in a pod manifest (core/v1 ``Toleration``, ``Affinity``, ``TopologySpreadConstraint``),
so users can paste them from their charts. Each reader checks field names, types and
enum values the way the API server's validation would reject them
(kubernetes ``pkg/apis/core/validation/validation.go``), and returns plain data with keys
in sorted order, as SimKube's tracer stores nested objects.
"""

from __future__ import annotations

from typing import Any

from pytest_simkube.trace.synth.values import Pattern
from pytest_simkube.yamlstrict import YamlNode

_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_NODE_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
_LABEL_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def _text(node: YamlNode) -> str:
    value = node.string()
    node.parsed(Pattern, "placeholder")
    return value


def _strings(node: YamlNode) -> list[str]:
    return [_text(item) for item in node.sequence()]


def _sorted(mapping: dict[str, Any]) -> dict[str, Any]:
    return {key: mapping[key] for key in sorted(mapping)}


def toleration(node: YamlNode) -> dict[str, Any]:
    fields = node.mapping(("key", "operator", "value", "effect", "tolerationSeconds"))
    out: dict[str, Any] = {}
    if "key" in fields:
        out["key"] = _text(fields["key"])
    operator = fields["operator"].choice(("Exists", "Equal")) if "operator" in fields else "Equal"
    if "operator" in fields:
        out["operator"] = operator
    if "value" in fields:
        out["value"] = fields["value"].string(allow_empty=True)
        if operator == "Exists" and out["value"]:
            raise fields["value"].error("value must be empty when operator is 'Exists'")
    if "key" not in fields and operator != "Exists":
        raise node.error("operator must be 'Exists' when key is empty")
    if "effect" in fields:
        out["effect"] = fields["effect"].choice(_TAINT_EFFECTS)
    if "tolerationSeconds" in fields:
        out["tolerationSeconds"] = fields["tolerationSeconds"].integer()
        if out.get("effect") != "NoExecute":
            raise fields["tolerationSeconds"].error("only valid with effect 'NoExecute'")
    return _sorted(out)


def _node_requirement(node: YamlNode) -> dict[str, Any]:
    fields = node.mapping(("key", "operator", "values"), required=("key", "operator"))
    operator = fields["operator"].choice(_NODE_OPERATORS)
    values = _strings(fields["values"]) if "values" in fields else []
    if operator in ("In", "NotIn") and not values:
        raise node.error(f"values must be non-empty for operator {operator!r}")
    if operator in ("Exists", "DoesNotExist") and values:
        raise fields["values"].error(f"values must be empty for operator {operator!r}")
    if operator in ("Gt", "Lt") and (len(values) != 1 or not values[0].lstrip("-").isdigit()):
        raise node.error(f"operator {operator!r} needs exactly one integer value")
    out: dict[str, Any] = {"key": _text(fields["key"]), "operator": operator}
    if "values" in fields:
        out["values"] = values
    return out


def _node_selector_term(node: YamlNode) -> dict[str, Any]:
    fields = node.mapping(("matchExpressions", "matchFields"))
    out: dict[str, Any] = {}
    for key in ("matchExpressions", "matchFields"):
        if key in fields:
            out[key] = [_node_requirement(item) for item in fields[key].sequence()]
    return out


def _weight(node: YamlNode) -> int:
    return node.integer(minimum=1, maximum=100)


def _node_affinity(node: YamlNode) -> dict[str, Any]:
    required_key = "requiredDuringSchedulingIgnoredDuringExecution"
    preferred_key = "preferredDuringSchedulingIgnoredDuringExecution"
    fields = node.mapping((required_key, preferred_key))
    out: dict[str, Any] = {}
    if preferred_key in fields:
        preferred = []
        for item in fields[preferred_key].sequence():
            entry = item.mapping(("weight", "preference"), required=("weight", "preference"))
            preferred.append({"preference": _node_selector_term(entry["preference"]),
                              "weight": _weight(entry["weight"])})
        out[preferred_key] = preferred
    if required_key in fields:
        selector = fields[required_key].mapping(("nodeSelectorTerms",), required=("nodeSelectorTerms",))
        terms = [_node_selector_term(t) for t in selector["nodeSelectorTerms"].sequence(min_items=1)]
        out[required_key] = {"nodeSelectorTerms": terms}
    return out


def label_selector(node: YamlNode) -> dict[str, Any]:
    """A metav1 ``LabelSelector`` (matchLabels / matchExpressions with In, NotIn, Exists, DoesNotExist)."""
    fields = node.mapping(("matchLabels", "matchExpressions"))
    out: dict[str, Any] = {}
    if "matchExpressions" in fields:
        expressions = []
        for item in fields["matchExpressions"].sequence():
            expr = item.mapping(("key", "operator", "values"), required=("key", "operator"))
            operator = expr["operator"].choice(_LABEL_OPERATORS)
            values = _strings(expr["values"]) if "values" in expr else []
            if operator in ("In", "NotIn") and not values:
                raise item.error(f"values must be non-empty for operator {operator!r}")
            if operator in ("Exists", "DoesNotExist") and values:
                raise expr["values"].error(f"values must be empty for operator {operator!r}")
            entry: dict[str, Any] = {"key": _text(expr["key"]), "operator": operator}
            if "values" in expr:
                entry["values"] = values
            expressions.append(entry)
        out["matchExpressions"] = expressions
    if "matchLabels" in fields:
        labels = fields["matchLabels"].string_map()
        for value_node in fields["matchLabels"].mapping().values():
            value_node.parsed(Pattern, "placeholder")
        out["matchLabels"] = _sorted(labels)
    return out


def _pod_affinity_term(node: YamlNode) -> dict[str, Any]:
    fields = node.mapping(
        ("labelSelector", "namespaces", "topologyKey", "namespaceSelector", "matchLabelKeys",
         "mismatchLabelKeys"),
        required=("topologyKey",),
    )
    out: dict[str, Any] = {"topologyKey": _text(fields["topologyKey"])}
    for key in ("labelSelector", "namespaceSelector"):
        if key in fields:
            out[key] = label_selector(fields[key])
    for key in ("namespaces", "matchLabelKeys", "mismatchLabelKeys"):
        if key in fields:
            out[key] = _strings(fields[key])
    return _sorted(out)


def _pod_affinity(node: YamlNode) -> dict[str, Any]:
    required_key = "requiredDuringSchedulingIgnoredDuringExecution"
    preferred_key = "preferredDuringSchedulingIgnoredDuringExecution"
    fields = node.mapping((required_key, preferred_key))
    out: dict[str, Any] = {}
    if preferred_key in fields:
        preferred = []
        for item in fields[preferred_key].sequence():
            entry = item.mapping(("weight", "podAffinityTerm"), required=("weight", "podAffinityTerm"))
            preferred.append({"podAffinityTerm": _pod_affinity_term(entry["podAffinityTerm"]),
                              "weight": _weight(entry["weight"])})
        out[preferred_key] = preferred
    if required_key in fields:
        out[required_key] = [_pod_affinity_term(item) for item in fields[required_key].sequence()]
    return out


def affinity(node: YamlNode) -> dict[str, Any]:
    fields = node.mapping(("nodeAffinity", "podAffinity", "podAntiAffinity"))
    out: dict[str, Any] = {}
    if "nodeAffinity" in fields:
        out["nodeAffinity"] = _node_affinity(fields["nodeAffinity"])
    for key in ("podAffinity", "podAntiAffinity"):
        if key in fields:
            out[key] = _pod_affinity(fields[key])
    return out


def topology_spread_constraint(node: YamlNode) -> dict[str, Any]:
    fields = node.mapping(
        ("maxSkew", "topologyKey", "whenUnsatisfiable", "labelSelector", "minDomains",
         "nodeAffinityPolicy", "nodeTaintsPolicy", "matchLabelKeys"),
        required=("maxSkew", "topologyKey", "whenUnsatisfiable"),
    )
    out: dict[str, Any] = {
        "maxSkew": fields["maxSkew"].integer(minimum=1),
        "topologyKey": _text(fields["topologyKey"]),
        "whenUnsatisfiable": fields["whenUnsatisfiable"].choice(("DoNotSchedule", "ScheduleAnyway")),
    }
    if "labelSelector" in fields:
        out["labelSelector"] = label_selector(fields["labelSelector"])
    if "minDomains" in fields:
        out["minDomains"] = fields["minDomains"].integer(minimum=1)
        if out["whenUnsatisfiable"] != "DoNotSchedule":
            raise fields["minDomains"].error(
                "minDomains is only allowed with whenUnsatisfiable 'DoNotSchedule'")
    for key in ("nodeAffinityPolicy", "nodeTaintsPolicy"):
        if key in fields:
            out[key] = fields[key].choice(("Honor", "Ignore"))
    if "matchLabelKeys" in fields:
        out["matchLabelKeys"] = _strings(fields["matchLabelKeys"])
    return _sorted(out)

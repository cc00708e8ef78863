"""Trace validation: will SimKube import this trace, and will its pods be able to start?

Three families of checks, each a :class:`Rule` with a stable code:

* SimKube's own validator rules, same codes and names (acrlabs/simkube
  ``sk-cli/src/validation/rules/{status_field_populated,missing_resources}.rs``, codes by
  registration order in ``validation_store.rs``): W0000 and E0001-E0005. Unlike upstream
  they look up the referenced Secret/ConfigMap by *name* (upstream reads ``.../key`` for
  env vars), per namespace (upstream compares ServiceAccounts by bare name), also cover
  init containers and projected volumes, skip ``optional: true`` references, and treat
  the ``default`` ServiceAccount and the ``kube-root-ca.crt`` ConfigMap as always present
  (the API server and kube-controller-manager create both in every namespace).
* Structure that makes SimKube's ``Trace::import`` or its driver fail (E01xx): version,
  GVK spelling, event order, object identity, tracked kinds, ``podSpecTemplatePaths``
  versus SimKube's ``normalize()`` (its InvalidPath / MissingPath errors), lifecycles.
* Consistency warnings (W01xx): index hashes that no longer match the spec, lifecycle
  hashes that no longer match the pod spec (where the hash is computable from the trace),
  index entries never applied, applied objects missing from the index.

Errors mean the replay will fail or be wrong; warnings mean it will run but something is
probably stale. :func:`validate_trace` never raises on bad content: it reports.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pytest_simkube.trace.hashing import pod_spec_stable_hash, spec_hash
from pytest_simkube.trace.model import (
    CURRENT_FORMAT_VERSION,
    DEFAULT_POD_SPEC_TEMPLATE_PATHS,
    GVK,
    KubeObject,
    Trace,
    object_key,
)
from pytest_simkube.trace.podspec import (
    WILDCARD,
    PodTemplateRef,
    PointerError,
    dotted,
    iter_containers,
    parse_pointer,
    pod_templates,
    template_paths,
)

Severity = Literal["error", "warning"]

# Objects Kubernetes itself creates in every namespace, so a trace never needs to carry them.
ALWAYS_PRESENT_SERVICE_ACCOUNTS = frozenset({"default"})
ALWAYS_PRESENT_CONFIGMAPS = frozenset({"kube-root-ca.crt"})
DEPENDENCY_KINDS = ("v1.ServiceAccount", "v1.Secret", "v1.ConfigMap")


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    severity: Severity
    help: str


def _rule(code: str, name: str, help_text: str) -> Rule:
    return Rule(code, name, "error" if code.startswith("E") else "warning", help_text)


STATUS_FIELD_POPULATED = _rule(
    "W0000", "status_field_populated",
    "An applied object carries a status; controllers own status, the driver strips it at replay. "
    "Harmless but wasteful.")
SERVICE_ACCOUNT_MISSING = _rule(
    "E0001", "service_account_missing",
    "A pod template names a ServiceAccount that is not in the trace at that point; its pods cannot be "
    "created.")
ENVVAR_SECRET_MISSING = _rule(
    "E0002", "envvar_secret_missing",
    "A container takes environment variables from a Secret that is not in the trace at that point.")
ENVVAR_CONFIGMAP_MISSING = _rule(
    "E0003", "envvar_configmap_missing",
    "A container takes environment variables from a ConfigMap that is not in the trace at that point.")
VOLUME_SECRET_MISSING = _rule(
    "E0004", "volume_secret_missing",
    "A pod template mounts a Secret that is not in the trace at that point.")
VOLUME_CONFIGMAP_MISSING = _rule(
    "E0005", "volume_configmap_missing",
    "A pod template mounts a ConfigMap that is not in the trace at that point.")
UNSUPPORTED_VERSION = _rule(
    "E0100", "unsupported_version",
    "SimKube 2.x imports only trace format version 2.")
MALFORMED_GVK = _rule(
    "E0101", "malformed_gvk",
    "A GVK is not spelled 'group/version.Kind' (or 'version.Kind' for the core group).")
EVENTS_UNSORTED = _rule(
    "E0102", "events_unsorted",
    "Event timestamps must not decrease; the driver replays events in list order.")
OBJECT_IDENTITY_MISSING = _rule(
    "E0103", "object_identity_missing",
    "An object lacks apiVersion, kind, metadata.name or (unless its kind is cluster-scoped) "
    "metadata.namespace; the driver needs them all.")
KIND_NOT_TRACKED = _rule(
    "E0104", "kind_not_tracked",
    "An applied object's kind is not in config.trackedObjects.")
LIFECYCLE_OWNER_NOT_INDEXED = _rule(
    "E0105", "lifecycle_owner_not_indexed",
    "Pod lifecycles are recorded for an owner that is not in the index.")
INVALID_POD_SPEC_TEMPLATE_PATH = _rule(
    "E0106", "invalid_pod_spec_template_path",
    "podSpecTemplatePaths differ from SimKube's built-in default for this kind, or are not JSON pointers "
    "(SimKube import error InvalidPath).")
MISSING_POD_SPEC_TEMPLATE_PATH = _rule(
    "E0107", "missing_pod_spec_template_path",
    "A kind without a built-in default has no podSpecTemplatePaths (SimKube import error MissingPath).")
LIFECYCLE_ENDS_BEFORE_START = _rule(
    "E0108", "lifecycle_ends_before_start",
    "A Finished pod lifecycle ends before it starts.")
LEGACY_FORMAT = _rule(
    "W0100", "legacy_format",
    "The file uses an older layout; SimKube 2.x reads only version 2 (convert it first).")
STALE_INDEX_HASH = _rule(
    "W0101", "stale_index_hash",
    "The index hash of an object differs from the hash of its last applied spec (the trace was edited "
    "without updating the index).")
STALE_LIFECYCLE_HASH = _rule(
    "W0102", "stale_lifecycle_hash",
    "A pod lifecycle hash matches no pod spec applied for its owner; the replay cannot find those lifecycles "
    "for custom owner kinds.")
INDEX_ENTRY_NEVER_APPLIED = _rule(
    "W0103", "index_entry_never_applied",
    "The index lists an object that no event applies (normal for objects deleted before an export window).")
APPLIED_OBJECT_NOT_INDEXED = _rule(
    "W0104", "applied_object_not_indexed",
    "An applied object is missing from the index; the replay treats it as unknown and gives its pods no "
    "lifecycle.")

POD_TEMPLATE_NOT_FOUND = _rule(
    "W0105", "pod_template_not_found",
    "A podSpecTemplatePath (without wildcard) finds no pod template with a spec in an applied object; the "
    "driver cannot mark that template and the dependency rules cannot check it.")

RULES: tuple[Rule, ...] = (
    STATUS_FIELD_POPULATED, SERVICE_ACCOUNT_MISSING, ENVVAR_SECRET_MISSING, ENVVAR_CONFIGMAP_MISSING,
    VOLUME_SECRET_MISSING, VOLUME_CONFIGMAP_MISSING, UNSUPPORTED_VERSION, MALFORMED_GVK, EVENTS_UNSORTED,
    OBJECT_IDENTITY_MISSING, KIND_NOT_TRACKED, LIFECYCLE_OWNER_NOT_INDEXED, INVALID_POD_SPEC_TEMPLATE_PATH,
    MISSING_POD_SPEC_TEMPLATE_PATH, LIFECYCLE_ENDS_BEFORE_START, LEGACY_FORMAT, STALE_INDEX_HASH,
    STALE_LIFECYCLE_HASH, INDEX_ENTRY_NEVER_APPLIED, APPLIED_OBJECT_NOT_INDEXED, POD_TEMPLATE_NOT_FOUND,
)
RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: which rule, where in the trace (``events[3].applied_objs[0].spec``), what exactly."""

    code: str
    name: str
    severity: Severity
    where: str
    message: str

    @classmethod
    def of(cls, rule: Rule, where: str, message: str) -> Finding:
        return cls(rule.code, rule.name, rule.severity, where, message)

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "severity": self.severity,
                "where": self.where, "message": self.message}


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def validate_trace(trace: Trace, source: str | None = None) -> list[Finding]:
    """All findings for ``trace``, in trace order: config, events, index, lifecycles.

    ``source`` is accepted so callers can pass the file name along; findings carry only the
    location inside the trace, the caller prints the file.
    """
    del source  # locations are relative to the trace; the caller names the file
    checker = _Checker(trace)
    checker.run()
    return checker.findings


CLUSTER_SCOPED_KINDS = frozenset({
    "Namespace", "Node", "PersistentVolume", "PriorityClass", "RuntimeClass", "StorageClass", "CSIDriver",
    "CSINode", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "IngressClass",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "APIService",
    "PodSecurityPolicy", "VolumeAttachment", "CertificateSigningRequest", "ComponentStatus",
    "FlowSchema", "PriorityLevelConfiguration",
})
"""Built-in kinds without a namespace. SimKube keys them by bare name in the index (its
``namespaced_name`` has no ``ns/`` part), so they have no ``metadata.namespace`` to demand."""

ObjectId = tuple[str, str]
"""(GVK string, ``"ns/name"``): how the index and the validator identify an object."""


class _Checker:
    """One pass over a trace, keeping what exists at each point in time (like SimKube's validator)."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.findings: list[Finding] = []
        # "ns/name" of the ServiceAccounts, Secrets and ConfigMaps that exist at the current event.
        self.existing: dict[str, set[str]] = {gvk: set() for gvk in DEPENDENCY_KINDS}
        self.last_applied: dict[ObjectId, KubeObject] = {}
        self.applied_specs: dict[ObjectId, list[Any]] = {}
        self.where_applied: dict[ObjectId, str] = {}
        self.templates_missing: set[tuple[str, str]] = set()

    def report(self, rule: Rule, where: str, message: str) -> None:
        self.findings.append(Finding.of(rule, where, message))

    def run(self) -> None:
        self.check_version()
        self.check_config()
        self.check_events()
        self.check_index()
        self.check_lifecycles()

    # ------------------------------------------------------------------ version and config

    def check_version(self) -> None:
        trace = self.trace
        if trace.version != CURRENT_FORMAT_VERSION:
            self.report(UNSUPPORTED_VERSION, "version",
                        f"version is {trace.version!r}; SimKube 2.x imports only version "
                        f"{CURRENT_FORMAT_VERSION}")
        elif trace.source_version != CURRENT_FORMAT_VERSION:
            self.report(LEGACY_FORMAT, "version",
                        f"read from format version {trace.source_version}; write it back as version "
                        f"{CURRENT_FORMAT_VERSION} before giving it to SimKube")

    def check_config(self) -> None:
        for gvk, tracked in self.trace.config.tracked_objects.items():
            where = f"config.trackedObjects[{gvk!r}]"
            if not self.check_gvk(gvk, where):
                continue
            paths = tracked.pod_spec_template_paths
            default = DEFAULT_POD_SPEC_TEMPLATE_PATHS.get(gvk)
            key = "podSpecTemplatePath" if tracked.paths_key == "singular" else "podSpecTemplatePaths"
            if default is not None:
                if paths is not None and tuple(paths) != default:
                    self.report(INVALID_POD_SPEC_TEMPLATE_PATH, f"{where}.{key}",
                                f"{gvk} paths {list(paths)} differ from SimKube's built-in {list(default)}; "
                                "SimKube refuses to import this trace (InvalidPath)")
                continue
            if not paths:
                self.report(MISSING_POD_SPEC_TEMPLATE_PATH, where,
                            f"{gvk} has no built-in pod template path and none is given; "
                            "SimKube refuses to import this trace (MissingPath)")
                continue
            for i, pointer in enumerate(paths):
                try:
                    parse_pointer(pointer)
                except PointerError as exc:
                    self.report(INVALID_POD_SPEC_TEMPLATE_PATH, f"{where}.{key}[{i}]", str(exc))

    def check_gvk(self, gvk: object, where: str) -> bool:
        try:
            GVK.parse(gvk)  # type: ignore[arg-type]
        except ValueError as exc:
            self.report(MALFORMED_GVK, where, str(exc))
            return False
        return True

    # ------------------------------------------------------------------ events

    def check_events(self) -> None:
        previous_ts: int | None = None
        for e, event in enumerate(self.trace.events):
            if previous_ts is not None and event.ts < previous_ts:
                self.report(EVENTS_UNSORTED, f"events[{e}].ts",
                            f"timestamp {event.ts} is earlier than {previous_ts}, the latest timestamp "
                            "before it")
            previous_ts = event.ts if previous_ts is None else max(previous_ts, event.ts)
            applied = [(i, obj, self.identity(obj, f"events[{e}].applied_objs[{i}]"))
                       for i, obj in enumerate(event.applied_objs)]
            deleted = [(i, obj, self.identity(obj, f"events[{e}].deleted_objs[{i}]"))
                       for i, obj in enumerate(event.deleted_objs)]
            # As upstream: record what this event creates and deletes first, then check references,
            # so an object and the Secret it needs may arrive in the same event.
            for i, obj, oid in applied:
                if oid is not None:
                    self.existing.get(oid[0], set()).add(oid[1])
                    self.last_applied[oid] = obj
                    self.applied_specs.setdefault(oid, []).append(obj.get("spec"))
                    self.where_applied.setdefault(oid, f"events[{e}].applied_objs[{i}]")
            for _, _, oid in deleted:
                if oid is not None:
                    self.existing.get(oid[0], set()).discard(oid[1])
            for i, obj, oid in applied:
                where = f"events[{e}].applied_objs[{i}]"
                status = obj.get("status") if isinstance(obj, Mapping) else None
                if status is not None:
                    self.report(STATUS_FIELD_POPULATED, f"{where}.status",
                                f"{self.describe(oid)} carries a status field")
                if oid is None:
                    continue
                if oid[0] not in self.trace.config.tracked_objects:
                    self.report(KIND_NOT_TRACKED, where,
                                f"{self.describe(oid)}: kind {oid[0]} is not in config.trackedObjects")
                    continue
                refs = pod_templates(obj, oid[0], self.trace.config)
                self.check_templates_found(refs, oid, where)
                self.check_dependencies(obj, refs, oid, where)

    def identity(self, obj: Any, where: str) -> ObjectId | None:
        """(GVK, ns/name) of an object, reporting what is missing; None when it cannot be identified."""
        if not isinstance(obj, Mapping):
            self.report(OBJECT_IDENTITY_MISSING, where, f"expected an object (map), got {type(obj).__name__}")
            return None
        missing = [k for k in ("apiVersion", "kind") if not isinstance(obj.get(k), str) or not obj.get(k)]
        meta = obj.get("metadata")
        if not isinstance(meta, Mapping):
            missing.append("metadata")
        else:
            kind = obj.get("kind")
            cluster_scoped = isinstance(kind, str) and kind in CLUSTER_SCOPED_KINDS
            needed = ("name",) if cluster_scoped else ("name", "namespace")
            missing += [f"metadata.{k}" for k in needed
                        if not isinstance(meta.get(k), str) or not meta.get(k)]
        if missing:
            self.report(OBJECT_IDENTITY_MISSING, where, f"object has no {', '.join(missing)}")
            return None
        gvk = str(GVK.of(obj))
        if not self.check_gvk(gvk, f"{where}.apiVersion"):
            return None
        return gvk, object_key(obj)

    @staticmethod
    def describe(oid: ObjectId | None) -> str:
        return f"{oid[0]} {oid[1]}" if oid else "object"

    # ------------------------------------------------------------------ E0001-E0005

    def check_templates_found(self, refs: list[PodTemplateRef], oid: ObjectId, where: str) -> None:
        found = {ref.pointer for ref in refs if ref.pod_spec is not None}
        for pointer in template_paths(self.trace.config, oid[0]):
            if pointer in found or (oid[0], pointer) in self.templates_missing:
                continue
            try:
                if WILDCARD in parse_pointer(pointer):
                    continue  # an empty array legitimately has no templates
            except PointerError:
                continue  # reported once, on the config (E0106)
            # Once per kind and path: kinds without templates (ConfigMaps, ...) would repeat it per object.
            self.templates_missing.add((oid[0], pointer))
            self.report(POD_TEMPLATE_NOT_FOUND, where,
                        f"{self.describe(oid)} has no pod template with a spec at {pointer!r} "
                        f"(reported for the first {oid[0]} only)")

    def check_dependencies(self, obj: KubeObject, refs: list[PodTemplateRef], oid: ObjectId,
                           where: str) -> None:
        namespace = obj["metadata"].get("namespace", "")
        for ref in refs:
            spec = ref.pod_spec
            if spec is None:
                continue
            base = ".".join(p for p in (where, dotted(ref.spec_path)) if p)
            for rule, kind, name, sub in _references(spec):
                if f"{namespace}/{name}" in self.existing[f"v1.{kind}"]:
                    continue
                self.report(rule, f"{base}.{sub}" if sub else base,
                            f"{self.describe(oid)} needs {kind} {namespace}/{name}, which the trace has not "
                            "applied (or has deleted) by this event; its pods cannot start")

    # ------------------------------------------------------------------ index

    def check_index(self) -> None:
        indexed: set[ObjectId] = set()
        for gvk, entries in self.trace.index.items():
            where = f"index[{gvk!r}]"
            if not self.check_gvk(gvk, where):
                continue
            for key, value in entries.items():
                oid = (gvk, key)
                indexed.add(oid)
                if oid not in self.last_applied:
                    self.report(INDEX_ENTRY_NEVER_APPLIED, f"{where}[{key!r}]",
                                f"{gvk} {key} is indexed but never applied in the events")
                    continue
                expected = spec_hash(self.last_applied[oid].get("spec"))
                if value != expected:
                    self.report(STALE_INDEX_HASH, f"{where}[{key!r}]",
                                f"{gvk} {key}: index hash {value} differs from the hash of its last applied "
                                f"spec {expected}")
        for oid, where in self.where_applied.items():
            if oid not in indexed:
                self.report(APPLIED_OBJECT_NOT_INDEXED, where,
                            f"{oid[0]} {oid[1]} is applied but not indexed")

    # ------------------------------------------------------------------ lifecycles

    def check_lifecycles(self) -> None:
        for (gvk, key), by_hash in self.trace.pod_lifecycles.items():
            where = f"pod_lifecycles[({gvk!r}, {key!r})]"
            if not self.check_gvk(gvk, where):
                continue
            if key not in self.trace.index.get(gvk, {}):
                self.report(LIFECYCLE_OWNER_NOT_INDEXED, where,
                            f"lifecycles recorded for {gvk} {key}, which is not in the index")
            known = self.computable_pod_hashes((gvk, key))
            for pod_hash, lifecycles in by_hash.items():
                if known is not None and pod_hash not in known:
                    self.report(STALE_LIFECYCLE_HASH, f"{where}[{pod_hash}]",
                                f"{gvk} {key}: lifecycle hash {pod_hash} matches none of its applied pod "
                                f"specs ({', '.join(str(h) for h in sorted(known))})")
                for n, lifecycle in enumerate(lifecycles):
                    if lifecycle.duration is not None and lifecycle.duration < 0:
                        self.report(LIFECYCLE_ENDS_BEFORE_START, f"{where}[{pod_hash}][{n}]",
                                    f"{gvk} {key}: pod finished at {lifecycle.end}, before it started at "
                                    f"{lifecycle.start}")

    def computable_pod_hashes(self, oid: ObjectId) -> set[int] | None:
        """Stable pod-spec hashes of an owner that *is* a pod (template path ``""``), else None.

        For templated owners (Deployment, Job, ...) the live pods got admission defaults
        (service account token volume, default tolerations, ...) that the template lacks, so
        their hash cannot be recomputed from the trace and is not checked.
        """
        if template_paths(self.trace.config, oid[0]) != ("",) or oid not in self.applied_specs:
            return None
        return {pod_spec_stable_hash(spec) for spec in self.applied_specs[oid] if isinstance(spec, Mapping)}


Reference = tuple[Rule, str, str, str]
"""(rule, referenced kind, referenced name, location relative to the PodSpec)."""


def _references(spec: Mapping[str, Any]) -> Iterator[Reference]:
    """Every non-optional ServiceAccount / Secret / ConfigMap a PodSpec needs, with its location."""
    for field in ("serviceAccountName", "serviceAccount"):
        name = spec.get(field)
        if isinstance(name, str) and name:
            if name not in ALWAYS_PRESENT_SERVICE_ACCOUNTS:
                yield SERVICE_ACCOUNT_MISSING, "ServiceAccount", name, field
            break  # serviceAccount is the deprecated alias; the API server keeps the two equal
    for list_name, i, container in iter_containers(spec):
        if not isinstance(container, Mapping):
            continue
        prefix = f"{list_name}[{i}]"
        for j, env in enumerate(_items(container.get("env"))):
            source = env.get("valueFrom") if isinstance(env, Mapping) else None
            if not isinstance(source, Mapping):
                continue
            for ref_field, rule, kind in (("secretKeyRef", ENVVAR_SECRET_MISSING, "Secret"),
                                          ("configMapKeyRef", ENVVAR_CONFIGMAP_MISSING, "ConfigMap")):
                name = _required_name(source.get(ref_field), "name")
                if name:
                    yield rule, kind, name, f"{prefix}.env[{j}].valueFrom.{ref_field}.name"
        for j, env_from in enumerate(_items(container.get("envFrom"))):
            if not isinstance(env_from, Mapping):
                continue
            for ref_field, rule, kind in (("secretRef", ENVVAR_SECRET_MISSING, "Secret"),
                                          ("configMapRef", ENVVAR_CONFIGMAP_MISSING, "ConfigMap")):
                name = _required_name(env_from.get(ref_field), "name")
                if name:
                    yield rule, kind, name, f"{prefix}.envFrom[{j}].{ref_field}.name"
    for i, volume in enumerate(_items(spec.get("volumes"))):
        if not isinstance(volume, Mapping):
            continue
        name = _required_name(volume.get("secret"), "secretName")
        if name:
            yield VOLUME_SECRET_MISSING, "Secret", name, f"volumes[{i}].secret.secretName"
        name = _required_name(volume.get("configMap"), "name")
        if name and name not in ALWAYS_PRESENT_CONFIGMAPS:
            yield VOLUME_CONFIGMAP_MISSING, "ConfigMap", name, f"volumes[{i}].configMap.name"
        projected = volume.get("projected")
        sources = projected.get("sources") if isinstance(projected, Mapping) else None
        for j, source in enumerate(_items(sources)):
            if not isinstance(source, Mapping):
                continue
            name = _required_name(source.get("secret"), "name")
            if name:
                yield (VOLUME_SECRET_MISSING, "Secret", name,
                       f"volumes[{i}].projected.sources[{j}].secret.name")
            name = _required_name(source.get("configMap"), "name")
            if name and name not in ALWAYS_PRESENT_CONFIGMAPS:
                yield (VOLUME_CONFIGMAP_MISSING, "ConfigMap", name,
                       f"volumes[{i}].projected.sources[{j}].configMap.name")


def _items(value: Any) -> list[Any] | tuple[Any, ...]:
    return value if isinstance(value, list | tuple) else ()


def _required_name(ref: Any, field: str) -> str | None:
    """The referenced name, unless the reference is absent, nameless or ``optional: true``."""
    if not isinstance(ref, Mapping) or ref.get("optional") is True:
        return None
    name = ref.get(field)
    return name if isinstance(name, str) and name else None

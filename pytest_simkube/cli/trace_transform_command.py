"""``simkube trace transform``: what-if edits on the command line, applied in the order given.

Each transform option may be repeated; the steps run in command-line order, so
``--window 1h:3h --time-scale 0.5`` cuts first and compresses the cut. ``--kind``,
``--namespace`` and ``--selector`` restrict the replica and resource edits (not
``--drop``, which carries its own selector). The output is written once, atomically,
after every step succeeded: a bad option or a failing step leaves OUT as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import click

from pytest_simkube.errors import TraceError
from pytest_simkube.kube.duration import DurationError, parse_duration
from pytest_simkube.kube.labels import LabelSelectorError, Selector, parse_selector
from pytest_simkube.kube.quantity import QuantityError, parse_quantity
from pytest_simkube.trace import Trace, read_trace, write_trace
from pytest_simkube.trace import transform as tf

TRANSFORM_OPTIONS = ("scale_replicas", "time_scale", "arrival_rate", "shift_time", "window", "set_request",
                     "scale_request", "set_limit", "scale_limit", "drop")
_ORDER_KEY = "simkube.transform.order"


@dataclass(frozen=True, slots=True)
class Step:
    """One transform to run, with the option text that asked for it (for messages)."""

    label: str
    run: Callable[[Trace], Trace]
    kind: str  # "edit" (counts changed objects) or "drop" (counts removed objects) or "time"


class _OrderedCommand(click.Command):
    """Remembers the command-line order of options; click groups repeated options by name."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            _, _, order = self.make_parser(ctx).parse_args(args=list(args))
            ctx.meta[_ORDER_KEY] = [p.name for p in order]
        except click.UsageError:
            pass  # the real parse below reports it
        return super().parse_args(ctx, args)


# ---------------------------------------------------------------------------- option parsing

_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"


def parse_factor(text: str, option: str) -> Fraction:
    if not re.fullmatch(_NUMBER, text.strip()):
        raise click.BadParameter(f"{text!r} is not a positive number", param_hint=option)
    value = Fraction(text.strip())
    if value <= 0:
        raise click.BadParameter(f"{text!r} must be greater than 0", param_hint=option)
    return value


def parse_replicas(text: str) -> tuple[Fraction | None, int | None]:
    """``2x`` / ``0.5x`` / ``2`` (factor) or ``=5`` (absolute count)."""
    spec = text.strip()
    if spec.startswith("="):
        if not spec[1:].isdigit():
            raise click.BadParameter(f"{text!r}: '=N' needs a whole number of replicas",
                                     param_hint="--scale-replicas")
        return None, int(spec[1:])
    number = spec[:-1] if spec.endswith("x") else spec
    if not re.fullmatch(_NUMBER, number):
        raise click.BadParameter(f"{text!r}: expected a factor like '2x' or '0.5x', or '=N'",
                                 param_hint="--scale-replicas")
    return Fraction(number), None


def parse_offset(text: str, what: str, option: str = "--window", *, signed: bool = False) -> int:
    """Whole seconds from a Go duration (``90s``, ``10m``, ``2h``, ``1h30m``) or a plain number."""
    try:
        seconds = parse_duration(text, allow_negative=signed)
    except DurationError as exc:
        raise click.BadParameter(f"{what}: {exc}", param_hint=option) from None
    if seconds != int(seconds):
        raise click.BadParameter(f"{what} {text!r} is not a whole number of seconds "
                                 "(trace timestamps are seconds)", param_hint=option)
    return int(seconds)


def parse_window(text: str) -> tuple[int, int | None]:
    """``START:END`` relative to the first event; either side may be empty (start / end of the trace)."""
    if text.count(":") != 1:
        raise click.BadParameter(f"{text!r}: expected START:END such as '10m:2h', '1h:' or ':30m'",
                                 param_hint="--window")
    start_text, end_text = text.split(":")
    start = parse_offset(start_text, "start") if start_text.strip() else 0
    end = parse_offset(end_text, "end") if end_text.strip() else None
    if end is not None and end <= start:
        raise click.BadParameter(f"{text!r}: the end must be after the start", param_hint="--window")
    return start, end


def parse_resource_assignment(text: str, option: str) -> tuple[str | None, str, str]:
    """``[CONTAINER:]RESOURCE=VALUE`` -> (container or None, resource, value text)."""
    target, sep, value = text.partition("=")
    container, colon, resource = target.partition(":")
    if not colon:
        container, resource = "", target
    if not sep or not resource.strip() or not value.strip() or (colon and not container.strip()):
        raise click.BadParameter(f"{text!r}: expected [CONTAINER:]RESOURCE=VALUE, e.g. 'cpu=500m' or "
                                 "'app:memory=1.5'", param_hint=option)
    return (container.strip() or None), resource.strip(), value.strip()


_FIELD_TERM = re.compile(r"^\s*(kind|namespace|name)\s*==?\s*(\S+?)\s*$")


def _split_terms(text: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return terms


def parse_drop(text: str) -> tf.ObjectFilter:
    """``kind=Job,namespace=batch,app=web`` -> a filter; kind/namespace/name are object fields.

    Repeating a field means "any of" (``kind=Job,kind=CronJob``); every other term is a
    label requirement in kubectl syntax (``tier in (a,b)``, ``!canary``), ANDed.
    """
    fields: dict[str, list[str]] = {"kind": [], "namespace": [], "name": []}
    label_terms: list[str] = []
    for term in _split_terms(text):
        match = _FIELD_TERM.match(term)
        if match:
            fields[match.group(1)].append(match.group(2))
        elif term.strip():
            label_terms.append(term)
        else:
            raise click.BadParameter(f"{text!r}: empty term", param_hint="--drop")
    selector = _selector(",".join(label_terms), "--drop") if label_terms else None
    return tf.ObjectFilter(kinds=tuple(fields["kind"]), namespaces=tuple(fields["namespace"]),
                           names=tuple(fields["name"]), selector=selector)


def _selector(text: str, option: str) -> Selector:
    try:
        return parse_selector(text)
    except LabelSelectorError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


# ---------------------------------------------------------------------------- building steps


def build_steps(order: list[str], values: dict[str, list[str]], where: tf.ObjectFilter) -> list[Step]:
    """The transform steps in command-line order, every option checked before anything runs."""
    seen = {name: 0 for name in TRANSFORM_OPTIONS}
    steps = []
    for name in order:
        if name not in seen:
            continue
        text = values[name][seen[name]]
        seen[name] += 1
        steps.append(_step(name, text, where))
    return steps


def _step(name: str, text: str, where: tf.ObjectFilter) -> Step:
    option = "--" + name.replace("_", "-")
    label = f"{option} {text}"
    if name == "scale_replicas":
        factor, value = parse_replicas(text)
        return Step(label, lambda t: tf.scale_replicas(t, factor=factor, value=value, where=where), "edit")
    if name == "time_scale":
        factor = parse_factor(text, option)
        return Step(label, lambda t: tf.scale_time(t, factor), "time")
    if name == "arrival_rate":
        rate = parse_factor(text, option)
        return Step(label, lambda t: tf.scale_arrival_rate(t, rate), "time")
    if name == "shift_time":
        seconds = parse_offset(text, "shift", option, signed=True)
        return Step(label, lambda t: tf.shift_time(t, seconds), "time")
    if name == "window":
        start, end = parse_window(text)
        return Step(label, lambda t: tf.cut_window(t, start, end), "time")
    if name == "drop":
        drop_filter = parse_drop(text)
        return Step(label, lambda t: tf.drop_objects(t, drop_filter), "drop")
    field_name = "requests" if name.endswith("request") else "limits"
    container, resource, value_text = parse_resource_assignment(text, option)
    if name.startswith("set"):
        try:
            parse_quantity(value_text)
        except QuantityError as exc:
            raise click.BadParameter(str(exc), param_hint=option) from None
        return Step(label, lambda t: tf.set_resource(t, field_name, resource, value_text,  # type: ignore[arg-type]
                                                     container=container, where=where), "edit")
    factor = parse_factor(value_text, option)
    return Step(label, lambda t: tf.scale_resource(t, field_name, resource, factor,  # type: ignore[arg-type]
                                                   container=container, where=where), "edit")


def _changed_objects(before: Trace, after: Trace) -> int:
    originals = {id(obj) for event in before.events for obj in event.applied_objs}
    return sum(1 for event in after.events for obj in event.applied_objs if id(obj) not in originals)


def _objects(trace: Trace) -> set[tf.ObjectId | None]:
    return {tf.object_id(obj) for event in trace.events for obj in event.applied_objs}


def _summary(step: Step, before: Trace, after: Trace) -> str:
    if step.kind == "edit":
        return f"{step.label}: {_changed_objects(before, after)} applied object(s) changed"
    if step.kind == "drop":
        return f"{step.label}: {len(_objects(before) - _objects(after))} object(s) dropped"
    return f"{step.label}: {len(after.events)} event(s), {after.duration_seconds}s"


@click.command(cls=_OrderedCommand)
@click.argument("input_path", metavar="IN", type=click.Path())
@click.option("-o", "--output", "output_path", required=True, type=click.Path(dir_okay=False),
              help="Where to write the transformed trace (format from the extension: .json or msgpack).")
@click.option("--scale-replicas", multiple=True, metavar="Nx|=N",
              help="Multiply spec.replicas (2x, 0.5x; rounded half up) or set it (=5).")
@click.option("--time-scale", multiple=True, metavar="FACTOR",
              help="Compress (<1) or stretch (>1) time after the first event, lifecycles included.")
@click.option("--arrival-rate", multiple=True, metavar="RATE",
              help="Events come RATE times as often (2 = twice the arrivals per hour); pods keep their "
                   "recorded run times.")
@click.option("--shift-time", multiple=True, metavar="DURATION",
              help="Move every timestamp later (1h) or earlier (-30m); replay is unaffected.")
@click.option("--window", multiple=True, metavar="START:END",
              help="Keep [START, END) after the first event (10m:2h, 1h:, :30m); objects alive at START "
                   "are re-applied first, as SimKube's export does.")
@click.option("--set-request", multiple=True, metavar="[CONTAINER:]RES=QTY",
              help="Set a container request, e.g. cpu=500m or app:memory=1Gi.")
@click.option("--scale-request", multiple=True, metavar="[CONTAINER:]RES=FACTOR",
              help="Multiply an existing container request, e.g. memory=1.5.")
@click.option("--set-limit", multiple=True, metavar="[CONTAINER:]RES=QTY", help="Set a container limit.")
@click.option("--scale-limit", multiple=True, metavar="[CONTAINER:]RES=FACTOR",
              help="Multiply an existing container limit.")
@click.option("--drop", multiple=True, metavar="SELECTOR",
              help="Remove objects: kind=Job,namespace=batch and/or label terms (app=web,!canary).")
@click.option("--kind", "kinds", multiple=True,
              help="Only edit objects of this kind (Deployment or apps/v1.Deployment).")
@click.option("--namespace", "namespaces", multiple=True, help="Only edit objects in this namespace.")
@click.option("--selector", default=None, help="Only edit objects whose labels match (kubectl syntax).")
@click.pass_context
def transform(ctx: click.Context, input_path: str, output_path: str, kinds: tuple[str, ...],
              namespaces: tuple[str, ...], selector: str | None, **options: tuple[str, ...]) -> None:
    """Apply what-if edits to a trace, keeping index and lifecycles consistent.

    Transforms run in the order given; the input file is never modified.
    """
    where = tf.ObjectFilter(kinds=kinds, namespaces=namespaces,
                            selector=_selector(selector, "--selector") if selector is not None else None)
    order = ctx.meta.get(_ORDER_KEY, [])
    steps = build_steps(order, {name: list(options[name]) for name in TRANSFORM_OPTIONS}, where)
    if not steps:
        raise click.UsageError("no transform given (see --help for --scale-replicas, --window, ...)")
    trace = read_trace(input_path)
    lines = []
    for step in steps:
        try:
            result = step.run(trace)
        except tf.TransformError as exc:
            if exc.where is None:
                raise click.UsageError(f"{step.label}: {exc.message}") from None
            raise TraceError(input_path, exc.where, f"{step.label}: {exc.message}") from None
        lines.append(_summary(step, trace, result))
        trace = result
    write_trace(trace, output_path)
    for line in lines:
        click.echo(line)
    click.echo(f"wrote {output_path}: {len(trace.events)} event(s), {trace.duration_seconds}s")

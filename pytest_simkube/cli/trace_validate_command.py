"""``simkube trace validate``: check traces before a replay depends on them.

Exit status: 0 when no file has an error (warnings allowed), 1 when any file has an error
(SimKube's own ``skctl validate`` exits 0 either way, which lets a broken trace through a
CI gate), 2 when a file cannot be read at all (a :class:`TraceError`, reported by the
``simkube`` group as one line).
"""

from __future__ import annotations

import json

import click

from pytest_simkube.trace import read_trace
from pytest_simkube.trace.validate import RULES, Finding, has_errors, validate_trace


def _counts(findings: list[Finding]) -> tuple[int, int]:
    errors = sum(1 for f in findings if f.severity == "error")
    return errors, len(findings) - errors


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render_text(reports: list[tuple[str, list[Finding]]]) -> str:
    """One ``FILE: WHERE: severity CODE name: message`` line per finding, then a summary per file."""
    lines = []
    for path, findings in reports:
        for f in findings:
            lines.append(f"{path}: {f.where}: {f.severity} {f.code} {f.name}: {f.message}")
        errors, warnings = _counts(findings)
        verdict = "ok" if not findings else f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
        lines.append(f"{path}: {verdict}")
    return "\n".join(lines)


def render_json(reports: list[tuple[str, list[Finding]]]) -> str:
    """A stable document: files in argument order, findings in trace order, fixed key order."""
    files = []
    for path, findings in reports:
        errors, warnings = _counts(findings)
        files.append({"file": path, "errors": errors, "warnings": warnings,
                      "findings": [f.to_dict() for f in findings]})
    document = {"errors": sum(f["errors"] for f in files), "warnings": sum(f["warnings"] for f in files),
                "files": files}
    return json.dumps(document, indent=2)


def render_rules() -> str:
    """Every rule: code, severity, name and what it means."""
    return "\n".join(f"{r.code} {r.severity:<7} {r.name}: {r.help}" for r in RULES)


@click.command()
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Findings as readable lines or as one JSON document.")
@click.option("--list-rules", is_flag=True, help="Print every rule (code, severity, name, meaning) and exit.")
@click.pass_context
def validate(ctx: click.Context, files: tuple[str, ...], output_format: str, list_rules: bool) -> None:
    """Check traces for structural errors and SimKube's dependency rules.

    Exits 1 when any file has an error, 0 when there are only warnings, 2 when a file
    cannot be read.
    """
    if list_rules:
        click.echo(render_rules())
        return
    if not files:
        raise click.UsageError("Missing argument 'FILES...'.")
    reports = [(path, validate_trace(read_trace(path, lenient=True), path)) for path in files]
    click.echo(render_json(reports) if output_format == "json" else render_text(reports))
    if any(has_errors(findings) for _, findings in reports):
        ctx.exit(1)

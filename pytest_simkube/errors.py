"""The one error family the product raises for bad input.

Every message names the file, the place inside it and what is wrong, so the CLI and
the pytest plugin can print one line and exit non-zero instead of a traceback.
"""

from __future__ import annotations

_LINE_BREAKS = str.maketrans({c: repr(c)[1:-1] for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})
"""Every character ``str.splitlines`` breaks at, written as its escape."""


def one_line(text: str) -> str:
    """``text`` with its line breaks escaped: a key or value from the input (a YAML key
    holding ``\\x1e``, say) must not split the one-line error a CI log shows."""
    return text.translate(_LINE_BREAKS)


class SimkubeError(Exception):
    """Base class: anything the user can fix by changing an input or an option."""

    exit_code = 2


class InputError(SimkubeError):
    """Bad content in an input file.

    ``source`` is the file (or ``<stdin>``, ``<bytes>``), ``where`` the path inside it
    (``events[12].applied_objs[3].metadata`` or ``line 7, key 'cluster.nodeGroups[0].min'``).
    """

    def __init__(self, source: str | None, where: str | None, message: str) -> None:
        self.source = source
        self.where = where
        self.message = message
        super().__init__(self.format())

    def format(self) -> str:
        parts = [p for p in (self.source, self.where) if p]
        return one_line(": ".join([*parts, self.message]))


class TraceError(InputError):
    """A trace file that cannot be read or is structurally invalid."""


class ScenarioError(InputError):
    """A scenario file (or a file it references) that cannot be loaded."""


class ConfigError(InputError):
    """An invalid KubeSchedulerConfiguration, autoscaler setting or patch."""

"""Where a scenario's config files are read from: the working tree, or a git revision.

The proposed config (``config.scheduler``, ``config.patches``) names files relative to
the scenario. A normal load reads them from disk; a baseline load reads the same names
as they were at a git ref (``git show REF:path``), so "the config before this change"
is evaluated by exactly the same code as the change itself.
"""

from __future__ import annotations

import subprocess
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from pytest_simkube.errors import ScenarioError
from pytest_simkube.yamlstrict import Reader


class ConfigFiles(Protocol):
    """Resolves a file named in a scenario and reads it."""

    def resolve(self, reader: Reader, value: Any, path: str, *, what: str) -> Path: ...

    def read_text(self, file: Path) -> str: ...

    def label(self, file: Path) -> str:
        """How error messages name the file."""
        ...


class WorkingTreeFiles:
    """Files on disk, relative to the scenario's folder."""

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir

    def resolve(self, reader: Reader, value: Any, path: str, *, what: str) -> Path:
        text = reader.string(value, path)
        file = Path(text) if Path(text).is_absolute() else (self.base_dir / text).resolve()
        if not file.exists():
            raise reader.fail(path, f"{what} file {text!r} not found (looked at {file})")
        if not file.is_file():
            raise reader.fail(path, f"{what} path {text!r} is not a file ({file})")
        try:
            with file.open("rb") as handle:
                handle.read(1)
        except OSError as exc:
            raise reader.fail(path, f"cannot read {what} file {text!r}: {exc.strerror or exc}") from None
        return file

    def read_text(self, file: Path) -> str:
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(str(file), None, f"cannot read file: {exc}") from None

    def label(self, file: Path) -> str:
        return str(file)


class GitRevisionFiles:
    """Files as they are at ``ref`` in the git repository holding the scenario."""

    def __init__(self, repo_root: Path, base_dir: Path, ref: str) -> None:
        self.repo_root = repo_root
        self.base_dir = base_dir
        self.ref = ref

    def resolve(self, reader: Reader, value: Any, path: str, *, what: str) -> Path:
        text = reader.string(value, path)
        file = Path(text) if Path(text).is_absolute() else (self.base_dir / text)
        relative = self.repo_path(file)
        if relative is None:
            raise reader.fail(path, f"{what} file {text!r} is outside the git repository {self.repo_root}")
        if git(self.repo_root, "cat-file", "-e", f"{self.ref}:{relative}").returncode != 0:
            raise reader.fail(path, f"{what} file {text!r} does not exist at {self.ref} ({relative})")
        return self.repo_root / relative

    def read_text(self, file: Path) -> str:
        relative = self.repo_path(file)
        result = git(self.repo_root, "show", f"{self.ref}:{relative}")
        if result.returncode != 0:
            raise ScenarioError(self.label(file), None, f"cannot read at {self.ref}: {result.stderr.strip()}")
        return result.stdout

    def label(self, file: Path) -> str:
        return f"{file}@{self.ref}"

    def repo_path(self, file: Path) -> str | None:
        """``file`` as a repository path (``scenarios/config/x.yaml``), normalising ``..``."""
        absolute = Path(*_normalise(file.absolute().parts))
        try:
            return PurePosixPath(absolute.relative_to(self.repo_root)).as_posix()
        except ValueError:
            return None


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise ScenarioError(None, None, "git is not installed, so a baseline ref cannot be read") from None


def _normalise(parts: tuple[str, ...]) -> list[str]:
    result: list[str] = []
    for part in parts:
        if part == "..":
            if len(result) > 1:
                result.pop()
        elif part != ".":
            result.append(part)
    return result

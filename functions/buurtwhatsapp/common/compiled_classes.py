"""The methods ``dataclasses`` writes for our classes, compiled once by the deploy.

At class creation (Python 3.11), ``dataclasses`` writes each generated method (``__init__``,
``__repr__``, ``__eq__``, ``__hash__``, a frozen class's ``__setattr__``...) as source text and
compiles it with ``exec``. Our functions make some 40 frozen dataclasses before their first
answer, so a cold start compiled about 200 small functions: 18 of the 35 ms our imports add to
the floor (``make bench``).

The deploy records the code of every text it sees while importing the whole package
(``compile_classes``, from ``infra/deploy.stage``) into the upload. An instance's first import
of the package (``buurtwhatsapp/__init__.py``) calls ``use_compiled_classes``: from then on
``dataclasses`` runs the recorded code for a text it was recorded for, and compiles every other
text as before. A class changed since the deploy writes another text, and a code object
compiled by another Python version is refused as a whole (its magic number), so the classes
are always exactly those ``dataclasses`` itself would make. Only ``dataclasses`` sees this
``exec``: the name is set in that module's namespace, never in ``builtins``. The code is kept
by module and unpacked at a module's first class: a function unpacks only what it imports.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import marshal
import pkgutil
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import CodeType
from typing import Any

# Inside the package: what compile_classes wrote into the upload (never in the repository).
COMPILED_CLASSES = Path(__file__).resolve().parents[1] / "__compiled__" / "classes.marshal"
_FILENAME = "<string>"  # what dataclasses' own exec of a text gives its code


class _CachedExec:
    """``exec`` for ``dataclasses``: a recorded text runs its recorded code."""

    def __init__(
        self,
        packed: Mapping[str, bytes],
        *,
        recording: dict[str, dict[str, CodeType]] | None = None,
        package: str = "",
    ):
        self.packed = packed  # module: its texts and their code, marshalled
        self.unpacked: dict[str, dict[str, CodeType]] = {}
        self.recording = recording
        self.package = package  # recording: only the classes of this package's modules
        self.hits = 0
        self.compiled_for: Counter[str] = Counter()  # module: texts compiled (not recorded)

    def __call__(self, source: Any, globals: Any = None, locals: Any = None) -> None:
        module = _module_of(globals)
        code = self._table(module).get(source) if isinstance(source, str) else None
        if code is None:
            self.compiled_for[module] += 1
            if isinstance(source, str):
                # Not inheriting this module's `from __future__ import annotations`: the
                # builtin exec in dataclasses would not, and the annotations of __init__ differ.
                code = compile(source, _FILENAME, "exec", dont_inherit=True)
                if self.recording is not None and module.startswith(self.package):
                    self.recording.setdefault(module, {})[source] = code
            else:
                code = source
        else:
            self.hits += 1
        if globals is None:  # as the builtin does: the namespaces of its caller (dataclasses)
            caller = sys._getframe(1)
            globals, locals = caller.f_globals, caller.f_locals if locals is None else locals
        exec(code, globals, locals)  # dataclasses' own call, with its own text's code

    def _table(self, module: str) -> dict[str, CodeType]:
        table = self.unpacked.get(module)
        if table is None:
            packed = self.packed.get(module)
            table = {} if packed is None else marshal.loads(packed)
            self.unpacked[module] = table
        return table


def _module_of(namespace: Any) -> str:
    name = namespace.get("__name__") if isinstance(namespace, dict) else None
    return name if isinstance(name, str) else ""


def _installed() -> _CachedExec | None:
    installed = vars(dataclasses).get("exec")
    return installed if isinstance(installed, _CachedExec) else None


def read_compiled(path: Path = COMPILED_CLASSES) -> dict[str, bytes]:
    """What ``write_compiled`` wrote at ``path``, by module; nothing if it is missing,
    unreadable or written by another Python version (whose code this one cannot run)."""
    try:
        magic, packed = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    if magic != importlib.util.MAGIC_NUMBER or not isinstance(packed, dict):
        return {}
    return packed


def write_compiled(path: Path, recorded: Mapping[str, Mapping[str, CodeType]]) -> None:
    """Write what ``recording`` recorded (module: text: code) for ``read_compiled``."""
    packed = {module: marshal.dumps(dict(table)) for module, table in recorded.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(marshal.dumps((importlib.util.MAGIC_NUMBER, packed)))


def use_compiled_classes(path: Path = COMPILED_CLASSES) -> None:
    """Let ``dataclasses`` run the code compiled at the deploy (see the module's docstring).
    Without the file (the repository, tests, the dev server) nothing changes."""
    if _installed() is not None or not path.is_file():
        return
    packed = read_compiled(path)
    if packed:
        dataclasses.exec = _CachedExec(packed)  # type: ignore[attr-defined]


def stop_using_compiled_classes() -> None:
    """``dataclasses`` compiles every text again (tests)."""
    if _installed() is not None:
        del dataclasses.exec  # type: ignore[attr-defined]


def compiled_class_counts() -> tuple[int, dict[str, int]] | None:
    """Since ``use_compiled_classes``: how many texts ran from the compiled code, and how many
    were compiled, by module (other packages' classes are never recorded); None when it is not
    in use."""
    installed = _installed()
    return None if installed is None else (installed.hits, dict(installed.compiled_for))


@contextmanager
def recording(package: str) -> Iterator[dict[str, dict[str, CodeType]]]:
    """Record the code of every text ``dataclasses`` compiles in this block for a class of
    ``package``, by module (a class of another package is left out: the instance compiles it)."""
    if _installed() is not None:
        raise RuntimeError("compiled classes are in use: record in a fresh process")
    recorded: dict[str, dict[str, CodeType]] = {}
    dataclasses.exec = _CachedExec({}, recording=recorded, package=f"{package}.")  # type: ignore[attr-defined]
    try:
        yield recorded
    finally:
        stop_using_compiled_classes()


def compile_classes(package: str = "buurtwhatsapp", path: Path = COMPILED_CLASSES) -> int:
    """Import every module of ``package`` and write the code of every dataclass method made on
    the way to ``path``; how many. Run by the deploy in a fresh process, on the staged code, so
    that every class is made here for the first time."""
    with recording(package) as recorded:
        root = importlib.import_module(package)
        for module in pkgutil.walk_packages(root.__path__, f"{package}."):
            importlib.import_module(module.name)
    write_compiled(path, recorded)
    return sum(len(table) for table in recorded.values())

"""The dataclass methods the deploy compiles into the upload: an instance makes the same classes
without compiling them, compiles a class changed since as before, and ignores code another
Python version wrote."""

from __future__ import annotations

import dataclasses
import marshal
import sys
import types
import typing
from pathlib import Path

import pytest

from buurtwhatsapp.common import compiled_classes
from buurtwhatsapp.common.compiled_classes import (
    compiled_class_counts,
    read_compiled,
    recording,
    stop_using_compiled_classes,
    use_compiled_classes,
    write_compiled,
)

SOURCE = """
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = field(default_factory=tuple)
"""


def make_point_class(source: str = SOURCE, module: str = "buurtwhatsapp.example_points"):
    """``Point`` of a fresh module ``module`` made from ``source``."""
    made = types.ModuleType(module)
    sys.modules[module] = made
    try:
        exec(compile(source, f"<{module}>", "exec", dont_inherit=True), vars(made))
    finally:
        del sys.modules[module]
    return made.Point


@pytest.fixture
def clean():
    stop_using_compiled_classes()
    yield
    stop_using_compiled_classes()


def write(path: Path, recorded: dict) -> Path:
    write_compiled(path, recorded)
    return path


def texts(recorded: dict) -> int:
    return sum(len(table) for table in recorded.values())


def test_a_recorded_class_is_made_from_its_code_and_behaves_alike(clean, tmp_path):
    plain = make_point_class()  # as dataclasses makes it by itself
    with recording("buurtwhatsapp") as recorded:
        expected = make_point_class()
    assert expected.__init__.__annotations__ == plain.__init__.__annotations__
    assert texts(recorded) >= 5  # __init__, __repr__, __eq__, __hash__, __setattr__, ...
    use_compiled_classes(write(tmp_path / "classes.marshal", recorded))
    point_class = make_point_class()
    assert compiled_class_counts() == (texts(recorded), {})  # every text run, none compiled

    # The same signature (annotations and all) as without any of this.
    assert point_class.__init__.__annotations__ == plain.__init__.__annotations__
    assert typing.get_type_hints(point_class.__init__) == typing.get_type_hints(plain.__init__)
    point = point_class(1, tags=("a",))
    assert repr(point) == repr(expected(1, tags=("a",))).replace(
        expected.__qualname__, point_class.__qualname__
    )
    assert point == point_class(1, 0, ("a",)) and point != point_class(2)
    assert hash(point) == hash(point_class(1, 0, ("a",)))
    assert not hasattr(point, "__dict__")  # slots
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        point_class()  # type: ignore[call-arg]


def test_a_class_changed_since_is_compiled_as_before(clean, tmp_path):
    with recording("buurtwhatsapp") as recorded:
        make_point_class()
    use_compiled_classes(write(tmp_path / "classes.marshal", recorded))
    changed = make_point_class(SOURCE.replace("y: int = 0", "y: int = 0\n    z: int = 5"))
    _hits, compiled = compiled_class_counts() or (0, {})
    assert compiled["buurtwhatsapp.example_points"] >= 1  # a new field: new texts
    assert changed(1) == changed(1, 0, 5, ()) and changed(1).z == 5


def test_only_the_packages_classes_are_recorded(clean):
    with recording("buurtwhatsapp") as recorded:
        make_point_class(module="somebody_else")
    assert recorded == {}


def test_code_of_another_python_or_a_broken_file_is_ignored(clean, tmp_path):
    with recording("buurtwhatsapp") as recorded:
        make_point_class()
    other = tmp_path / "other.marshal"
    other.write_bytes(
        marshal.dumps((b"\x00\x00\r\n", read_compiled(write(tmp_path / "c", recorded))))
    )
    broken = tmp_path / "broken.marshal"
    broken.write_bytes(b"not marshal at all")
    assert read_compiled(other) == {} and read_compiled(broken) == {}
    for path in (other, broken, tmp_path / "missing.marshal"):
        use_compiled_classes(path)
        assert compiled_class_counts() is None
        assert make_point_class()(3).x == 3


def test_recording_refuses_a_process_that_uses_compiled_code(clean, tmp_path):
    with recording("buurtwhatsapp") as recorded:
        make_point_class()
    use_compiled_classes(write(tmp_path / "classes.marshal", recorded))
    with pytest.raises(RuntimeError, match="fresh process"), recording("buurtwhatsapp"):
        pass


def test_the_repository_itself_compiles_every_class(clean):
    """Tests, the dev server and the bench's own children run from the repository, where the
    deploy never wrote the file."""
    assert not compiled_classes.COMPILED_CLASSES.exists()


CALLERS_NAME = "a global of the caller"


def test_without_namespaces_the_code_runs_in_the_callers_as_the_builtin_would():
    cached = compiled_classes._CachedExec({})
    namespace: dict[str, object] = {}
    cached("seen = CALLERS_NAME", None, namespace)
    assert namespace == {"seen": CALLERS_NAME}

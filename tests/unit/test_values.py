"""deploylib.values.frozen: a value class behaves as `@dataclass(frozen=True)` would make it — equality, hash,
repr, immutability, keyword-only fields and the dataclasses functions — with the shared methods."""

from __future__ import annotations

import abc
import dataclasses
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from deploylib.values import frozen


def declare(decorator: object) -> type:
    """The same class body under `decorator` (a field excluded from comparison, one from hashing, one from repr)."""

    class Point:
        """A point."""

        x: int
        y: int = 0
        label: str = field(default="", compare=False)
        tags: tuple[str, ...] = field(default=(), hash=False)
        secret: str = field(default="", repr=False)

    return decorator(Point)  # type: ignore[operator,no-any-return]


OURS, THEIRS = declare(frozen), declare(dataclass(frozen=True))

PAIRS = [  # (a, b) as keyword arguments of both classes
    ({"x": 1}, {"x": 1}),
    ({"x": 1}, {"x": 2}),
    ({"x": 1, "y": 2}, {"x": 1, "y": 3}),
    ({"x": 1, "label": "a"}, {"x": 1, "label": "b"}),  # not compared
    ({"x": 1, "tags": ("a",)}, {"x": 1, "tags": ("b",)}),  # compared, not hashed
    ({"x": 1, "secret": "s"}, {"x": 1, "secret": "t"}),  # compared, not shown
]


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_equality_is_dataclass_equality(a: dict[str, object], b: dict[str, object]) -> None:
    assert (OURS(**a) == OURS(**b)) == (THEIRS(**a) == THEIRS(**b))


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_equal_values_hash_alike_and_hashing_skips_what_dataclass_skips(a: dict[str, object],
                                                                        b: dict[str, object]) -> None:
    same_hash_theirs = hash(THEIRS(**a)) == hash(THEIRS(**b))
    assert (hash(OURS(**a)) == hash(OURS(**b))) == same_hash_theirs


@pytest.mark.parametrize("kwargs", [a for a, _ in PAIRS] + [{"x": 3, "y": -1, "tags": ("t",), "secret": "s"}])
def test_repr_is_dataclass_repr(kwargs: dict[str, object]) -> None:
    assert repr(OURS(**kwargs)) == repr(THEIRS(**kwargs))


def test_another_class_with_the_same_fields_is_not_equal() -> None:
    assert OURS(x=1) != THEIRS(x=1)
    assert OURS(x=1).__eq__(THEIRS(x=1)) is NotImplemented


def test_a_subclass_is_not_equal_to_its_base() -> None:
    @frozen
    class Child(OURS):  # type: ignore[misc,valid-type]
        """A child."""

    assert Child(x=1) != OURS(x=1)
    assert Child(x=1) == Child(x=1)


def test_fields_cannot_be_assigned_or_deleted() -> None:
    point = OURS(x=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        del point.x


def test_kw_only_makes_every_field_keyword_only() -> None:
    @frozen(kw_only=True)
    class Options:
        """Options."""

        name: str
        count: int = 1

    assert Options(name="a") == Options(name="a", count=1)
    with pytest.raises(TypeError):
        Options("a")  # type: ignore[misc]


def test_methods_the_class_body_defines_are_kept() -> None:
    @frozen
    class Named:
        """Compared by name only."""

        name: str
        note: str = ""

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Named) and other.name == self.name

        def __hash__(self) -> int:
            return hash(self.name.lower())

        def __repr__(self) -> str:
            return f"<{self.name}>"

    assert Named("a", "x") == Named("a", "y")
    assert hash(Named("A")) == hash("a")
    assert repr(Named("a")) == "<a>"


def test_a_body_with_eq_alone_still_hashes_by_fields() -> None:
    @frozen
    class Loose:
        """Equal to anything of its kind."""

        name: str

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Loose)

    assert hash(Loose("a")) == hash(Loose("a"))


def test_a_self_containing_value_shows_an_ellipsis() -> None:
    @frozen
    class Box:
        """Holds a list."""

        items: list[object]

    box = Box([])
    box.items.append(box)
    assert repr(box) == f"{Box.__qualname__}(items=[...])"


@pytest.mark.parametrize("fields", [(), ("x",), ("x", "y", "z")])
def test_any_number_of_fields(fields: tuple[str, ...]) -> None:
    made = frozen(type("Made", (), {"__annotations__": dict.fromkeys(fields, "int"), "__doc__": "Made."}))
    reference = dataclasses.make_dataclass("Made", fields, frozen=True)
    values = dict.fromkeys(fields, 1)
    assert made(**values) == made(**values)
    assert hash(made(**values)) == hash(made(**values))
    assert repr(made(**values)) == repr(reference(**values))


def test_dataclasses_functions_work() -> None:
    point = OURS(x=1, y=2)
    assert dataclasses.is_dataclass(point)
    assert [f.name for f in dataclasses.fields(point)] == ["x", "y", "label", "tags", "secret"]
    assert dataclasses.replace(point, y=5) == OURS(x=1, y=5)
    assert dataclasses.asdict(point) == {"x": 1, "y": 2, "label": "", "tags": (), "secret": ""}
    assert OURS.__dataclass_params__.frozen  # type: ignore[attr-defined]  # what plug-in options are checked for


def test_a_value_survives_pickling() -> None:
    from deploylib.model import Release

    release = Release(id="1.0.0-abc", version="1.0.0", digest="sha256:00", commit="c")
    assert pickle.loads(pickle.dumps(release)) == release


def test_slots_leave_instances_without_a_dict_and_the_shared_methods_in_place() -> None:
    @frozen(slots=True)
    class Entry:
        """A file."""

        path: str
        size: int = 0

    entry = Entry("a", 1)
    assert not hasattr(entry, "__dict__")
    assert entry == Entry("a", 1)
    assert hash(entry) == hash(Entry("a", 1))
    assert repr(entry) == f"{Entry.__qualname__}(path='a', size=1)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.path = "b"  # type: ignore[misc]


def _always_equal(self: object, other: object) -> bool:
    return True


def _hash_one(self: object) -> int:
    return 1


HASH_BODIES = [  # what the class body defines, and what dataclass() then does
    pytest.param({}, id="nothing: a hash by the fields is added"),
    pytest.param({"__eq__": _always_equal}, id="an __eq__ alone (Python sets __hash__ to None): a hash is added"),
    pytest.param({"__hash__": None}, id="an explicit __hash__ = None: the class stays unhashable"),
    pytest.param({"__eq__": _always_equal, "__hash__": None}, id="__eq__ and __hash__ = None: as __eq__ alone"),
    pytest.param({"__hash__": _hash_one}, id="its own __hash__: kept"),
]


@pytest.mark.parametrize("body", HASH_BODIES)
def test_the_body_decides_hashability_as_dataclass_decides_it(body: dict[str, object]) -> None:
    def made(decorator: Callable[[type], type]) -> type:
        return decorator(type("Made", (), {"__annotations__": {"x": "int"}, "__doc__": "Made.", **body}))

    ours, theirs = made(frozen), made(dataclass(frozen=True))
    assert (ours.__hash__ is None) == (theirs.__hash__ is None)
    if theirs.__hash__ is not None:
        assert hash(ours(1)) == hash(theirs(1))


@pytest.mark.parametrize("abstract", [("__repr__",), ("__eq__",), ("__hash__",), ("__eq__", "__hash__", "__repr__")])
def test_a_value_class_implements_the_abstract_methods_of_its_abc_that_dataclass_implements(
        abstract: tuple[str, ...]) -> None:
    base = abc.ABCMeta("Base", (abc.ABC,), {name: abc.abstractmethod(lambda self: 0) for name in abstract})

    @frozen
    class Made(base):  # type: ignore[valid-type,misc]
        """Made."""

        x: int

    assert not Made.__abstractmethods__
    assert Made(1) == Made(1)
    assert repr(Made(1)) == f"{Made.__qualname__}(x=1)"

"""`frozen`: how deploylib declares its value classes (a release, an artifact, a check result, a target's
options): frozen dataclasses (dataclasses, PEP 557), whose comparison, hash and repr are written once here
instead of compiled for each class.

dataclass() compiles every method it makes from source as the class is created. For a frozen class that is
six (`__init__`, `__setattr__`, `__delattr__`, `__eq__`, `__hash__`, `__repr__`): about 0.7 ms a class with
six fields on Python 3.11, two thirds of it for the last three. deploylib declares about a hundred value
classes, 44 of them on the path of a no-op `doit deploy`, so that was ~20 ms of every run's start. With
`frozen`, dataclass() makes the first three (per class, as they must be) and every value shares the other
three, which read the class's fields as dataclass() would: equal to another object only when it is of the
very same class with equal compared fields, hashed by the fields dataclass() hashes (`field(hash=…)`,
`compare=False` honoured), and shown as dataclass() shows it. A method the class body defines itself is
kept, as dataclass() keeps it.

    @frozen
    class Release: ...

    @frozen(kw_only=True)
    class PagesOptions: ...

`dataclasses.fields`, `replace`, `asdict` and `is_dataclass` work on these as on any dataclass.
"""

from __future__ import annotations

import abc
import reprlib
from collections.abc import Callable, Iterable
from dataclasses import Field, dataclass, field, fields
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform, overload

_T = TypeVar("_T")


@overload
def frozen(cls: type[_T], /) -> type[_T]: ...


@overload
def frozen(*, kw_only: bool = False, slots: bool = False) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def frozen(cls: type[_T] | None = None, /, *, kw_only: bool = False,
           slots: bool = False) -> type[_T] | Callable[[type[_T]], type[_T]]:
    """`cls` made a frozen dataclass (`kw_only`: every field keyword-only; `slots`: instances without a
    __dict__, for a class made in great numbers), with the shared comparison, hash and repr. Used bare
    (`@frozen`) or with arguments (`@frozen(kw_only=True)`)."""

    def make(cls: type[_T]) -> type[_T]:
        own = vars(cls)
        # what the body defines, read before anything is set (`own` is a live view): dataclass(eq=True,
        # frozen=True) keeps a body's __eq__ and __repr__, and adds a hash unless the body defines one,
        # `__hash__ = None` included; a body's __eq__ alone sets __hash__ to None, which is not defining one
        add_eq, add_repr = "__eq__" not in own, "__repr__" not in own
        add_hash = "__hash__" not in own or (own["__hash__"] is None and not add_eq)
        made = dataclass(frozen=True, eq=False, repr=False, kw_only=kw_only, slots=slots)(cls)
        declared = fields(made)  # type: ignore[arg-type]
        made.__value__ = (  # type: ignore[attr-defined]  # a tuple: a function there would be bound as a method
            _getter(f.name for f in declared if f.compare),
            _getter(f.name for f in declared if (f.compare if f.hash is None else f.hash)),
            tuple(f.name for f in declared if f.repr))
        if add_eq:
            made.__eq__ = _eq  # type: ignore[method-assign]
        if add_hash:
            made.__hash__ = _hash  # type: ignore[method-assign]
        if add_repr:
            made.__repr__ = _repr  # type: ignore[method-assign]
        if getattr(made, "__abstractmethods__", None):  # an ABC's abstract __eq__/__hash__/__repr__ are implemented now
            abc.update_abstractmethods(made)
        return made

    return make if cls is None else make(cls)


def _getter(attributes: Iterable[str]) -> Callable[[object], tuple[object, ...]]:
    """A function giving an object's `attributes` as a tuple (attrgetter's, with one or none too)."""
    names = tuple(attributes)
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        get = attrgetter(names[0])
        return lambda obj: (get(obj),)
    return lambda obj: ()


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    compared = self.__value__[0]
    return compared(self) == compared(other)


def _hash(self: Any) -> int:
    return hash(self.__value__[1](self))


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    return fields_repr(self, self.__value__[2])


def fields_repr(value: object, names: Iterable[str]) -> str:
    """`value` shown as dataclass() shows it, with the fields `names`: "Release(id='1.0.0-ab12', …)"."""
    shown = ", ".join(f"{name}={getattr(value, name)!r}" for name in names)
    return f"{value.__class__.__qualname__}({shown})"

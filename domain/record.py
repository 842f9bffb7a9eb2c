"""Small immutable value classes for the read paths, without the dataclasses module.

`import dataclasses` pulls in inspect (and with it ast, dis, tokenize): about 11 ms, more than
Python's own start-up, on every `auth list`, `auth status`, `auth which` and `exec`, which
status bars and agent launchers start every few seconds. The values those commands pass
around (a credential's summary, the choice of a credential, a status block, an exec plan)
are Records instead: fields declared as annotations, defaults as class attributes, frozen,
compared and hashed by value, shown by `repr`, changed with `.replace()`. Everything else
keeps dataclasses.

A default is shared by every instance, so it must be immutable (a tuple, None, a
MappingProxyType); there is no default_factory.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `from typing import`: typing costs a read path ~6 ms
if TYPE_CHECKING:
    from typing import Any, Self, dataclass_transform
else:

    def dataclass_transform(**_options: object) -> object:
        return lambda cls: cls


@dataclass_transform(frozen_default=True)
class Record:
    """A frozen value: subclasses declare fields as annotations (`name: str`, `port: int = 0`)."""

    _fields: tuple[str, ...] = ()
    _defaults: dict[str, object] = {}  # noqa: RUF012  (read-only, set per subclass)

    def __init_subclass__(cls, **options: object) -> None:
        super().__init_subclass__(**options)
        fields = list(cls._fields)
        # Not inspect.get_annotations: inspect is what this module exists to avoid.
        for name in cls.__dict__.get("__annotations__", {}):  # noqa: RUF063
            if not name.startswith("_") and name not in fields:
                fields.append(name)
        cls._fields = tuple(fields)
        cls._defaults = {name: getattr(cls, name) for name in fields if hasattr(cls, name)}
        required_after = [
            name
            for index, name in enumerate(fields)
            if name not in cls._defaults and any(f in cls._defaults for f in fields[:index])
        ]
        if required_after:
            raise TypeError(f"{cls.__name__}: field {required_after[0]} without a default follows one with")

    def __init__(self, *values: Any, **named: Any) -> None:
        fields = self._fields
        if len(values) > len(fields):
            raise TypeError(f"{type(self).__name__} takes {len(fields)} values, {len(values)} given")
        given = dict(zip(fields, values, strict=False))
        for name, value in named.items():
            if name not in fields or name in given:
                raise TypeError(f"{type(self).__name__}: unexpected or repeated field {name!r}")
            given[name] = value
        defaults = self._defaults
        for name in fields:
            if name in given:
                object.__setattr__(self, name, given[name])
            elif name in defaults:
                object.__setattr__(self, name, defaults[name])
            else:
                raise TypeError(f"{type(self).__name__}: missing field {name!r}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: use .replace({name}=...)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({shown})"

    def replace(self, **changes: Any) -> Self:
        """A copy with `changes` (what dataclasses.replace does)."""
        values = {name: getattr(self, name) for name in self._fields}
        values.update(changes)
        return type(self)(**values)

"""Renamed keyword arguments: the old name keeps working for a while, with a DeprecationWarning.

One helper for every rename in the API (`seed=` -> `random_state=`, `thumbnail_size=` ->
`thumb_size=`), so each public function states its new name once, in its decorator.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])


def renamed_arguments(**old_to_new: str) -> Callable[[F], F]:
    """Accept each `old=` keyword as a deprecated alias of `new=`.

    `@renamed_arguments(seed="random_state")` on `f(..., random_state=0)`: `f(seed=3)` warns
    (DeprecationWarning naming `random_state`) and runs `f(random_state=3)`; passing both
    names, as keywords or the new one by position, is a TypeError naming both.
    """

    def decorate(func: F) -> F:
        # A constructor is named as it is called: LatentScatter(), not LatentScatter.__init__().
        name = func.__qualname__.removesuffix(".__init__")
        parameters = list(inspect.signature(func).parameters.values())
        position: dict[str, int | None] = {}
        for old, new in old_to_new.items():
            match = [i for i, p in enumerate(parameters) if p.name == new]
            if not match:
                raise TypeError(f"{name} has no argument {new!r} to alias {old!r} to")
            kind = parameters[match[0]].kind
            positional = kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            position[old] = match[0] if positional else None

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old not in kwargs:
                    continue
                index = position[old]
                if new in kwargs or (index is not None and len(args) > index):
                    raise TypeError(f"{name}() got both {new}= and its deprecated alias {old}=; pass only {new}=")
                warnings.warn(
                    f"{name}(): {old}= is deprecated; use {new}= instead",
                    DeprecationWarning,
                    stacklevel=2,
                )
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return cast(F, wrapper)

    return decorate

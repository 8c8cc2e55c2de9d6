"""The functions of a resumed program, each stored module's registered when one of them
is first asked for.

A resumed run registers the skeletons of every module the stored analysis read (3,312
on a million lines, with 22,000 functions), yet runs the units of a few. A skeleton's
functions stay one pickle (`ir.Module.functions` is lazy) until something asks for one
of them by id (`key_path` names its module) or needs them all; which ids a module has is
kept with the state, so the request-state pass (classes.state_writers) can go through
every function's id without decoding any."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowscan import ir
from flowscan.analysis.stores import key_path

if TYPE_CHECKING:
    from flowscan.analysis.engine import Program


class Functions(dict):  # type: ignore[type-arg]
    """fid -> (function, module), as `Program.functions`, with modules waiting."""

    __slots__ = ("program", "waiting")

    def __init__(self, program: Program) -> None:
        super().__init__()
        self.program = program
        self.waiting: dict[str, tuple[ir.Module, str]] = {}  # path -> module, its ids

    def wait(self, module: ir.Module, ids: str) -> None:
        """Register `module`'s functions (`ids`, NUL-joined) when first asked for."""
        self.waiting[module.path] = (module, ids)

    def fill(self, path: str) -> bool:
        found = self.waiting.pop(path, None)
        if found is None:
            return False
        self.program.register_functions(found[0])
        return True

    def fill_all(self) -> None:
        for path in sorted(self.waiting):
            self.fill(path)

    def ids(self) -> list[str]:
        """Every function's id, the waiting modules' included, none of them decoded."""
        return [*dict.keys(self), *(fid for _, ids in self.waiting.values()
                                    for fid in ids.split("\0") if fid)]

    def __missing__(self, fid: str) -> Any:
        if isinstance(fid, str) and self.fill(key_path(fid)):
            return dict.__getitem__(self, fid)
        raise KeyError(fid)

    def __contains__(self, fid: object) -> bool:
        return dict.__contains__(self, fid) or (
            isinstance(fid, str) and self.fill(key_path(fid)) and dict.__contains__(self, fid))

    def get(self, fid: str, default: Any = None) -> Any:
        return dict.__getitem__(self, fid) if fid in self else default


def _whole(method: Any) -> Any:
    """`method` of dict, over every function: the waiting ones registered first."""
    def whole(self: Functions) -> Any:
        self.fill_all()
        return method(self)
    return whole


for _name in ("__iter__", "__len__", "keys", "values", "items"):
    setattr(Functions, _name, _whole(getattr(dict, _name)))

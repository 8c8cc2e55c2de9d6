"""Which variable a bare assignment inside a JavaScript function writes (js_scopes.py)."""

from __future__ import annotations

from flowscan import ir
from flowscan.analysis.walk import simple_statements
from flowscan.frontends import FRONTENDS

SOURCE = b"""
let client = null;
export function start() { client = init(); }
export function shadowed() { let client; client = init(); }
export function param(client) { client = init(); }
export function nested() { const f = () => { client = init(); }; return f; }
export function caught() { try { x(); } catch (client) { client = init(); } }
"""


def _targets(fid_suffix: str, module: ir.Module) -> list[ir.Target]:
    out: list[ir.Target] = []
    for fid, fn in module.functions.items():
        if fid.endswith(fid_suffix):
            out += [s.target for s in simple_statements(fn.body) if isinstance(s, ir.Assign)]
    return out


def test_an_assignment_writes_the_module_variable_only_when_no_function_declares_it() -> None:
    fe = FRONTENDS["typescript"]
    module = fe.lower(fe.parse(SOURCE, "flags.ts"))

    def module_scoped(t: ir.Target) -> bool:
        return isinstance(t, ir.Attr) and isinstance(t.obj, ir.Name) \
            and t.obj.id == ir.MODULE_SCOPE and t.name == "client"

    assert [module_scoped(t) for t in _targets("::start", module)] == [True]
    assert not any(module_scoped(t) for t in _targets("::shadowed", module))
    assert not any(module_scoped(t) for t in _targets("::param", module))
    assert any(module_scoped(t) for t in _targets("nested.f", module))  # a closure too
    caught = _targets("::caught", module)
    assert caught and not any(module_scoped(t) for t in caught)
    assert _targets("::shadowed", module) and _targets("::param", module)

"""What the front ends lower the masking idioms to (frontends/base.py): a part of a value
that identifies no one becomes a call of ir.MASKED_PART, a collection's tail stays an
ordinary call or subscript, and a receiver is lowered once."""

from __future__ import annotations

from pathlib import Path

from flowscan import ir
from flowscan.frontends import FRONTENDS

TS = b"""
export function f(u: any, items: any[]) {
  const a = u.licence.slice(-4);
  const b = u.email.split('@').pop();
  const c = u.email.split('@')[1];
  const d = items.filter((x) => x.ok).slice(-3);
  const e = u.email.split('@')[0];
}
"""

PY = b"""
def f(u, history):
    a = (u.phone or "")[-3:]
    b = u.email.rsplit("@", 1)[1]
    c = u.email.partition("@")[2]
    d = history[-4:]
    e = u.email.split("@")[0]
"""


def _values(module: ir.Module) -> dict[str, ir.Expr]:
    fn = next(f for fid, f in module.functions.items() if fid.endswith("::f"))
    return {s.target.id: s.value for s in fn.body
            if isinstance(s, ir.Assign) and isinstance(s.target, ir.Name)}


def _masked(e: ir.Expr) -> bool:
    return isinstance(e, ir.Call) and isinstance(e.func, ir.Name) \
        and e.func.id == ir.MASKED_PART


def test_typescript_masks_tails_and_domains_only() -> None:
    fe = FRONTENDS["typescript"]
    module = fe.lower(fe.parse(TS, "a.ts"))
    v = _values(module)
    assert [_masked(v[k]) for k in "abcde"] == [True, True, True, False, False]
    # the collection's receiver, with its callback, is lowered once: one closure
    assert len([fid for fid in module.functions if fid != "a.ts::f"]) == 1


def test_python_masks_tails_and_domains_only() -> None:
    fe = FRONTENDS["python"]
    v = _values(fe.lower(fe.parse(PY, "a.py")))
    assert [_masked(v[k]) for k in "abcde"] == [True, True, True, False, False]


def test_grammars_load_without_their_packages_init() -> None:
    """The grammar packages' `__init__` imports importlib.resources (and tempfile,
    shutil, the compressors) for query files flowscan does not read."""
    import subprocess
    import sys

    from flowscan.frontends import grammar

    code = ("import sys\nfrom flowscan.frontends import FRONTENDS\n"
            "for fe in FRONTENDS.values():\n    fe.parse(b'x = 1', 'a')\n"
            "print(sorted(m for m in ('tree_sitter_python', 'tree_sitter_javascript', "
            "'tree_sitter_typescript', 'importlib.resources', 'tempfile') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    assert out.strip() == "[]"
    import json

    assert grammar("json") is json  # no compiled module there: the package itself

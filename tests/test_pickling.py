"""Cache pickles: IR nodes load as class calls, and bodies stay bytes until read."""

import pickle

from flowscan import ir
from flowscan.frontends import frontend_for


def _module() -> ir.Module:
    source = (b"import mixpanel\nmp = mixpanel.Mixpanel('t')\n\n"
              b"def f(user):\n    mp.track(user.id, 'x')\n")
    fe = frontend_for("app.py")
    assert fe is not None
    module: ir.Module = fe.lower(fe.parse(source, "app.py"))
    return module


def test_a_loaded_body_is_read_on_first_use_and_equals_the_original() -> None:
    module = _module()
    loaded = pickle.loads(pickle.dumps(module))
    fn = next(iter(loaded.functions.values()))
    slot = ir.Function.__dict__["body"].fget.stored  # the slot, not decoding it
    assert isinstance(slot(fn), bytes)  # not read yet
    assert fn.body == next(iter(module.functions.values())).body
    assert isinstance(slot(fn), tuple)  # read once, kept
    assert loaded == module


def test_parameters_imports_and_exports_stay_pickled_until_read() -> None:
    """A stored skeleton's functions and modules register without decoding them; an
    empty one is kept as it is."""
    module = _module()
    module.exports = (ir.Export("f"),)
    loaded = pickle.loads(pickle.dumps(module))
    fn = loaded.functions[next(iter(module.functions))]
    stored = {name: getattr(cls, name).fget.stored for cls, name in (
        (ir.Function, "params"), (ir.Module, "imports"), (ir.Module, "exports"))}
    assert isinstance(stored["params"](fn), bytes)
    assert isinstance(stored["imports"](loaded), bytes)
    assert isinstance(stored["exports"](loaded), bytes)
    assert [p.name for p in fn.params] == ["user"] and isinstance(stored["params"](fn), tuple)
    assert loaded.imports == module.imports and loaded.exports == module.exports
    bare = pickle.loads(pickle.dumps(ir.Function("m.py::g", "g", (), (), (1, 0, 1, 5))))
    assert stored["params"](bare) == ()  # (nothing to put off)
    skeleton = pickle.loads(pickle.dumps(module.without(None)))  # the first lazy field
    assert stored["imports"](skeleton).__class__ is bytes and skeleton.body is None \
        and skeleton.imports == module.imports


def test_an_unread_body_pickles_again_without_being_decoded() -> None:
    module = _module()
    once = pickle.loads(pickle.dumps(module))
    twice = pickle.loads(pickle.dumps(once))  # `once`'s bodies were never read
    assert twice == module


def test_a_packed_store_reads_each_value_on_first_use() -> None:
    from flowscan.pickling import PackedStore

    store = PackedStore({"a": {"x": 1}, "b": [2], "c": "three"})
    loaded = pickle.loads(pickle.dumps(store))
    assert all(isinstance(dict.get(loaded, k), bytes) for k in "abc")  # none read yet
    assert loaded["a"] == {"x": 1}
    assert isinstance(dict.get(loaded, "a"), dict)  # read once, kept
    assert isinstance(dict.get(loaded, "b"), bytes)
    again = pickle.loads(pickle.dumps(loaded))  # "b", "c" unread: pickled as they came
    assert again == store and loaded == store and again == {"a": {"x": 1}, "b": [2], "c": "three"}
    assert loaded.get("b") == [2] and loaded.get("zz", 5) == 5
    assert loaded.pop("c") == "three" and "c" not in loaded
    assert loaded.setdefault("d", 4) == 4 and loaded.setdefault("a") == {"x": 1}
    assert sorted(loaded.items()) == [("a", {"x": 1}), ("b", [2]), ("d", 4)]
    assert list(pickle.loads(pickle.dumps(again)).values()) == [{"x": 1}, [2], "three"]


def test_packed_sets_split_each_set_on_first_use() -> None:
    from flowscan.pickling import PackedSets

    plain = {"k1": {"a.py::f", "b.ts::g"}, "k2": set(), "k3": {"c.py::h"}}
    loaded = pickle.loads(pickle.dumps(PackedSets(plain)))
    assert all(isinstance(dict.get(loaded, k), str) for k in plain)  # none split yet
    assert loaded["k1"] == plain["k1"] and isinstance(dict.get(loaded, "k1"), set)
    loaded["k1"].add("d.py::i")  # read, changed in place (Program.depend): kept
    assert "d.py::i" in pickle.loads(pickle.dumps(loaded))["k1"]
    assert loaded.get("k2") == set() and loaded.get("zz", 7) == 7
    assert loaded.setdefault("k4", set()) == set() and loaded.setdefault("k3") == {"c.py::h"}
    assert loaded.pop("k3") == {"c.py::h"} and loaded.pop("zz", None) is None
    again = pickle.loads(pickle.dumps(loaded))
    assert again == {"k1": {*plain["k1"], "d.py::i"}, "k2": set(), "k4": set()} == loaded
    assert again.pop("k2") == set() and sorted(again) == ["k1", "k4"]
    assert dict(again.items()) == {"k1": {*plain["k1"], "d.py::i"}, "k4": set()}


def test_a_value_pickles_without_its_defaults_and_loads_equal() -> None:
    from flowscan.analysis.values import Source, Val
    from flowscan.model import Span

    src = Source("email", "user.email", Span("a.py", 1, 0, 1, 5))
    for v in (Val(), Val(frozenset({src})), Val(fields={}), Val(text=""), Val(clean=True),
              Val(closed=True), Val(fields={"e": Val(frozenset({src}))}, text="t"),
              Val(refs=frozenset({("mixpanel", "Mixpanel.track")}), insts=frozenset({"C"}))):
        back = pickle.loads(pickle.dumps(v))
        assert back == v and back.fields == v.fields and back.text == v.text
        assert (back.clean, back.closed) == (v.clean, v.closed)
    assert len(pickle.dumps(Val(frozenset({src})))) < len(pickle.dumps(Val(frozenset({src}),
                                                                           text="x")))


def test_a_skeleton_reads_its_bodies_from_elsewhere_on_first_use() -> None:
    from flowscan.analysis.incremental import skeleton
    from flowscan.pickling import Elsewhere

    module = _module()
    asked: list[tuple[str, str | None]] = []

    def source(key: str, part: str | None) -> object:
        asked.append((key, part))
        return module.body if part is None else module.functions[part].body

    bare = pickle.loads(pickle.dumps(skeleton(module, "k1")))
    assert len(pickle.dumps(bare)) < len(pickle.dumps(module))
    Elsewhere.source = source
    try:
        fid = next(iter(module.functions))
        assert bare.functions[fid].body == module.functions[fid].body
        assert bare.body == module.body and bare == module
        assert asked == [("k1", fid), ("k1", None)]
        assert bare.functions[fid].body == module.functions[fid].body and len(asked) == 2
    finally:
        Elsewhere.source = None


def test_a_packed_store_pickles_a_value_read_but_not_replaced_as_it_came() -> None:
    from flowscan.pickling import PackedStore

    loaded = pickle.loads(pickle.dumps(PackedStore({"a": {"x": 1}, "b": [2], "c": 3})))
    came = {k: dict.get(loaded, k) for k in "abc"}
    assert loaded["a"] == {"x": 1} and loaded.get("b") == [2] and loaded["c"] == 3
    loaded["b"] = [5]  # replaced: pickled anew
    again = loaded.__reduce_ex__(4)[1][0]
    assert again["a"] is came["a"] and again["c"] is came["c"]  # not pickled again
    assert again["b"] is not came["b"] and pickle.loads(again["b"]) == [5]
    del loaded["c"]
    loaded.update({"a": {"y": 2}})
    assert pickle.loads(pickle.dumps(loaded)) == {"a": {"y": 2}, "b": [5]}
    loaded.pop("a")
    loaded.setdefault("a", {"z": 3})
    assert pickle.loads(pickle.dumps(loaded)) == {"a": {"z": 3}, "b": [5]}
    listed = pickle.loads(pickle.dumps(PackedStore({"a": [1]})))
    came = {"a": dict.get(listed, "a")}
    assert list(listed.items()) == [("a", [1])]  # read all at once: kept too
    assert listed.__reduce_ex__(4)[1][0]["a"] is came["a"]


def test_a_skeleton_stored_under_the_same_content_key_is_stored_again_as_it_came() -> None:
    from types import SimpleNamespace
    from typing import Any

    from flowscan.analysis.incremental import skeleton, skeletons

    module = _module()
    prog: Any = SimpleNamespace(modules={"app.py": module, "b.py": module})
    first = skeletons(prog, {"app.py": "k1", "b.py": "k2"}, {})
    assert first["app.py"] == ("k1", pickle.dumps(skeleton(module, "k1"),
                                                  protocol=pickle.HIGHEST_PROTOCOL))
    prog.modules["b.py"] = _module()  # (a new object: the key says whether it changed)
    second = skeletons(prog, {"app.py": "k1", "b.py": "k3", "gone.py": "k4"}, first)
    assert second["app.py"] is first["app.py"]  # same file content: the same bytes
    assert second["b.py"][0] == "k3" and second["b.py"][1] is not first["b.py"][1]
    assert "gone.py" not in second  # not a module the program read


def test_may_mention_looks_for_a_name_in_a_body_not_yet_read() -> None:
    from flowscan.pickling import may_mention

    fn = next(iter(pickle.loads(pickle.dumps(_module())).functions.values()))
    slot = ir.Function.__dict__["body"].fget.stored
    assert may_mention(fn, "body", ["track"])  # `mp.track(...)`: the attribute's name
    assert may_mention(fn, "body", ["nothing", "user"])
    assert not may_mention(fn, "body", ["state", "locals"])
    assert isinstance(slot(fn), bytes)  # asked without decoding it
    assert fn.body  # once read, it may hold anything: the caller looks itself
    assert may_mention(fn, "body", ["state"])


def test_a_frozen_value_loads_through_its_slots_equal_hashable_and_still_frozen() -> None:
    """`by_fields` loads a frozen class without its `__init__`, under every protocol
    the cache and the worker processes use, and through `copy`."""
    import copy
    import dataclasses

    import pytest

    from flowscan.model import FileOutcome, Span

    span = Span("a.py", 3, 5, 3, 9)
    outcome = FileOutcome("a.py", "partial", "python", "1 error", (span,), 12)
    assert outcome.__reduce__()[0] is FileOutcome._from_fields  # type: ignore[attr-defined]
    for protocol in (2, 4, pickle.HIGHEST_PROTOCOL):
        loaded = pickle.loads(pickle.dumps(outcome, protocol=protocol))
        assert type(loaded) is FileOutcome and loaded == outcome
        assert hash(loaded) == hash(outcome) and loaded.errors[0] == span
    for copied in (copy.copy(outcome), copy.deepcopy(outcome)):
        assert copied == outcome
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.lines = 1  # type: ignore[misc]


def test_an_unfrozen_value_still_loads_as_a_call_of_its_class() -> None:
    stmt = ir.Return(ir.Name("x"))
    assert stmt.__reduce__()[0] is ir.Return  # type: ignore[index]
    assert pickle.loads(pickle.dumps(stmt)) == stmt

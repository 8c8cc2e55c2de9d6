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


def test_an_unread_body_pickles_again_without_being_decoded() -> None:
    module = _module()
    once = pickle.loads(pickle.dumps(module))
    twice = pickle.loads(pickle.dumps(once))  # `once`'s bodies were never read
    assert twice == module

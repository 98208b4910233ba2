"""The check registry knows every type by name while the families most suites never use
(model graders, JavaScript, similarity and judges) wait to be imported until one of their
names is looked up."""

from __future__ import annotations

import subprocess
import sys
from importlib import import_module

from evalkit.checks import LAZY, REGISTRY


def test_the_lazy_table_names_exactly_what_each_family_registers() -> None:
    before = set(REGISTRY)
    for family in LAZY:
        import_module(f"evalkit.checks.{family}")
    assert set(REGISTRY) == before  # importing a family adds no name the table missed
    for family, names in LAZY.items():
        for name in names:
            check = REGISTRY[name]  # a function check's own module is its fn's
            assert getattr(check, "fn", check).__module__.startswith(f"evalkit.checks.{family}")
    assert len(REGISTRY) == len(set(REGISTRY)) == 32


def test_no_lazy_family_adds_an_implicit_check() -> None:
    """Implicit checks are taken from the imported families only; a lazy one adding one
    would be left out of suites that never name its types."""
    for module in LAZY:
        import_module(f"evalkit.checks.{module}")
    lazy_names = {n for names in LAZY.values() for n in names}
    assert all(REGISTRY[n].implicit() is None for n in lazy_names)
    assert {c.name for c in REGISTRY.loaded() if c.implicit() is not None} == {"not_truncated"}


def test_a_fresh_process_imports_a_family_when_its_name_is_looked_up() -> None:
    script = (
        "import sys\n"
        "from evalkit.checks import REGISTRY\n"
        "assert 'judge' in REGISTRY and 'multi' in sorted(REGISTRY)\n"
        "assert 'evalkit.checks.semantic' not in sys.modules\n"
        "assert 'evalkit.checks.graders' not in sys.modules\n"
        "assert 'evalkit.checks.javascript' not in sys.modules\n"
        "REGISTRY['judge']\n"
        "assert 'evalkit.checks.semantic' in sys.modules\n"
        "import evalkit.checks as checks\n"
        "assert checks.javascript.__name__ == 'evalkit.checks.javascript'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ok\n"


def test_only_checks_that_make_calls_name_models() -> None:
    """`evalkit check` and collection ask every assertion which models it calls (a model
    that retires must be found where it is pinned). A check calls only through needs():
    one that keeps the default answers [] without walking its arguments, and every check
    whose arguments can name a model has needs() of its own, so none is missed."""
    from evalkit.checks import AssertionSpec, Check

    for family in LAZY:
        import_module(f"evalkit.checks.{family}")
    for name in REGISTRY:
        check, args = REGISTRY[name], REGISTRY[name].args
        names_a_model = "model" in args.model_fields or hasattr(args, "called_models")
        assert not names_a_model or type(check).needs is not Check.needs, name
    value = REGISTRY["equals"].args(value={"model": "gpt-4o-2024-08-06"})
    assert REGISTRY["equals"].models(AssertionSpec(type="equals", args=value)) == []
    judge = REGISTRY["judge"]
    args = judge.args(rubric="says hello", model="gpt-4.1-mini-2025-04-14")
    assert judge.models(AssertionSpec(type="judge", args=args)) == ["gpt-4.1-mini-2025-04-14"]

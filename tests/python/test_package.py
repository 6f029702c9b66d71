"""The package surface (API.md "Shared"): version, public names, exception hierarchy, docstrings."""

from __future__ import annotations

import doctest
import inspect
import re

import pytest

import cxkit as cx
import cxkit._demo_value
import cxkit.datasets
import cxkit.stats
import cxkit.survey
from conftest import ROOT

PUBLIC_FUNCTIONS = ["nps", "csat", "ces", "compare_nps", "compare_csat", "compare_segments", "adjust_pvalues"]
PUBLIC_CLASSES = ["NpsAccumulator", "RatingAccumulator", "NpsResult", "RatingResult", "ComparisonResult"]


def test_version_is_0_1_0_and_matches_version_hpp():
    assert cx.__version__ == "0.1.0"
    text = (ROOT / "include" / "cxkit" / "version.hpp").read_text()
    parts = [re.search(rf"#define\s+CXKIT_VERSION_{p}\s+(\d+)", text).group(1) for p in ("MAJOR", "MINOR", "PATCH")]
    assert cx.__version__ == ".".join(parts)


def test_public_names_are_exported():
    for name in PUBLIC_FUNCTIONS + PUBLIC_CLASSES + ["Error", "InvalidInputError", "InvalidArgumentError",
                                                       "CorruptStateError", "UnsupportedTypeError", "OutOfRangeError",
                                                       "__version__"]:
        assert hasattr(cx, name), name
        assert name in cx.__all__, name
    for name in cx.__all__:
        assert hasattr(cx, name), name


@pytest.mark.parametrize(
    "name, std",
    [
        ("InvalidInputError", ValueError),
        ("InvalidArgumentError", ValueError),
        ("CorruptStateError", ValueError),
        ("UnsupportedTypeError", TypeError),
        ("OutOfRangeError", IndexError),
    ],
)
def test_exception_hierarchy(name, std):
    cls = getattr(cx, name)
    assert issubclass(cls, cx.Error) and issubclass(cls, std)
    assert issubclass(cx.Error, Exception)
    assert cls.__module__ == "cxkit" or cls.__qualname__ == name
    with pytest.raises(cx.Error):
        raise cls("x")


def test_exceptions_raised_by_the_library_are_the_exported_classes():
    with pytest.raises(cx.InvalidInputError):
        cx.nps([11])
    with pytest.raises(cx.InvalidArgumentError):
        cx.nps([1], confidence=2)
    with pytest.raises(cx.UnsupportedTypeError):
        cx.nps(["a"])
    with pytest.raises(cx.CorruptStateError):
        cx.NpsAccumulator.from_bytes(b"")


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_public_functions_take_data_first_and_keyword_only_options(name):
    sig = inspect.signature(getattr(cx, name))
    params = list(sig.parameters.values())
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    assert positional[0] in ("data", "a", "p_values")
    assert len(positional) <= 2
    for p in params:
        if p.name in ("confidence", "method", "by", "weights", "on_invalid", "scale", "satisfied_min", "adjust"):
            assert p.kind == p.KEYWORD_ONLY or name == "adjust_pvalues", (name, p.name)


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS + ["NpsAccumulator", "RatingAccumulator"])
def test_every_public_entry_has_a_docstring_with_an_example(name):
    doc = getattr(cx, name).__doc__ or ""
    assert ">>>" in doc, name


@pytest.mark.parametrize(
    "module", [cxkit, cxkit.survey, cxkit.stats, cxkit.datasets, cxkit._demo_value], ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    """The examples in the docstrings are correct (run them as doctests)."""
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs = {"cx": cx}
    tests = [t for t in finder.find(module, globs=globs) if t.examples]
    assert tests, module.__name__
    report: list[str] = []
    for t in tests:
        runner.run(t, out=report.append)
    failed = runner.summarize(verbose=False).failed
    assert failed == 0, f"{failed} failing docstring example(s):\n" + "".join(report)


@pytest.mark.parametrize("cls", ["NpsAccumulator", "RatingAccumulator"])
def test_accumulator_docstring_examples_run(cls):
    doc = getattr(cx, cls).__doc__
    test = doctest.DocTestParser().get_doctest(doc, {"cx": cx}, cls, None, 0)
    runner = doctest.DocTestRunner()
    runner.run(test, out=lambda s: None)
    assert runner.summarize(verbose=False).failed == 0

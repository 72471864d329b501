"""The two steps of a check apart: run in one process, judge in another, plain data in between;
and a diagnosis that goes by the mistakes' keys, never by their text."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cnnlab
import corpus
import corpus_07
from cnnlab import checks
from cnnlab.checks import CheckFailed, judge, load_results, run, save_results
from cnnlab.checks.core import Failure, judge_quietly

TESTS = Path(__file__).parent


@pytest.fixture(autouse=True)
def english_and_quick(monkeypatch):
    monkeypatch.setenv("CNNLAB_TIME_LIMIT", "2")
    cnnlab.set_language("en")
    yield
    cnnlab.set_language(None)


ANSWERS = [a for fs in corpus.ALL.values() for answers in fs.values() for a in answers]


def answer(function, label):
    return next(a for a in ANSWERS if a.function == function and a.label == label)


# (check, source, names of the student's objects in it, seed, a phrase the verdict must contain)
CASES = [
    ("relu", answer("relu", "np.maximum").source, ["relu"], 7, "all 5 cases passed"),
    ("relu", answer("relu", "absolute value").source, ["relu"], None, "absolute value"),
    ("output_size", answer("output_size", "rounds up").source, ["output_size"], 3, "rounded up"),
    ("output_size", answer("output_size", "raises the wrong error for stride 0").source, ["output_size"], None,
     "raised ZeroDivisionError where it should raise ValueError"),
    ("conv_forward", answer("conv_forward", "four loops with np.pad").source, ["conv_forward"], 11, "cases passed"),
    ("conv_forward", answer("conv_forward", "stride ignored").source, ["conv_forward"], None, "stride is ignored"),
    ("im2col", answer("im2col", "rows ordered (oh, ow, n): the batch loop innermost").source, ["im2col"], None, "rows are ordered"),
    ("im2col", answer("im2col", "zeroes the border of x in place instead of padding").source, ["im2col"], None, "in place"),
    ("softmax", answer("softmax", "no maximum subtracted (overflows)").source, ["softmax"], None, "overflows"),
    ("cross_entropy", answer("cross_entropy", "log10").source, ["cross_entropy"], 5, "log10"),
    ("cross_entropy", answer("cross_entropy", "take_along_axis").source, ["cross_entropy"], 5, "passed"),
    ("affine_backward", answer("affine_backward", "returned as (dw, dx, db)").source, ["affine_backward"], None, "wrong order"),
    ("affine_backward", answer("affine_backward", "dw = x @ dout (x not transposed)").source, ["affine_backward"], 2,
     "dw needs x transposed"),
    ("numerical_gradient", answer("numerical_gradient", "np.ndindex on a float copy, the old value put back").source,
     ["numerical_gradient"], 4, "passed"),
    ("numerical_gradient", answer("numerical_gradient", "x not restored").source, ["numerical_gradient"], None, "put x[i] back"),
    ("evaluate", corpus_07.LOOP_EVALUATE, ["evaluate"], 3, "all cases passed"),
    ("evaluate", corpus_07.UNWEIGHTED_EVALUATE, ["evaluate"], None, "averages the per-batch means"),
    ("convnet", corpus_07.SEQUENTIAL_NET, ["ConvNet"], None, "match centred differences"),
    ("convnet", corpus_07.FLIPPED_SIGN_NET, ["ConvNet"], 2, "gradient sign is flipped"),
]

# Runs in a fresh interpreter: define the student's objects, run the check, write the results.
RUNNER = """
import json, sys
import numpy as np
from cnnlab import checks, nn
name, source, objects, seed, path = json.loads(sys.argv[1])
namespace = {"np": np, "nn": nn}
exec(compile(source, "<student>", "exec"), namespace)
checks.save_results(checks.run(name, *(namespace[o] for o in objects), seed=seed), path)
"""


def define(source, objects):
    from cnnlab import nn

    namespace = {"np": np, "nn": nn}
    exec(compile(source, "<student>", "exec"), namespace)
    return [namespace[o] for o in objects]


def verdict(action):
    try:
        return True, action(), None
    except CheckFailed as failure:
        return False, str(failure), failure.key


@pytest.mark.parametrize("name, source, objects, seed, phrase", CASES,
                         ids=[f"{c[0]}-{'right' if 'passed' in c[4] or 'match' in c[4] else c[4][:24]}" for c in CASES])
def test_run_in_a_subprocess_and_judge_here_gives_the_in_process_verdict(tmp_path, name, source, objects, seed, phrase):
    path = tmp_path / "results.npz"
    subprocess.run([sys.executable, "-c", RUNNER, json.dumps([name, source, objects, seed, str(path)])], check=True,
                   capture_output=True, timeout=300)
    apart = verdict(lambda: judge(load_results(path)))
    together = verdict(lambda: judge(run(name, *define(source, objects), seed=seed)))
    assert apart == together
    assert phrase in apart[1]


def test_the_results_file_holds_plain_data_only(tmp_path):
    relu, = define(answer("relu", "absolute value").source, ["relu"])
    results = run("relu", relu)
    save_results(results, tmp_path / "r.npz")
    with np.load(tmp_path / "r.npz", allow_pickle=False) as data:   # no pickle needed to read any of it
        kinds = {data[name].dtype.kind for name in data.files}
        text = json.loads(str(data["__json__"]))
    assert kinds <= set("biufcU") and text["check"] == "relu" and len(text["steps"]) == 3
    assert text["steps"][0]["value"]["kind"] == "array" and text["steps"][0]["status"] == "returned"

    np.savez(tmp_path / "bad.npz", __json__=np.array(json.dumps(text)), a0=np.array([object()], dtype=object))
    with pytest.raises(ValueError):
        load_results(tmp_path / "bad.npz")


def test_a_truncated_results_file_is_refused_not_passed():
    relu, = define(answer("relu", "np.maximum").source, ["relu"])
    results = run("relu", relu)
    results.steps = results.steps[:1]
    with pytest.raises(ValueError, match="incomplete"):
        judge(results)


def test_every_check_runs_and_judges_by_name():
    assert set(checks.CHECKS) == {n[len("check_"):] for n in checks.__all__ if n.startswith("check_")}
    with pytest.raises(ValueError, match="no check named"):
        run("conv3d", lambda x: x)


# ---------------------------------------------------------------------------------------------
# Mistakes are known by their keys.

# The function checks (01-06); 07's and 08's checks keep their mistakes in their judge steps.
MISTAKE_LISTS = [(c.name, c.cases, c.mistakes) for c in checks.CHECKS.values() if callable(getattr(c, "mistakes", None))]


@pytest.mark.parametrize("name, cases, mistakes", MISTAKE_LISTS, ids=[m[0] for m in MISTAKE_LISTS])
def test_every_mistake_has_a_stable_key_and_one_text_per_key(name, cases, mistakes):
    import re

    texts = {}
    for case in cases(None) + cases(1):
        for m in mistakes(case):
            assert re.fullmatch(r"[a-z][a-z0-9_]*", m.key), m.key
            texts.setdefault((m.part, m.key), set()).add(re.sub(r"[\d.]+", "#", m.en))
    assert texts, f"{name} knows no mistakes"


def renamed(check):
    """The same check with every mistake's text replaced by one and the same sentence."""
    def mistakes(case):
        return [dataclasses.replace(m, ja="同じ文", en="the same sentence for every mistake") for m in check.mistakes(case)]
    return dataclasses.replace(check, mistakes=mistakes)


WRONG = [a for a in ANSWERS if not a.correct]


@pytest.mark.parametrize("a", WRONG, ids=[f"{a.function}-{a.label}" for a in WRONG])
def test_renaming_every_mistake_text_changes_no_diagnosis(a):
    check = checks.CHECKS[a.function]
    fn, = define(a.source, [a.function])
    for seed in (None, 12345):
        results = run(a.function, fn, seed=seed)
        original = verdict(lambda: judge(results))
        try:
            judge_quietly(renamed(check), results)
            key, text = None, ""
        except Failure as failure:
            key, text = failure.key, str(failure)
        assert not original[0] and key == original[2]
        if key is not None:   # the named mistake's text is the renamed one
            assert "the same sentence for every mistake" in text

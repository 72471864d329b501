"""A check of one student function on a ladder of cases: the data of a check and its two steps.

``run`` calls the function on every case and keeps plain outcomes; ``judge`` compares them with
the reference answers and names the mistake. Every case runs before the verdict, so the
diagnosis can use all the wrong answers; the message shows the first one.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..language import tr
from .calling import TERMINAL, Results, call, lost_parameters, missing_keywords
from .convert import dtype_of, show, to_array, to_parts
from .core import Failure, time_limit
from .judging import call_failure, close, explain


@dataclass(frozen=True)
class FunctionCheck:
    """``cases(seed)`` the inputs, ``expected(case)`` the answer (a tuple for ``parts``),
    ``mistakes(case)`` the known wrong answers. The rest is optional:

    keywords: parameters the check passes by name (the stub's signature must keep them);
    convert: (label, case, plain value) -> float64 array; close: (got, expected) -> bool;
    accept: (case, part index, got) -> True for another right answer (max pooling's ties);
    hint: (case, outcome) -> text added to a failed call's message, keyed on ``outcome.kind``;
    keep_going: after the student's exception, run on (a later case may name the mistake);
    raising: seed -> cases on which the function must raise ValueError, and raising_hint: (ja, en)
    when it does not;
    default_hint: () -> the hint when no known mistake explains a wrong answer;
    footer: () -> text added to every failure; strict: refuse calls into cnnlab and changed inputs;
    input_rtol: how far an input may move and count as unchanged (values put back by arithmetic);
    observe: case -> plain facts the run step records after the call.
    """

    name: str
    doc: str
    cases: Callable
    expected: Callable
    mistakes: Callable
    keywords: tuple = ()
    convert: Callable = to_array
    parts: tuple | None = None
    close: Callable = close
    accept: Callable | None = None
    hint: Callable | None = None
    keep_going: bool = False
    raising: Callable | None = None
    raising_hint: tuple = ("", "")
    default_hint: Callable | None = None
    footer: Callable | None = None
    strict: bool = True
    input_rtol: float = 0.0
    observe: Callable | None = None

    @property
    def params(self):
        return (self.name,)

    def all_cases(self, seed):
        return self.cases(seed) + (self.raising(seed) if self.raising else [])

    # -- run: the student's process ------------------------------------------------------------

    def run(self, fn, seed=None):
        missing = missing_keywords(fn, self.name, self.keywords)
        results = Results(self.name, seed, facts={"missing": missing})
        if missing:
            return results
        limit = time_limit()
        for case in self.all_cases(seed):
            outcome, _ = call(self.name, fn, case.args, case.kwargs, limit=limit,
                              refuse_cnnlab=self.strict, guard_inputs=self.strict, input_rtol=self.input_rtol)
            if self.observe:
                outcome.seen = self.observe(case)
            results.steps.append(outcome)
            if outcome.status in TERMINAL:
                break
        return results

    # -- judge: anywhere -----------------------------------------------------------------------

    def judge(self, results):
        if results.facts["missing"]:
            raise lost_parameters(self.name, results.facts["missing"])
        cases, raising = self.cases(results.seed), (self.raising(results.seed) if self.raising else [])
        outcomes = results.steps
        if len(outcomes) < len(cases) + len(raising) and (not outcomes or outcomes[-1].status not in TERMINAL):
            raise ValueError(f"incomplete results for {self.name}: {len(outcomes)} of {len(cases) + len(raising)} cases")
        try:
            self._judge_answers(cases, outcomes[:len(cases)])
            self._judge_raising(raising, outcomes[len(cases):])
        except Failure as failure:
            if self.footer:
                raise Failure(f"{failure}\n  {self.footer()}", failure.key) from None
            raise
        return tr(ja=f"✓ {self.name}: {len(cases)} ケースすべて正解です。", en=f"✓ {self.name}: all {len(cases)} cases passed.")

    def _part_label(self, part):
        return tr(ja=f"{self.name} の {part}", en=f"{part} of {self.name}")

    def _convert(self, case, value):
        """[(float64 array, dtype)]: one for a single array, one per part for a tuple."""
        if self.parts is None:
            return [(self.convert(self.name, case, value), dtype_of(value))]
        return to_parts(self.name, case, value, self.parts, self._part_label)

    def _judge_answers(self, cases, outcomes):
        labels = [self.name] if self.parts is None else [self._part_label(p) for p in self.parts]
        wrong = [[] for _ in labels]   # per part: (case index, case, got, expected)
        dtypes = [None] * len(labels)
        raised = []                    # (case index, message) of the student's exceptions
        for k, (case, outcome) in enumerate(zip(cases, outcomes)):
            if outcome.status != "returned":
                message = call_failure(self.name, outcome, case) + (self.hint(case, outcome) if self.hint else "")
                if self.keep_going and outcome.status == "raised":
                    raised.append((k, message))
                    continue
                if raised or any(wrong):
                    break  # the earlier wrong answer is the more useful thing to explain
                raise Failure(message)
            got = self._convert(case, outcome.value)
            want = self.expected(case)
            want = [np.asarray(w, dtype=np.float64) for w in ([want] if self.parts is None else want)]
            good = [self.close(g, w) or (self.accept is not None and self.accept(case, i, g))
                    for i, ((g, _), w) in enumerate(zip(got, want))]
            if self.parts is not None and not all(good):
                self._wrong_order([g for g, _ in got], want)
            for i, ok in enumerate(good):
                if not ok:
                    dtypes[i] = dtypes[i] if wrong[i] else got[i][1]
                    wrong[i].append((k, case, got[i][0], want[i]))
        if not raised and not any(wrong):
            return
        found = []  # (first case index, full message, short message, mistake key)
        if raised:
            k, message = raised[0]
            found.append((k, message, message.split("\n")[0], None))
        for i, part_cases in enumerate(wrong):
            if part_cases:
                part = None if self.parts is None else self.parts[i]
                mistakes = self.mistakes if part is None else (lambda c, p=part: [m for m in self.mistakes(c) if m.part == p])
                message, mistake = explain(labels[i], [(c, g, w) for _, c, g, w in part_cases], dtypes[i], mistakes,
                                           self.default_hint)
                short = tr(ja=f"{labels[i]} も違います", en=f"{labels[i]} is wrong too") + (f": {mistake.text()}" if mistake else ".")
                found.append((part_cases[0][0], message, short, mistake and mistake.key))
        found.sort(key=lambda f: f[0])
        also = [tr(ja="ほかにも: ", en="Also: ") + short for _, _, short, _ in found[1:]]
        raise Failure("\n  ".join([found[0][1]] + also), key=found[0][3])

    def _wrong_order(self, got, want):
        import itertools

        for order in itertools.permutations(range(len(self.parts))):
            if list(order) != list(range(len(self.parts))) and all(self.close(got[o], w) for o, w in zip(order, want)):
                names = ", ".join(self.parts)
                raise Failure(tr(ja=f"{self.name} の戻り値の順番が違います: ({names}) の順に返してください。",
                                 en=f"{self.name} returns its arrays in the wrong order: return ({names})."))

    def _judge_raising(self, cases, outcomes):
        for case, outcome in zip(cases, outcomes):
            if outcome.status == "raised" and "ValueError" in outcome.error["mro"]:
                continue
            if outcome.status == "raised":
                kind = outcome.error["type"]
                raise Failure(tr(
                    ja=f"{self.name} は ValueError を出すべきところで {kind} を出しました（{case.describe()}）。自分で確かめて raise ValueError(\"...\") と書いてください。",
                    en=f"{self.name} raised {kind} where it should raise ValueError ({case.describe()}). Check the input yourself and `raise ValueError(\"...\")`."))
            if outcome.status != "returned":
                raise Failure(call_failure(self.name, outcome, case))
            raise Failure(tr(
                ja=f"{self.name} は ValueError を出すべきです: {case.describe()}。あなたの関数は {show(outcome.value)} を返しました。{self.raising_hint[0]}",
                en=f"{self.name} should raise ValueError: {case.describe()}. Yours returned {show(outcome.value)}. {self.raising_hint[1]}").rstrip())

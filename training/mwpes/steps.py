"""Steps of any math solution, numbered as the solution numbers them, with the equations and numbers of each.

A solution is split by the first layout that fits:

- ``Step k:`` prefixes (MR-GSM8K, PRM800K style): step ``k`` is the text after its prefix (continuation lines join it);
- several lines (GSM8K, EIC): each non-empty line is a step, numbered from 1;
- one paragraph: its sentences;
- program-of-thought code (every step parses as Python): each statement is a step, and
  :func:`knowbench.training.mwpes.program.run_program` gives the value each one assigns.

Equations come from ``<<a*b=c>>`` calculator notes and from written chains such as ``6 x $4 = $24`` or
``30 minutes * (1 hour/60 minutes) = 0.5 hours`` (units and currency stripped); a LaTeX ``\\boxed{}`` or ``####``
line is the final answer.

Example:
    >>> steps = split_steps("Step 1: 4 x 2 = 8 pounds a day.\\nStep 2: #### 8")
    >>> [(s.number, s.kind) for s in steps], steps[0].equations[0].stated, steps[0].equations[0].computed
    ([(1, 'text'), (2, 'answer')], 8.0, 8.0)
"""

from __future__ import annotations

import ast
import itertools
import math
import operator
import re
import warnings
from collections.abc import Collection
from dataclasses import dataclass, field, replace

_STEP_PREFIX = re.compile(r"^\s*(?:#+\s*)?Step\s*(\d+)\s*[:.)]\s?", re.I | re.M)
_CALC = re.compile(r"<<([^<>]*)>>")
_NUM = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d*\.\d+|\d+)(?:\.\d+)?")
_ANSWER = re.compile(r"(?:####|\\boxed\{|\bthe (?:final )?answer is\b|^\s*A:)", re.I)
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z$])")


@dataclass(frozen=True)
class Equation:
    """One stated equality: ``expression`` (normalised arithmetic), the value ``stated`` on its right-hand side,
    and the value ``computed`` from the expression (``None`` when it cannot be evaluated)."""

    expression: str
    stated: float | None
    computed: float | None
    text: str
    variables: tuple[str, ...] = ()

    @property
    def operands(self) -> list[float]:
        found = re.findall(r"(?:(?<=^)|(?<=[-+*/(]))-?(?:\d*\.\d+|\d+)|(?:\d*\.\d+|\d+)", self.expression)
        return [v for v in (to_number(n) for n in found) if v is not None]

    @property
    def operators(self) -> str:
        """The arithmetic operators in order (a leading minus sign is not one; a power is ``^``).

        Example:
            >>> Equation("20**2-4*(3+1)", 384.0, 384.0, "").operators
            '^-*+'
        """
        found = re.findall(r"(?<=[\d)\w])\s*(\*\*|[-+*/])", self.expression)
        return "".join("^" if op == "**" else op for op in found)


@dataclass(frozen=True)
class Step:
    """One step: its own ``number``, ``text`` (prefix removed), ``kind`` (``text``, ``code`` or ``answer``), its
    equations, the numbers it mentions, and ``values`` (what a code step assigns, from running the program)."""

    number: int
    text: str
    kind: str = "text"
    equations: tuple[Equation, ...] = ()
    numbers: tuple[float, ...] = ()
    values: tuple[float, ...] = field(default=())

    @property
    def results(self) -> list[float]:
        """The values this step produces: stated equation results, else what its code assigns."""
        out = [e.stated for e in self.equations if e.stated is not None]
        return out or list(self.values)


def to_number(text: str) -> float | None:
    """``"1,000"`` -> 1000.0, ``"$2.50"`` -> 2.5; ``None`` when not a number."""
    try:
        value = float(text.replace(",", "").replace("$", "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_quietly(source: str, mode: str = "exec") -> ast.AST | None:
    """``source`` parsed, or ``None`` when it is no Python ("2x" is a SyntaxWarning before it is a SyntaxError, so
    warnings are silenced).

    Example:
        >>> type(parse_quietly("3*(4+1)", "eval")).__name__, parse_quietly("3 x 4")
        ('Expression', None)
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            return ast.parse(source, mode=mode)
    except SyntaxError:
        return None


def safe_eval(expression: str, variables: dict[str, float] | None = None) -> float | None:
    """Evaluate arithmetic (numbers, names given in ``variables``, ``+ - * / ** // %``, parentheses), no ``eval``.

    Example:
        >>> safe_eval("44+9*X", {"X": 6}), safe_eval("2/0")
        (98.0, None)
    """
    variables = variables or {}

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.Name) and node.id in variables:
            return float(variables[node.id])
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > 64:
                raise ValueError("exponent too large")
            return float(_OPS[type(node.op)](left, right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        raise ValueError("unsupported")

    tree = parse_quietly(expression.strip(), "eval")
    if tree is None:
        return None
    try:
        value = walk(tree)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError, RecursionError, MemoryError):
        return None
    return value if math.isfinite(value) else None


def normalise_expression(text: str, variables: Collection[str] = ()) -> str:
    """Written arithmetic -> Python arithmetic: units, ``$``, thousands commas and words go; ``x``/``×`` between
    numbers, ``÷``, ``^``, ``%`` and implicit products (``9X``, ``2(3)``) are rewritten.

    Example:
        >>> normalise_expression("30 minutes * (1 hour/60 minutes)"), normalise_expression("26 days * $10/day")
        ('30*(1/60)', '26*10')
        >>> normalise_expression("\\\\frac{3}{4} \\\\times 8"), normalise_expression("44+9X", "X")
        ('(3)/(4)*8', '44+9*X')
    """
    text = re.sub(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}", r"(\1)/(\2)", text)
    text = text.replace("\\times", "*").replace("\\cdot", "*").replace("\\div", "/").replace("÷", "/")
    text = text.replace("×", "*").replace("−", "-").replace("–", "-").replace("^", "**").replace("$", "")
    text = re.sub(r"\\[a-zA-Z]+", " ", text).replace("{", "(").replace("}", ")")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"(?<=[\d)])\s*[xX]\s*(?=[\d($]|\.\d)", "*", text)  # "60 x .2"
    if "x" not in variables and "X" not in variables:  # "1.5 hours x 3 days", "11 balloons/minute x 30 minutes"
        text = re.sub(r"(?<=[\d)])((?:[\s/]*[A-Za-z][A-Za-z'/]*){1,3})\s+[xX]\s+(?=\$?\d)", r"\1 * ", text)
    text = re.sub(r"/\s*(?:[A-Za-z][A-Za-z']*\s*)+(?=$|[^\w(])",  # "$10/day": a rate's unit, "365/x" a division
                  lambda m: m.group(0) if m.group(0).strip("/ ") in variables else " ", text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*%", lambda m: f" {float(m.group(1)) / 100!r} ", text)
    text = re.sub(r"(?<![A-Za-z])([A-Za-z])\s*%", lambda m: f"({m.group(1)}/100)" if m.group(1) in variables
                  else m.group(0), text)  # "x% of $300": the unknown as a percentage
    text = re.sub(r"(?<=\d)-(?=[A-Za-z]{2})", " ", text)  # "25-inch", "2-legged": a number used as an adjective
    text = re.sub(r"[A-Za-z][A-Za-z']+", " ", text)  # words and units
    text = re.sub(r"(?<![A-Za-z])[A-Za-z](?![A-Za-z])", lambda m: _letter(m, variables), text)
    text = re.sub(r"\.(?!\d)", " ", text)  # a full stop, not a decimal point
    text = re.sub(r"(?<=[\d)A-Za-z.])\s+(?=[\d(A-Za-z.])", "|", text)  # numbers side by side: separate clauses
    text = re.sub(r"(?<=[\d)])\s*(?=[A-Za-z(])", "*", text)
    text = re.sub(r"(?<=[A-Za-z)])\s*(?=[\d(])", "*", text)
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"[^\d.+\-*/()A-Za-z|]", "", text).rsplit("|", 1)[-1]
    return re.sub(r"\*\*+(?!\d|\()", "", text).strip("*/+")


def _letter(match: re.Match[str], variables: Collection[str]) -> str:
    """Keep a single letter that is an unknown (``9x``, ``k =``); drop articles and stray letters."""
    letter, text, start, end = match.group(0), match.string, match.start(), match.end()
    if letter in variables:
        return letter
    near = text[max(0, start - 2):start] + text[end:end + 2]
    return letter if letter not in "aAI" and re.search(r"[-+*/=\d]", near) else " "


_EXPRESSION_TAIL = re.compile(r"[-+*/()\d.\sA-Za-z]*[\d)]\s*$")


def _expression_before(text: str, variables: Collection[str] = ()) -> str:
    """The arithmetic at the end of ``text`` (the left side of an ``=``)."""
    parts = re.split(r"[:;,?!]\s|\.\s+(?=[A-Z])|\b(?:is|are|was|were|be|so|then|gives|makes|means|of)\b", text)
    clause = parts.pop()
    # "$30 / 3 hours of dog walking", "2 packs of blue shirts * 4": the arithmetic goes on across an "of"
    while parts and (not re.search(r"\d", clause) or re.match(r"\s*(?:[A-Za-z]{2,}\s+)*[-+*/×÷]", clause)):
        clause = f"{parts.pop()} {clause}"
    expression = normalise_expression(clause, variables)
    match = re.search(r"[-+(\d.A-Za-z][-+*/()\d.A-Za-z]*$", expression)
    return _balanced(match.group(0)) if match else ""


def _balanced(expression: str) -> str:
    """Drop the parentheses of the surrounding prose: ``(100-20`` of "(since 100 - 20 = 80" -> ``100-20``."""
    while expression.startswith("(") and expression.count("(") > expression.count(")"):
        expression = expression[1:]
    while expression.endswith("(") or (expression.endswith(")") and expression.count(")") > expression.count("(")):
        expression = expression[:-1].rstrip("*/+-")
    return expression


_LEADING = re.compile(r"^\s*-?\s*\$?\s*-?(?:[\d(]|[A-Za-z](?![A-Za-z]))[\d$.,()\s+\-*/x×÷%^]*(?:[A-Za-z](?![A-Za-z]))?"
                      r"[\d$.,()\s+\-*/x×÷%^]*")


def _expression_after(text: str, variables: Collection[str] = ()) -> str:
    """The arithmetic at the start of ``text`` (the right side of an ``=``): ``" $24 for ..."`` -> ``"24"``."""
    match = _LEADING.match(text)
    if not match or not match.group(0).strip():
        return ""
    # "= 10 5 minute increments": the value ends where a number follows it after a space only
    value = re.split(r"(?<=\d)\s+(?=\d)", match.group(0), maxsplit=1)[0]
    return _balanced(normalise_expression(value.rstrip(" .,("), variables).strip("*/+"))


_CURRENCY = re.compile(r"[€£¥₹]")
#: arithmetic written in words between two numbers
_WORD_OPERATORS = [(re.compile(rf"(?<=\d)\s+(?:{words})\s+(?=\$?-?\d)", re.I), f" {symbol} ") for words, symbol in (
    (r"divided\s+by", "/"), (r"times|multiplied\s+by", "*"), (r"plus", "+"), (r"minus", "-"),
    (r"equals?|is\s+equal\s+to", "="))]


#: an operator with no operand on one side, where a quantity named in words stood ("(Bo's apples + 5)")
_DANGLING = re.compile(r"\([+*/]|[-+*/]\)")


def _variables(expression: str) -> tuple[str, ...]:
    return tuple(sorted(set(re.findall(r"[A-Za-z]", expression))))


def equations(text: str, unknowns: dict[str, float] | None = None) -> tuple[Equation, ...]:
    """Every equality stated in ``text``: calculator notes first, then written ``expression = value`` chains.

    ``unknowns`` gives values to single-letter unknowns (the question's ``x``), so ``9x = 54`` can be checked.

    Example:
        >>> [(e.expression, e.stated, e.computed) for e in equations("He earns $6 x 4 = $23 for the skirts.")]
        [('6*4', 23.0, 24.0)]
    """
    unknowns = unknowns or {}
    text = _CURRENCY.sub("$", text)  # "€25", "£8" are read as "$25", "$8"
    for pattern, symbol in _WORD_OPERATORS:  # "693 divided by 7 equals 99"
        text = pattern.sub(symbol, text)
    found: list[Equation] = []
    for body in _CALC.findall(text):
        parts = body.split("=")
        for left, right in itertools.pairwise(parts):
            found.append(_equation(normalise_expression(left, unknowns), normalise_expression(right, unknowns), body,
                                   unknowns))
    pieces = _CALC.sub(" ", text).split("=")
    for index in range(1, len(pieces)):
        left = _expression_before(pieces[index - 1], unknowns)
        right = _expression_after(pieces[index], unknowns)
        if not left or not right or _DANGLING.search(left):
            continue
        if not re.search(r"[-+*/A-Za-z]", left.lstrip("-")):  # "= 24" restating a number is no arithmetic ...
            if not set(_variables(right)) & set(unknowns):
                continue
            left, right = right, left  # ... but "$115 = $85 + x" is an equation in the unknown, read right to left
        if any(e.expression == left for e in found):
            continue
        found.append(_equation(left, right, pieces[index - 1][-60:] + "=" + pieces[index][:40], unknowns))
    for letter, value in _STATED_UNKNOWN.findall(plain := _CALC.sub(" ", text)):
        if letter in unknowns and not any(e.expression == letter for e in found):
            found.append(_equation(letter, normalise_expression(value), plain.strip()[:80], unknowns))
    return tuple(e for e in found if e.expression)


def unknown_expressions(text: str, unknowns: Collection[str]) -> tuple[str, ...]:
    """The arithmetic in ``text`` that involves an unknown (``12 * x``, ``x + 1 + 1 = x + 2``: both sides), normalised.

    Example:
        >>> unknown_expressions("So, the total is x + 1 + 1 = x + 2 books.", {"x"})
        ('x+1+1', 'x+2')
    """
    if not unknowns:
        return ()
    out: list[str] = []
    for piece in _CALC.sub(" ", text).split("="):
        for found in (_expression_before(piece, unknowns), _expression_after(piece, unknowns)):
            if found and found not in out and set(_variables(found)) & set(unknowns) and \
                    re.search(r"[-+*/]", found.lstrip("-")):
                out.append(found)
    return tuple(out)


#: "the value of x is 5", "x is 5": a statement of the unknown's value
_STATED_UNKNOWN = re.compile(r"(?<![A-Za-z'])([A-Za-z])'?\s+(?:is|equals|must be|should be)\s+(\$?-?\d[\d,]*(?:\.\d+)?)(?!\s*[-+*/x×%\d])")


def _equation(left: str, right: str, text: str, unknowns: dict[str, float]) -> Equation:
    names = _variables(left + right)
    values = {n: unknowns[n] for n in names if n in unknowns}
    if names and len(values) != len(names):
        return Equation(left, None, None, text.strip(), names)
    stated, computed = safe_eval(right, values), safe_eval(left, values)
    if stated is not None and computed is not None and re.search(r"=\s*\$?-?[\d.,]+\s*%", text) and \
            math.isclose(computed, stated * 100, rel_tol=1e-3):
        stated *= 100  # "2/8*100 = 25%": the left side already counts in percent
    return Equation(left, stated, computed, text.strip(), names)


def numbers_in(text: str) -> tuple[float, ...]:
    """The numbers a text mentions (calculator notes and ``Step k`` prefixes excluded; ``50%`` is 0.5 and 50)."""
    text = _CALC.sub(" ", text)
    out = []
    for match in re.finditer(r"(?<![\w.])\$?(-?(?:\d{1,3}(?:,\d{3})+|\d*\.\d+|\d+)(?:\.\d+)?)(\s*%)?", text):
        value = to_number(match.group(1))
        if value is None:
            continue
        out.append(value)
        if match.group(2):
            out.append(value / 100)
    return tuple(out)


def is_answer_line(text: str) -> bool:
    """A line that only states the final answer (``#### 18``, ``The answer is: 18``, ``\\boxed{18}``)."""
    return bool(_ANSWER.search(text)) and len(re.sub(r"[^A-Za-z]", "", _ANSWER.sub("", text))) < 40


def looks_like_code(lines: list[str]) -> bool:
    """Program-of-thought: every line parses as Python and at least one assigns or prints."""
    body = [line for line in lines if line.strip() and not line.strip().startswith("#")]
    if not body:
        return False
    tree = parse_quietly("\n".join(line.rstrip() for line in _dedent(body)))
    return tree is not None and any(isinstance(node, ast.Assign | ast.AugAssign | ast.FunctionDef) for node in ast.walk(tree))


def _dedent(lines: list[str]) -> list[str]:
    import textwrap

    return textwrap.dedent("\n".join(lines)).split("\n")


def raw_steps(solution: str, keep_indent: bool = False) -> list[tuple[int, str]]:
    """``(number, text)`` pairs in the solution's own numbering (see the module docstring); ``keep_indent`` keeps
    each step's leading spaces (the block structure of code), less the indentation all steps share."""
    text = solution.replace("\r\n", "\n").strip()
    trim = (lambda t: t.strip("\n").rstrip()) if keep_indent else str.strip
    prefixes = list(_STEP_PREFIX.finditer(text))
    if (prefixes and prefixes[0].start() == 0) or len(prefixes) >= 2:
        out = []
        for index, match in enumerate(prefixes):
            end = prefixes[index + 1].start() if index + 1 < len(prefixes) else len(text)
            out.append((int(match.group(1)), trim(text[match.end():end])))
        return _shared_indent_removed(out) if keep_indent else out
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) > 1:
        out = list(enumerate((trim(line) for line in lines), start=1))
        return _shared_indent_removed(out) if keep_indent else out
    sentences = [s.strip() for s in _SENTENCE.split(text) if s.strip()]
    return list(enumerate(sentences, start=1))


def _shared_indent_removed(pieces: list[tuple[int, str]]) -> list[tuple[int, str]]:
    lines = [line for _, t in pieces for line in t.split("\n") if line.strip()]
    shared = min((len(line) - len(line.lstrip(" ")) for line in lines), default=0)
    return [(n, "\n".join(line[shared:] for line in t.split("\n"))) for n, t in pieces]


def split_steps(solution: str, unknowns: dict[str, float] | None = None, run_code: bool = True) -> list[Step]:
    """The steps of ``solution`` with equations and numbers; code steps get the values their statements assign.

    ``run_code`` runs program-of-thought solutions in the sandbox (:mod:`knowbench.training.mwpes.program`).
    """
    pieces = raw_steps(solution)
    code = pieces if len(pieces) >= 2 and looks_like_code([t for _, t in pieces]) else None
    if code is None and len(pieces) >= 2 and any(t.rstrip().endswith(":") for _, t in pieces):
        indented = raw_steps(solution, keep_indent=True)  # a block (def, for, if) needs its body's indentation
        code = indented if looks_like_code([t for _, t in indented]) else None
    if code is not None:
        values: dict[int, tuple[float, ...]] = {}
        if run_code:
            from knowbench.training.mwpes.program import run_program

            values = run_program(code)
        return [Step(n, t, "code", (), numbers_in(t.split("#")[0]), values.get(n, ())) for n, t in pieces]
    steps = []
    for number, text in pieces:
        kind = "answer" if is_answer_line(text) else "text"
        steps.append(Step(number, text, kind, equations(text, unknowns), numbers_in(text)))
    # "the answer is 11, so 24 - X = 11" in the middle of a solution states a given, not the final answer
    last_work = max((i for i, s in enumerate(steps) if s.kind == "text" and s.numbers), default=-1)
    return [replace(s, kind="text") if s.kind == "answer" and i < last_work else s for i, s in enumerate(steps)]

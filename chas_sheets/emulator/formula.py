"""A very small formula evaluator: enough for `=1+1`, `=4/2`, `=+4670...`, `=HYPERLINK(u, x)`.

It is not a spreadsheet engine: anything else evaluates to Google's `#ERROR!`/`#NAME?`
error values, so a client sees that a formula was stored, never a wrong number.
"""

from __future__ import annotations

import ast
import operator
from typing import Callable

Lookup = Callable[[str], object]

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}


class FormulaError(Exception):
    "A formula this evaluator cannot compute; carries Google's error value."

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def _function(name: str, args: list) -> object:
    if name == "HYPERLINK" and 1 <= len(args) <= 2:
        return args[-1]
    if name in ("SUM", "MAX", "MIN") and args:
        numbers = [a for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
        return {"SUM": sum, "MAX": max, "MIN": min}[name](numbers or [0])
    if name == "CONCATENATE":
        return "".join(str(a) for a in args)
    raise FormulaError("NAME", f"Unknown function: '{name.lower()}'.")


def _eval(node: ast.AST, lookup: Lookup) -> object:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left, lookup), _eval(node.right, lookup)
        if not all(isinstance(v, (int, float)) for v in (left, right)):
            raise FormulaError("VALUE", "Function expects number values.")
        try:
            return _BINARY[type(node.op)](left, right)
        except ZeroDivisionError:
            raise FormulaError("DIVIDE_BY_ZERO", "Function DIVIDE parameter 2 cannot be zero.")
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        value = _eval(node.operand, lookup)
        if not isinstance(value, (int, float)):
            raise FormulaError("VALUE", "Function expects number values.")
        return _UNARY[type(node.op)](value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        return _function(node.func.id.upper(), [_eval(a, lookup) for a in node.args])
    if isinstance(node, ast.Name):
        return lookup(node.id)
    raise FormulaError("ERROR", "Formula parse error.")


def evaluate(formula: str, lookup: Lookup) -> object:
    """`=...` -> a number or string; raises FormulaError with Google's error kind."""
    text = formula[1:].strip().replace("^", "**")
    if not text:
        raise FormulaError("ERROR", "Formula parse error.")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise FormulaError("ERROR", "Formula parse error.")
    return _eval(tree.body, lookup)


ERROR_TEXT = {
    "ERROR": "#ERROR!",
    "NAME": "#NAME?",
    "VALUE": "#VALUE!",
    "DIVIDE_BY_ZERO": "#DIV/0!",
    "REF": "#REF!",
}

"""T21: secrets, signatures and tokens are never compared with == or != in our code.

A lint over the AST of every application module (tests excluded): any `==`/`!=`
with an operand named like *signature*, *secret*, *token*, *api_key* or *key_hash*
fails the build. Such comparisons go through hmac.compare_digest.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SENSITIVE = re.compile(r"signature|secret|token|api_key|key_hash|digest", re.IGNORECASE)
SKIP_DIRS = {".venv", "tests", "migrations", "var", "node_modules", "__pycache__"}


def _name_of(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    if isinstance(node, ast.Call):
        return _name_of(node.func)
    return ""


def _is_public_constant(node: ast.AST) -> bool:
    """None, a bool, a number (`len(x) == 0`) or a class constant (`Kind.SECRET`)."""
    if isinstance(node, ast.Constant):
        return not isinstance(node.value, str | bytes)
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id[:1].isupper()
    )


def sensitive_comparisons(source: str, filename: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
            if not isinstance(op, ast.Eq | ast.NotEq):
                continue
            if _is_public_constant(left) or _is_public_constant(right):
                continue
            if SENSITIVE.search(_name_of(left)) or SENSITIVE.search(_name_of(right)):
                found.append(f"{filename}:{node.lineno}")
    return found


def application_modules():
    for path in ROOT.rglob("*.py"):
        if not SKIP_DIRS.intersection(path.relative_to(ROOT).parts):
            yield path


def test_the_lint_catches_what_it_should():
    bad = "ok = signature == expected\nx = request.api_key != key\ny = d['secret'] == s"
    fine = "ok = hmac.compare_digest(signature, expected)\nz = secret is None\nn = len(token) == 0"

    assert len(sensitive_comparisons(bad, "bad.py")) == 3
    assert sensitive_comparisons(fine, "fine.py") == []


def test_no_sensitive_value_is_compared_with_equality():
    offenders = [
        hit
        for path in application_modules()
        for hit in sensitive_comparisons(path.read_text(), str(path.relative_to(ROOT)))
    ]

    assert offenders == []

"""Metric names a PromQL expression reads, found by a real PromQL parser (promql-parser)."""

from __future__ import annotations

from typing import Any

import promql_parser


def metric_names(expr: str) -> set[str]:
    """Every metric name selected anywhere in ``expr`` (raises ValueError if it does not parse)."""
    return {name for name, _ in selectors(expr)}


def selectors(expr: str) -> list[tuple[str, frozenset[str]]]:
    """(metric name, label names it matches on) of every series selector in ``expr``."""
    found: list[tuple[str, frozenset[str]]] = []
    _walk(promql_parser.parse(expr), found)
    return found


def _walk(node: Any, names: list[tuple[str, frozenset[str]]]) -> None:
    if isinstance(node, promql_parser.VectorSelector):
        matchers = node.matchers.matchers
        name = node.name or next((m.value for m in matchers if m.name == "__name__"), None)
        if not name:
            raise ValueError("a selector without a metric name")
        names.append((name, frozenset(m.name for m in matchers if m.name != "__name__")))
    elif isinstance(node, promql_parser.MatrixSelector):
        _walk(node.vector_selector, names)
    elif isinstance(node, promql_parser.BinaryExpr):
        _walk(node.lhs, names)
        _walk(node.rhs, names)
    elif isinstance(node, promql_parser.AggregateExpr):
        _walk(node.expr, names)
        if node.param is not None:
            _walk(node.param, names)
    elif isinstance(node, promql_parser.Call):
        for arg in node.args:
            _walk(arg, names)
    elif isinstance(node, promql_parser.ParenExpr | promql_parser.UnaryExpr
                    | promql_parser.SubqueryExpr):
        _walk(node.expr, names)
    elif not isinstance(node, promql_parser.NumberLiteral | promql_parser.StringLiteral):
        raise TypeError(f"unknown PromQL node {type(node).__name__}")

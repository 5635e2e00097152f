"""Metric names a PromQL expression reads, found by a real PromQL parser (promql-parser)."""

from __future__ import annotations

from typing import Any

import promql_parser


def metric_names(expr: str) -> set[str]:
    """Every metric name selected anywhere in ``expr`` (raises ValueError if it does not parse)."""
    names: set[str] = set()
    _walk(promql_parser.parse(expr), names)
    return names


def _walk(node: Any, names: set[str]) -> None:
    if isinstance(node, promql_parser.VectorSelector):
        if node.name:
            names.add(node.name)
        for matcher in node.matchers.matchers:
            if matcher.name == "__name__":
                names.add(matcher.value)
        if not node.name and not any(m.name == "__name__" for m in node.matchers.matchers):
            raise ValueError("a selector without a metric name")
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

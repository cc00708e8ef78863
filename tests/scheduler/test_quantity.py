"""Kubernetes quantities, as apimachinery parses and rounds them."""

from __future__ import annotations

from fractions import Fraction

import pytest

from pytest_simkube.kube.quantity import (
    QuantityError,
    format_bytes,
    format_cpu_millis,
    parse_quantity,
    quantity_milli_value,
    quantity_value,
)


@pytest.mark.parametrize(("text", "exact"), [
    ("100m", Fraction(1, 10)), ("1", Fraction(1)), ("1.5", Fraction(3, 2)), ("1Ki", Fraction(1024)),
    ("1Gi", Fraction(2**30)), ("2M", Fraction(2_000_000)), ("1e3", Fraction(1000)), ("5E-1", Fraction(1, 2)),
    ("+.5", Fraction(1, 2)), ("-1m", Fraction(-1, 1000)), ("3n", Fraction(3, 10**9)), (7, Fraction(7)),
    (0.25, Fraction(1, 4)),
])
def test_parse_quantity_exact(text, exact):
    assert parse_quantity(text) == exact


def test_value_and_milli_value_round_up():
    assert quantity_milli_value("1.5m") == 2
    assert quantity_milli_value("0.1") == 100
    assert quantity_value("1.2") == 2
    assert quantity_value("133500928Ki") == 133500928 * 1024


@pytest.mark.parametrize("bad", ["", "abc", "1.2.3", "5Qi", "1 Gi", True, None, float("inf")])
def test_rejects_non_quantities(bad):
    with pytest.raises(QuantityError):
        parse_quantity(bad)


def test_formatting():
    assert format_cpu_millis(2000) == "2"
    assert format_cpu_millis(250) == "250m"
    assert format_bytes(512 * 2**20) == "512Mi"
    assert format_bytes(1000) == "1000"

"""The shared argument checks: integers and numbers with bounds, named in the message."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_np._validation import check_int, check_number


@pytest.mark.parametrize("value", [0, 3, np.int64(2)])
def test_check_int_returns_a_plain_int(value):
    result = check_int("Owner", "count", value)
    assert result == value and type(result) is int


@pytest.mark.parametrize(
    ("value", "low", "expected"),
    [
        (-1, 0, "an int >= 0, got -1"),
        (0, 1, "a positive int, got 0"),
        (True, 0, "an int >= 0, got True"),
        (2.0, 0, "an int >= 0, got 2.0"),
        ("3", 1, "a positive int, got '3'"),
        (4, 5, "an int >= 5, got 4"),
    ],
)
def test_check_int_names_owner_argument_bound_and_value(value, low, expected):
    with pytest.raises(ValueError) as error:
        check_int("Owner", "count", value, low=low)
    assert str(error.value) == f"Owner: expected count to be {expected}"


def test_check_number_states_the_interval():
    assert check_number("Owner", "p", 1, low=0.0, high=1.0) == 1.0
    with pytest.raises(ValueError, match=r"Owner: expected p in \(0.0, 1.0\], got 0"):
        check_number("Owner", "p", 0, low=0.0, high=1.0, low_inclusive=False)
    with pytest.raises(TypeError, match="Owner: expected p to be a number, got True"):
        check_number("Owner", "p", True)

"""Sample tests for minitest."""


def test_addition() -> None:
    assert 1 + 1 == 2


def test_division_fails() -> None:
    assert 7 // 2 == 3.5, "7 // 2 is 3, not 3.5"


def test_skip_this_one() -> None:
    raise AssertionError("never run: skipped by name")

"""Measuring answers: the dev and blind sets, `natobot eval` (and `--fit`), `natobot bench`."""

"""Loaded by the fuzzer's Python only (fuzz/fuzz-api.sh puts this folder on PYTHONPATH).

CPython 3.11 before 3.11.8 can raise SystemError("AST constructor recursion depth mismatch")
from `ast.parse` called deep in a call stack (gh-106905). Hypothesis parses a lambda's source
only to describe a strategy in its messages; when that parse fails this way, the fuzzing run
crashed on an operation (the document upload) with nothing wrong on the server's side. The
description falls back to Hypothesis's own "<unknown>" form instead; nothing else changes.
"""

import sys

if sys.version_info[:3] < (3, 11, 8):
    try:
        from hypothesis.internal import lambda_sources
    except ImportError:  # not the fuzzer's environment
        lambda_sources = None
    if lambda_sources is not None:
        _describe = lambda_sources.lambda_description

        def _described(f):
            try:
                return _describe(f)
            except SystemError:
                return "lambda: <unknown>"

        lambda_sources.lambda_description = _described

"""Benchmarks: ``python -m tests.bench [NAME [ARGS...]]`` (``make bench``), results as JSON under
``build/bench/``. Not tests: nothing here passes or fails on a timing.

Each public module of this package is one benchmark (``coldstart``, ...): it has a ``main(argv) ->
int`` and a docstring whose first line describes it, and writes ``build/bench/<name>.json`` through
``_results.write``. Helpers are private modules (``_name``). Without NAME every benchmark runs.
"""

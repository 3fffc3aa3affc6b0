"""The installed layer (pip's --target folder), made fit to ship before it is compiled and zipped."""

from __future__ import annotations

import os

from buildtools.files import SKIP_SUFFIXES


def prune_layer(site: str) -> None:
    """Drop what cannot run on Lambda: bytecode caches not made by this build (the layer is compiled
    after), and console scripts (bin/), whose shebang names this machine's interpreter. RECORD files
    keep only the entries that still ship."""
    import shutil

    for top, dirs, files in os.walk(site):
        for d in [d for d in dirs if d == "__pycache__"]:
            shutil.rmtree(os.path.join(top, d))
            dirs.remove(d)
        for name in files:
            if name.endswith(SKIP_SUFFIXES):
                os.remove(os.path.join(top, name))
    shutil.rmtree(os.path.join(site, "bin"), ignore_errors=True)
    for entry in os.listdir(site):
        record = os.path.join(site, entry, "RECORD")
        if entry.endswith(".dist-info") and os.path.isfile(record):
            prune_record(site, record)


def ships(site: str, name: str) -> bool:
    """A RECORD row's file ships: it is inside site (not "../...") and was not pruned."""
    return not name.startswith("../") and os.path.exists(os.path.join(site, name))


def prune_record(site: str, record: str) -> None:
    """Keep the rows of a wheel's RECORD whose file is still in site (none outside it, "../")."""
    import csv

    with open(record, newline="") as f:
        rows = list(csv.reader(f))
    kept = [row for row in rows if ships(site, row[0])]
    if len(kept) == len(rows):
        return
    with open(record, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(kept)

"""A small repository for the buildtools unit tests: build.sh, the buildtools package, one function
with its tests, the shared code and the layer's requirements; no layer is installed."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SOURCES = {
    "functions/alpha/__init__.py": "",
    "functions/alpha/handler.py": "def lambda_handler(event, context):\n    return event\n",
    "functions/alpha/tests/test_handler.py": "def test(): pass\n",
    "functions/common/__init__.py": "",
    "functions/common/util.py": "VALUE = 1\n",
    "layer/requirements.txt": "demo==1.0\n",
}


def small_tree(root: Path) -> Path:
    for name, text in SOURCES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    shutil.copyfile(REPO / "build.sh", root / "build.sh")
    (root / "buildtools").mkdir()
    for module in (REPO / "buildtools").glob("*.py"):
        shutil.copyfile(module, root / "buildtools" / module.name)
    return root


def installed_layer(site: Path) -> Path:
    """What pip would leave in --target: a package, its dist-info, a console script."""
    for name, text in {
        "demo/__init__.py": "from demo.core import VALUE\n",
        "demo/core.py": "VALUE = 2\n",
        "demo-1.0.dist-info/METADATA": "Name: demo\nVersion: 1.0\n",
        "demo-1.0.dist-info/RECORD": "demo/__init__.py,,\ndemo/core.py,,\n../../bin/demo,,\n",
        "bin/demo": "#!/usr/bin/python3\n",
    }.items():
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return site

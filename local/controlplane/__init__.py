"""The control plane: the moto process and all that runs inside it (``python -m local.controlplane``).

``server`` (the command line) installs the moto patches (``patches``: the one place they are
installed, each service's from ``local/services/<service>/moto_patches.py``), loads the saved state
(``snapshots``), serves moto behind our routes (``app``: code and layer downloads, snapshot, health)
and warms moto up at a fresh start (``warm_up``).
"""

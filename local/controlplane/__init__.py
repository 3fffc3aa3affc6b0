"""The control plane: the moto process and all that runs inside it (``python -m local.controlplane``)."""

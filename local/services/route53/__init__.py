"""Route 53 in the local cloud: only the control plane's model (``moto_patches``); names resolve
through ``*.localhost``, not through a local DNS server."""

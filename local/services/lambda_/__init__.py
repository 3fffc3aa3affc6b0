"""Lambda's data plane on this machine: execution environments running the real runtime
(awslambdaric) against our Runtime API, from the code and layers the control plane holds.
(Named ``lambda_`` because ``lambda`` is a Python keyword.)"""

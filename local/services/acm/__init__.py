"""AWS Certificate Manager's data plane, locally: leaves from the local CA for the certificates
Terraform requested, once they are validated as ACM validates them (``issuer``)."""

"""The local cloud: the very Terraform that deploys Postcards to AWS, applied to moto server on
loopback, with our own Lambda executor (Runtime API + awslambdaric, a process per execution
environment) and API Gateway data plane. No AWS account, no Docker."""

"""FIS locally: experiments from the templates Terraform made, run on real Lambda invocations."""

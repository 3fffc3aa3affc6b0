"""Systems Manager locally: moto's Parameter Store, plus the public parameters the root reads."""

"""DynamoDB: moto serves it; the local cloud adds only the faults of ``faults``."""

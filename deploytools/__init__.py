"""Tools that run against a deployed stack on AWS (make destroy's pre-check)."""

"""The API's routes, one Powertools Router per resource family; ``handler`` includes them all."""

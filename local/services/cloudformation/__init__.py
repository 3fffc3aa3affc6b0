"""CloudFormation locally: moto's stacks, plus the resource types the root's stacks declare."""

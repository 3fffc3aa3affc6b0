"""The one AWS endpoint of the local cloud (like LocalStack's edge): every AWS API call goes to
the control plane (moto) unchanged, except Lambda's Invoke, which the executor answers."""

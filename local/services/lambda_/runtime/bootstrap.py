"""Entry point of a Python execution environment: what Lambda's /var/runtime/bootstrap runs.

``provision`` copies this file into the runtime folder; an environment runs
``python -S <runtime>/bootstrap.py <handler>``. It starts awslambdaric's own bootstrap loop (the
same code as in the AWS base images) with one difference: its Runtime API client waits for the next
invocation on the main thread. Lambda's python3.12+ runtimes wait in a helper thread (a new one per
invocation) so that SIGTERM handlers can run during the wait; execution environments here are never
sent SIGTERM (they are killed), and the helper thread costs about half a millisecond of CPU per
invocation on a small machine.

Runs inside the function's process: standard library and awslambdaric only, nothing from local/.
"""

import os
import sys


def main() -> None:
    # Python puts this file's folder first on sys.path; Lambda's search path starts at the task root.
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]
    from awslambdaric import bootstrap
    from awslambdaric.lambda_runtime_client import LambdaRuntimeClient

    handler = sys.argv[1] if len(sys.argv) > 1 else os.environ["_HANDLER"]
    client = LambdaRuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"], use_thread_for_polling_next=False)
    bootstrap.run(handler, client)


if __name__ == "__main__":
    main()

"""One cold start, run as a script in a fresh interpreter: import the handler module (Lambda's
init), invoke it once with the event (the first invocation), report CLOCK_MONOTONIC timestamps.

Standalone on purpose: it imports only what Lambda's runtime bootstrap imports anyway, so that the
measured cost is the handler's. The result goes to an inherited file descriptor (the handler's logs
own stdout); then the process leaves without interpreter teardown, as a frozen Lambda sandbox does.
"""

import time

STARTED = time.monotonic()

import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402


class LambdaContext:
    """The attributes of the Python runtime's context object that handlers and Powertools read."""

    def __init__(self) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self._deadline = time.monotonic() + 30

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def main() -> None:
    handler_name, event_path, result_fd = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(event_path) as f:
        event = json.load(f)
    module_name, _, function_name = handler_name.rpartition(".")
    init_started = time.monotonic()
    handler = getattr(importlib.import_module(module_name), function_name)
    invoke_started = time.monotonic()
    response = handler(event, LambdaContext())
    finished = time.monotonic()
    result = {
        "started": STARTED,
        "init_started": init_started,
        "invoke_started": invoke_started,
        "finished": finished,
        "response": response,
    }
    os.write(result_fd, json.dumps(result, default=str).encode())
    os.close(result_fd)
    sys.stdout.flush()
    os._exit(0)


main()

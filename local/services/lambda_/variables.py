"""The environment variables Lambda gives a function's process.

The function's own variables come first; Lambda's reserved ones (handler, function name and version,
memory size, log group and stream, Runtime API address, region, credentials, X-Ray, paths) always win
over them, as on AWS. ``AWS_ENDPOINT_URL`` points the function's SDK at the local AWS endpoint unless
the function sets its own, and ``AWS_CA_BUNDLE`` names the local CA its SDK verifies that endpoint
with (boto3 honours both).

https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
"""

from __future__ import annotations

import os
from pathlib import Path

from local.services.iam.credentials import ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY
from local.services.lambda_.credentials import RoleSession
from local.services.lambda_.functions import FunctionVersion
from local.services.lambda_.runtime import Runtime


def lambda_variables(
    function: FunctionVersion,
    runtime: Runtime,
    *,
    task_root: Path,
    opt_dir: Path,
    region: str,
    edge_url: str,
    xray_daemon: str,
    init_type: str,
    log_group: str,
    log_stream: str,
    runtime_api: str,
    telemetry_fd: int,
    ca_bundle: Path | None = None,
    credentials: RoleSession | None = None,
) -> dict[str, str]:
    """The process environment of one execution environment of ``function``."""
    fn = function
    opt, task = str(opt_dir), str(task_root)
    env = {
        # The function's own variables first: Lambda's reserved names below always win.
        **fn.environment,
        "_HANDLER": fn.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": fn.name,
        "AWS_LAMBDA_FUNCTION_VERSION": fn.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": log_group,
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_LAMBDA_INITIALIZATION_TYPE": init_type,
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "LAMBDA_TASK_ROOT": task,
        "LAMBDA_RUNTIME_DIR": str(runtime.runtime_dir or ""),
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        # The execution role's temporary credentials (what IAM evaluates the function's calls against).
        "AWS_ACCESS_KEY_ID": credentials.access_key_id if credentials else ADMIN_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key if credentials else ADMIN_SECRET_ACCESS_KEY,
        "AWS_SESSION_TOKEN": credentials.session_token if credentials else "test",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": xray_daemon,
        "_AWS_XRAY_DAEMON_ADDRESS": xray_daemon.rsplit(":", 1)[0],
        "_AWS_XRAY_DAEMON_PORT": xray_daemon.rsplit(":", 1)[1],
        "_LAMBDA_TELEMETRY_LOG_FD": str(telemetry_fd),
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": os.pathsep.join(
            ([str(runtime.python.parent)] if runtime.python is not None else [])
            + ["/usr/local/bin", "/usr/bin", "/bin", f"{opt}/bin"]
        ),
        "LD_LIBRARY_PATH": os.pathsep.join([f"{task}/lib", f"{opt}/lib"]),
        # boto3 in the function must not read the host user's ~/.aws files.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    if runtime.python is not None:
        minor = runtime.python_version.rsplit(".", 1)[0]
        # Lambda's module search order for Python: task root, layers, runtime.
        env["PYTHONPATH"] = os.pathsep.join(
            [
                task,
                f"{opt}/python/lib/python{minor}/site-packages",
                f"{opt}/python",
                str(runtime.runtime_dir),
            ]
        )
    if fn.log_format == "JSON":
        env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
        if fn.application_log_level:
            env["AWS_LAMBDA_LOG_LEVEL"] = fn.application_log_level
    env.setdefault("AWS_ENDPOINT_URL", edge_url)
    if ca_bundle is not None:
        env.setdefault("AWS_CA_BUNDLE", str(ca_bundle))
    return env

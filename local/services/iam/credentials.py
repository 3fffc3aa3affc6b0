"""The local cloud's credentials: one administrator key, and the temporary keys of roles.

Terraform, the aws CLI, the tests and the local cloud's own clients sign with the administrator key
(``test``/``test``, moto's placeholder): nothing they do is evaluated against a policy. Functions get
temporary credentials of their execution role (STS AssumeRole, as Lambda does), and what they sign
is evaluated (``local.services.iam``).
"""

from __future__ import annotations

from dataclasses import dataclass

ADMIN_ACCESS_KEY_ID = "test"
ADMIN_SECRET_ACCESS_KEY = "test"  # noqa: S105 - moto's placeholder, not a secret


@dataclass(frozen=True)
class Credentials:
    """What AWS knows of an access key: its secret and, for temporary credentials, the session token."""

    secret_access_key: str
    session_token: str | None = None

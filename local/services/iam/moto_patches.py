"""IAM in moto (5.2): who signed a request, read from moto's own state.

Runs inside the control-plane process. ``credentials_of`` answers for the administrator key and for
the temporary credentials moto's STS handed out (AssumeRole); any other key is unknown, as on AWS.
"""

from __future__ import annotations

from local.config import DEFAULT_ACCOUNT_ID
from local.services.iam.credentials import ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY, Credentials


def assumed_role(access_key_id: str) -> object | None:
    """moto's AssumedRole for a temporary key (``role_arn``, ``session_name``, secret, token), if any."""
    from moto.sts.models import sts_backends

    return sts_backends[DEFAULT_ACCOUNT_ID]["aws"].get_assumed_role_from_access_key(access_key_id)


def credentials_of(access_key_id: str) -> Credentials | None:
    if access_key_id == ADMIN_ACCESS_KEY_ID:
        return Credentials(ADMIN_SECRET_ACCESS_KEY)
    role = assumed_role(access_key_id)
    if role is None:
        return None
    return Credentials(role.secret_access_key, role.session_token)  # type: ignore[attr-defined]

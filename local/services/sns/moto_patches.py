"""SNS and KMS as moto holds them, read inside the control-plane process: whether CloudWatch alarms
may publish to a topic (``delivery`` decides; this only finds the topic's key). moto's SNS needs no
patch for it: its Publish never checks a topic's key, so the alarm loop asks here first
(``GET /_local/sns/cloudwatch-delivery``, ``local.controlplane.app``)."""

from __future__ import annotations

from local.services.sns.delivery import TopicKey, cloudwatch_publish_error


def cloudwatch_publish_error_for(account_id: str, region: str, topic_arn: str) -> str | None:
    """Why CloudWatch alarms cannot publish to ``topic_arn``, or None (also for an unknown topic:
    its Publish then fails on its own, as on AWS)."""
    from moto.kms.models import kms_backends
    from moto.sns.models import sns_backends

    topic = sns_backends[account_id][region].topics.get(topic_arn)
    if topic is None:
        return None
    key_id = topic.kms_master_key_id or None
    key = None
    if key_id:
        try:
            found = kms_backends[account_id][region].describe_key(key_id)
            key = TopicKey(manager=found.key_manager, enabled=bool(found.enabled), policy=str(found.policy))
        except Exception:  # moto raises KeyError or NotFoundException for an unknown key or alias
            key = None
    return cloudwatch_publish_error(key_id, key)

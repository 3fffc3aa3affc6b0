"""SNS in the local cloud: moto holds the topics and delivers to subscribers; ``delivery`` decides
whether a publisher that is an AWS service (CloudWatch alarms) may use a topic's encryption key."""

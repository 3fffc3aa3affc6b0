"""CloudWatch, locally: metrics the local cloud publishes (Lambda's, API Gateway's, EMF lines) and
alarms evaluated as CloudWatch evaluates them. Metric data and alarms live in the control plane
(moto); ``metrics`` batches what is published, ``emf`` reads Embedded Metric Format log lines,
``alarms`` is the pure evaluation and ``alarm_evaluator`` the loop that applies it.
"""

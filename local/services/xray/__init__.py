"""X-Ray, locally: the daemon's UDP endpoint, trace storage, the X-Ray API and OTLP/HTTP ingestion.

State (``store``, ``sampling``) is kept apart from the wire formats (``daemon``, ``api``, ``otlp``), as
moto and LocalStack do, so every way in feeds the same traces. ``documents`` knows the segment
document format; ``summaries``, ``filters`` and ``graph`` answer the read calls from stored traces.
"""

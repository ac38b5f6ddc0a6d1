"""newsagg's own signals (sent with ``crawler.signals.send_catch_log``)."""

#: The run's state backend is open (``backend``): components that read the
#: state (the health checks) take it from here.
state_opened = object()

#: A segment was published (``name``, ``items``): what it held is stored now.
segment_published = object()

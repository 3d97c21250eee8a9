"""Customer sites: runs of remote sites go through a Celery queue to `fixline worker --site`.

The API keeps the record (the shared store) and the sealed parameters; the broker carries
only run ids. A worker claims a run over HTTPS, runs it with its site's executors and
credentials, and reports events and the outcome back; it needs no database access and no
inbound port.
"""

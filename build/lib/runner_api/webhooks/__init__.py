"""Signed webhooks in: verify, deduplicate, map to a RunRequest, answer 202 (issue 8).

Errors:
    FixlineError
    ├── AuthenticationError
    │   └── SignatureError        missing, stale, future or wrong signature (401)
    ├── InvalidRequestError
    │   └── UnmappedPayloadError  no rule matches, or the body is not a JSON object (422)
    ├── ConflictError
    │   ├── IdempotencyError      same key, another body; or the first copy still handled (409)
    │   └── DuplicateDeliveryError  same timestamp and body under another key: a replay (409)
    └── ConfigurationError        a sources file that does not validate stops start-up

signature.py checks the HMAC (v2 signs timestamp, key and body); sources.py loads and
validates the mapping rules at start; mapping.py turns a payload into a run request;
deliveries.py keeps one row per key, and one per signed timestamp and body, under unique
constraints, with its answer; service.py checks a delivery and accepts it (202 with
the id its run will have); starter.py starts the runs of accepted deliveries from that
table (queued.py: what a row keeps to start, secrets sealed); router.py is
POST /webhooks/{source} and the admins' GET /webhooks/deliveries.
"""

"""Signed webhooks in: verify, deduplicate, map to a RunRequest, answer 202 (issue 8).

Errors:
    FixlineError
    ├── AuthenticationError
    │   └── SignatureError        missing, stale, future or wrong signature (401)
    ├── InvalidRequestError
    │   └── UnmappedPayloadError  no rule matches, or the body is not a JSON object (422)
    ├── ConflictError
    │   └── IdempotencyError      same key, another body; or the first copy still running (409)
    └── ConfigurationError        a sources file that does not validate stops start-up

signature.py checks the HMAC; sources.py loads and validates the mapping rules at start;
deliveries.py keeps one row per key under a unique constraint; service.py ties them to
RunService.start_run; router.py is POST /webhooks/{source}.
"""

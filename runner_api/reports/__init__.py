"""The read side of the audit log and the runs, for auditors: search, evidence packs with
their chain proof, exports, SLA figures (the log itself is audit/; this only reads)."""

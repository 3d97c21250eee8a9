"""Directory tests: ldap3 imported once with pyasn1's import-time deprecation muted."""

from __future__ import annotations

import warnings

# ldap3 2.9.1 touches pyasn1's deprecated tagMap/typeMap at import; the suite turns
# warnings into errors. Until pyproject ignores them for ldap3, import it quietly here.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import ldap3  # noqa: F401

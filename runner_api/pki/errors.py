"""Certificate errors.

RefusedError
├── IssuancePolicyError      a request outside the issuance policy: names not from the
│                            inventory, an EKU off the template's allow-list, too long a life
└── BundleError              a supplied PEM/PFX bundle (or CA) that must not be used, and why
NotFoundError
└── CaNotFoundError          the customer has no CA yet (`fixline ca create|import`)
ExecutorError
└── TlsCheckError            the host does not serve the chain just installed
"""

from __future__ import annotations

from runner_api.errors import ExecutorError, NotFoundError, RefusedError


class IssuancePolicyError(RefusedError):
    code = "issuance_policy"


class BundleError(RefusedError):
    code = "invalid_bundle"


class CaNotFoundError(NotFoundError):
    code = "ca_not_found"


class TlsCheckError(ExecutorError):
    code = "tls_check"

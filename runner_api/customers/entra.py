"""The `entra:` section and `identity:` key of a customer's fixline.yml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runner_api.customers.models import DirectoryConfig, EntraConfig, Identity
from runner_api.errors import ConfigurationError

_DEFAULTS = EntraConfig(tenant_id="", accepted_domains=())
_KEYS = frozenset(
    {
        "tenant_id",
        "accepted_domains",
        "authority_host",
        "graph_url",
        "protected_groups",
        "deny_list",
        "timeout_s",
        "max_retry_wait_s",
    }
)

# The sections each identity needs.
_NEEDS: dict[Identity, tuple[str, ...]] = {
    Identity.AD: (),
    Identity.ENTRA: ("entra",),
    Identity.HYBRID: ("directory", "entra"),
}


def _fail(path: Path, key: str, problem: str) -> ConfigurationError:
    return ConfigurationError(f"{path}: {key}: {problem}")


def _text(path: Path, raw: dict[str, Any], key: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, f"entra.{key}", "must be a non-empty string")
    return value.strip()


def _names(path: Path, raw: dict[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(path, f"entra.{key}", "must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _seconds(path: Path, raw: dict[str, Any], key: str, default: float, top: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= top:
        raise _fail(path, f"entra.{key}", f"must be a number of seconds in (0, {top:g}]")
    return float(value)


def _https(path: Path, key: str, url: str) -> str:
    # msal takes only an https authority; a token must never travel in clear to Graph.
    if not url.startswith("https://") or len(url) <= len("https://"):
        raise _fail(path, f"entra.{key}", f"must be an https:// URL, not {url!r}")
    return url.rstrip("/")


def entra_config(path: Path, raw: Any) -> EntraConfig | None:
    """The `entra:` section of the fixline.yml at `path`; None when there is none."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _fail(path, "entra", "must be a mapping")
    unknown = sorted(str(key) for key in raw if key not in _KEYS)
    if unknown:
        raise _fail(path, f"entra.{unknown[0]}", f"unknown key (known: {', '.join(sorted(_KEYS))})")
    domains = tuple(d.lower() for d in _names(path, raw, "accepted_domains"))
    if not domains:
        raise _fail(path, "entra.accepted_domains", "must name at least one domain")
    return EntraConfig(
        tenant_id=_text(path, raw, "tenant_id"),
        accepted_domains=domains,
        authority_host=_https(
            path, "authority_host", _text(path, raw, "authority_host", _DEFAULTS.authority_host)
        ),
        graph_url=_https(path, "graph_url", _text(path, raw, "graph_url", _DEFAULTS.graph_url)),
        protected_groups=_names(path, raw, "protected_groups"),
        deny_list=tuple(upn.lower() for upn in _names(path, raw, "deny_list")),
        timeout_s=_seconds(path, raw, "timeout_s", _DEFAULTS.timeout_s, 120),
        max_retry_wait_s=_seconds(path, raw, "max_retry_wait_s", _DEFAULTS.max_retry_wait_s, 600),
    )


def identity(
    path: Path, raw: Any, directory: DirectoryConfig | None, entra: EntraConfig | None
) -> Identity:
    """`identity:` as written, or what the sections imply; the sections it needs must be set."""
    if raw is None:
        if entra is None:
            return Identity.AD
        return Identity.HYBRID if directory is not None else Identity.ENTRA
    try:
        chosen = Identity(str(raw).lower())
    except ValueError:
        choices = ", ".join(member.value for member in Identity)
        raise _fail(path, "identity", f"must be one of {choices}, not {raw!r}") from None
    present = {"directory": directory is not None, "entra": entra is not None}
    # `ad` needs no section: a customer of playbooks only has no directory either.
    missing = [section for section in _NEEDS[chosen] if not present[section]]
    if missing:
        raise _fail(path, "identity", f"{chosen} needs the {' and '.join(missing)} section")
    return chosen

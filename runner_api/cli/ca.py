"""`fixline ca create|import|show CUSTOMER`: the customer's issuing CA.

The CA key goes into the encrypted credential store and never comes out: no command prints
it. An imported key is read from a file or standard input, never from the command line.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from runner_api.cli.common import EXIT_INVALID, app, fail, load_settings

if TYPE_CHECKING:  # the CLI imports lazily to start fast
    from runner_api.pki.authority import CaInfo, CustomerCa

ca_app = typer.Typer(help="A customer's issuing CA: create, import, show (never its key).")
app.add_typer(ca_app, name="ca")

Customer = Annotated[str, typer.Argument(help="Customer (a folder of inventories/).")]
By = Annotated[str, typer.Option(help="Who does this, for the audit log (default: OS user).")]


def _authority(customer: str) -> CustomerCa:
    from runner_api.core import Core

    core = Core(load_settings())
    core.open_store()
    core.customers.get(customer)
    return core.ca


def _print(info: CaInfo) -> None:
    typer.echo(f"customer:    {info.customer}")
    typer.echo(f"subject:     {info.subject}")
    typer.echo(f"sha256:      {info.fingerprint_sha256}")
    typer.echo(f"not after:   {info.not_after.isoformat()}")
    typer.echo(info.certificate_pem.rstrip())


@ca_app.command("create")
def create(customer: Customer, by: By = "") -> None:
    """Create a new CA (EC P-256, 10 years) for the customer, replacing any stored one."""
    _print(_authority(customer).create(customer, by or getpass.getuser()))


@ca_app.command("import")
def import_ca(
    customer: Customer,
    certificate: Annotated[Path, typer.Option(help="PEM file of the CA certificate.")],
    key: Annotated[str, typer.Option(help="PEM key: @FILE, or - for standard input.")],
    by: By = "",
) -> None:
    """Import an existing CA (certificate + its key); the key is checked, then sealed."""
    if key == "-":
        key_pem = sys.stdin.read()
    elif key.startswith("@"):
        key_pem = Path(key[1:]).read_text()
    else:
        raise fail("give --key @FILE or --key - (never the key itself)", EXIT_INVALID)
    info = _authority(customer).import_pem(
        customer, certificate.read_text(), key_pem, by or getpass.getuser()
    )
    _print(info)


@ca_app.command("show")
def show(customer: Customer) -> None:
    """Print the CA certificate and its SHA-256 fingerprint (never the key)."""
    _print(_authority(customer).show(customer))

"""ldap3 for the lab directory, without its deprecation warnings.

ldap3 2.9.1 reads pyasn1's deprecated tagMap/typeMap while it is imported, and checks the
certificate's name with ssl.match_hostname, deprecated since Python 3.7; the test suite
turns warnings into errors and the lab runs inside test fixtures, so neither may warn.
The check itself still runs: only its warning is silenced.
"""

from __future__ import annotations

import warnings
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from ldap3 import BASE, MODIFY_ADD, MODIFY_REPLACE, SUBTREE, Server, Tls
    from ldap3 import Connection as _Connection
    from ldap3.core.exceptions import LDAPException
    from ldap3.protocol.formatters.formatters import format_sid
    from ldap3.utils.conv import escape_filter_chars


class Connection(_Connection):  # type: ignore[misc]
    """ldap3's Connection that neither warns nor leaks a socket when it opens.

    Its TLS handshake (in open, and so in bind) checks the name quietly, and a failed open
    closes the socket ldap3 leaves behind (a ResourceWarning, an error in the tests).
    """

    socket: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # ldap3 sets `open` per instance (the strategy's), so wrap that, not the method.
        strategy_open: Any = vars(self)["open"]

        def open_quietly(reset_usage: bool = True, read_server_info: bool = True) -> Any:
            try:
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", "ssl.match_hostname", DeprecationWarning)
                    return strategy_open(reset_usage=reset_usage, read_server_info=read_server_info)
            except LDAPException:
                if self.socket is not None:
                    self.socket.close()
                    self.socket = None
                raise

        self.open = open_quietly


__all__ = [
    "BASE",
    "MODIFY_ADD",
    "MODIFY_REPLACE",
    "SUBTREE",
    "Connection",
    "LDAPException",
    "Server",
    "Tls",
    "escape_filter_chars",
    "format_sid",
]

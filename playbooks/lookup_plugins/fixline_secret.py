"""Lookup plugin `fixline_secret`: one secret parameter of the current Fixline run.

Fixline keeps secrets out of extra vars (ansible-runner writes those to env/extravars in
the run folder); it serves them over a Unix socket for as long as the run lasts, named by
FIXLINE_SECRETS_SOCKET. Vetted and pinned with the playbooks that sit beside it.
"""

from __future__ import annotations

import json
import os
import socket

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

DOCUMENTATION = """
name: fixline_secret
author: Fixline
short_description: A secret parameter of the current Fixline run
description:
  - Reads a secret parameter (or a secret Fixline made for the run, such as a new private
    key) from the Fixline run that started this playbook, over its private socket.
  - Every task that uses the value must set C(no_log) to true.
options:
  _terms:
    description: Names of the secrets.
    required: true
  default:
    description:
      - Returned when the run has no such secret, or when the playbook does not run under
        Fixline at all. Without it, a missing secret is an error.
    type: raw
"""

EXAMPLES = """
- name: Write the key
  ansible.builtin.copy:
    content: "{{ lookup('fixline_secret', 'key') }}"
    dest: /etc/ssl/private/service.key
    mode: "0600"
  no_log: true
"""

RETURN = """
_raw:
  description: The secret values, in the order of the names.
  type: list
  elements: str
"""

SOCKET_ENV = "FIXLINE_SECRETS_SOCKET"
TIMEOUT_S = 10.0
MAX_ANSWER_BYTES = 1 << 20


def _ask(path, name):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(TIMEOUT_S)
        conn.connect(path)
        conn.sendall(json.dumps({"name": name}).encode() + b"\n")
        with conn.makefile("rb") as answer:
            line = answer.readline(MAX_ANSWER_BYTES)
    return json.loads(line)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        default = self.get_option("default")
        path = os.environ.get(SOCKET_ENV)
        values = []
        for name in terms:
            if not path:
                if default is None:
                    raise AnsibleLookupError(
                        f"secret {name!r}: not run by Fixline ({SOCKET_ENV} is not set)"
                    )
                values.append(default)
                continue
            try:
                answer = _ask(path, str(name))
            except (OSError, ValueError) as exc:
                # The value is never part of a message: only the name and the failure.
                raise AnsibleLookupError(
                    f"secret {name!r}: the run's secret socket did not answer "
                    f"({type(exc).__name__})"
                ) from None
            if "value" in answer:
                values.append(answer["value"])
            elif answer.get("missing") and default is not None:
                values.append(default)
            elif answer.get("missing"):
                raise AnsibleLookupError(f"secret {name!r}: the run has no such secret")
            else:
                raise AnsibleLookupError(f"secret {name!r}: {answer.get('error', 'no answer')}")
        return values

"""In-process fakes of the outside systems, behind the Protocols the real gateways implement.

FakeDirectory   DirectoryGateway (runner_api/directory/gateway.py), seeded like the lab's DCs
FakeMailbox     MailboxGateway (runner_api/mailbox/gateway.py), seeded like the EWS simulator
FakePlaybooks   the playbook Executor, standing in for ansible-runner

They mirror what the real implementations answer, errors included (test_*_contract.py runs
the same checks against the fakes and against the lab), so the fast tier exercises the
product's own code from the API down to the gateway call.
"""

from tests.fakes.directory import FakeDirectory
from tests.fakes.mailbox import FakeMailbox
from tests.fakes.playbooks import FakePlaybooks, PlaybookCall, Script

__all__ = ["FakeDirectory", "FakeMailbox", "FakePlaybooks", "PlaybookCall", "Script"]

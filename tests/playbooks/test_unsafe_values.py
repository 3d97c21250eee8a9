"""Every value Fixline hands to Ansible stays text: ansible-core 2.19 trusts the strings of an
extra-vars file as templates, so a planted `{{ lookup('pipe', 'id') }}` in a parameter, the
ticket id or an allow-list would run on this machine unless it is marked unsafe. Real
ansible-runner over SSH to the lab host, a planted value in every place a play reads."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from runner_api.catalog.actions import builtin_actions
from runner_api.catalog.vetting import VettingLock
from runner_api.customers.models import Customer
from runner_api.playbooks import PlaybookExecutor
from runner_api.runs.status import RunStatus
from tests.playbooks.conftest import TEST_PROJECT, Run
from tests.plugins.lab import PROJECT_DIR, LabHandle

PLANT = "{{ lookup('pipe', 'id') }}"
# Not the secret itself, so the redactor (which masks the secret) leaves these visible.
SECRET = "{{ lookup('pipe', 'id') }} served"
# What a templated plant would have become: `id` run on this machine.
RAN = "uid="


@pytest.fixture
def plant_executor(tmp_path: Path, work_dir: Path, lab: LabHandle) -> PlaybookExecutor:
    """The test project with the real fixline_secret lookup beside its playbooks, fx_plant
    vetted."""
    project = tmp_path / "plant-project"
    shutil.copytree(TEST_PROJECT, project)
    shutil.copytree(
        PROJECT_DIR / "playbooks" / "lookup_plugins", project / "playbooks" / "lookup_plugins"
    )
    VettingLock(project).vet("fx_plant", "fx_plant", by="tests")
    return PlaybookExecutor(project, work_dir, VettingLock(project), lab.credentials)


@pytest.mark.parametrize("check_mode", [False, True])
def test_planted_templates_reach_the_play_as_text(
    plant_executor: PlaybookExecutor,
    make_run: Callable[..., Run],
    lab_customer: Customer,
    check_mode: bool,
) -> None:
    run = make_run(
        "fx_plant",
        check_mode=check_mode,
        token=PLANT,
        words=["plain", PLANT],
        mapping={PLANT: PLANT},
        secret=SecretStr(SECRET),
    )
    customer = dataclasses.replace(lab_customer, allowlists={"services": frozenset({PLANT})})
    run.ctx = dataclasses.replace(run.ctx, ticket_id=PLANT, customer=customer)

    outcome, _ = run.execute(plant_executor)

    assert outcome.status is RunStatus.SUCCEEDED, outcome
    assert outcome.diff is not None
    assert outcome.diff["after"] == {
        "ticket": PLANT,
        "token": PLANT,
        "words": ["plain", PLANT],
        "mapping": {PLANT: PLANT},
        "allowlist": [PLANT],
        "echoed": PLANT,
        "secret_sha256": hashlib.sha256(SECRET.encode()).hexdigest(),
    }
    assert outcome.summary == f"planted for ticket {PLANT}"
    shown = [e.message for e in run.events if e.task == "Show what arrived" and e.kind == "ok"]
    assert shown == [f"ok: [lab-host] ticket {PLANT} token {PLANT}"]
    everything = json.dumps([dataclasses.asdict(e) for e in run.events], default=str)
    assert RAN not in everything + json.dumps(dataclasses.asdict(outcome), default=str)


@pytest.mark.parametrize(
    ("action", "param"), [("service_restart", "unit"), ("software_install", "package")]
)
def test_the_roles_allow_lists_refuse_a_planted_value_as_text(
    make_run: Callable[..., Run], work_dir: Path, lab: LabHandle, action: str, param: str
) -> None:
    """Past the API's patterns (as if they had a gap), the vetted role's own allow-list still
    refuses the value, and names it as the text it is."""
    executor = PlaybookExecutor(
        lab.project_dir, work_dir, VettingLock(lab.project_dir), lab.credentials
    )
    spec = next(spec for spec in builtin_actions() if spec.name == action)
    run = make_run(action, check_mode=True)
    run.ctx = dataclasses.replace(run.ctx, action=spec, params={"host": "lab-host", param: PLANT})

    outcome, _ = run.execute(executor)

    assert outcome.status is RunStatus.FAILED, outcome
    assert f"Refused: {'service' if param == 'unit' else 'package'} {PLANT} is not" in str(
        outcome.error
    )
    everything = json.dumps([dataclasses.asdict(e) for e in run.events], default=str)
    assert RAN not in everything + json.dumps(dataclasses.asdict(outcome), default=str)

"""Scale-out fixtures: a central `fixline serve` on PostgreSQL with executor=celery, real
Redis, and real `fixline worker --site NAME` processes, on a copy of the lab project whose
customers belong to two sites (lab -> branch-a, contoso -> branch-b).

Every test gets its own queue prefix, so test sessions sharing the machine's Redis never
see each other's messages.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis

from tests.plugins.lab import LabHandle
from tests.plugins.server import FIXLINE, Server, fixline_env, free_port

REDIS_URL = os.environ.get("FIXLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SITES = {"lab": "branch-a", "contoso": "branch-b"}


def redis_reachable(url: str) -> None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is not reachable at {url} ({exc}). Start it (service redis-server start) "
            "or point FIXLINE_TEST_REDIS_URL at one."
        )


def site_project(source: Path, target: Path) -> Path:
    """A copy of the project whose customers belong to the test sites."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".venv", ".git", ".fixline"))
    for customer, site in SITES.items():
        config = target / "inventories" / customer / "fixline.yml"
        text = config.read_text()
        assert "site: local" in text, f"{config} names no site"
        config.write_text(text.replace("site: local", f"site: {site}", 1))
    return target


@dataclass
class SiteWorker:
    """One `fixline worker --site NAME` process."""

    site: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self, concurrency: int = 2) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [FIXLINE, "worker", "--site", self.site, "--concurrency", str(concurrency)],
                env=self.env,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"fixline worker exited: {self.log_path.read_text()[-3000:]}")
            if " ready." in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.1)
        pytest.fail(f"fixline worker never got ready: {self.log_path.read_text()[-3000:]}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@dataclass
class SiteLab:
    """The central server and what workers need to join it."""

    server: Server
    project_dir: Path
    database_url: str
    root: Path
    broker_url: str
    queue_prefix: str
    workers: list[SiteWorker] = field(default_factory=list)

    def token(self, customers: list[str], name: str | None = None) -> str:
        response = self.server.client.post(
            "/tokens",
            json={
                "name": name or f"worker-{uuid.uuid4().hex[:8]}",
                "role": "worker",
                "customers": customers,
            },
        )
        assert response.status_code == 201, response.text
        return str(response.json()["token"])

    def worker(self, site: str, token: str | None = None, **extra: str) -> SiteWorker:
        """A worker of the site (not started), with a token for the site's customers."""
        customers = [c for c, s in SITES.items() if s == site]
        data_dir = self.root / f"worker-{len(self.workers)}"
        env = fixline_env(
            data_dir,
            self.server.lab,
            FIXLINE_PROJECT_DIR=str(self.project_dir),
            FIXLINE_API_URL=f"http://127.0.0.1:{self.server.port}",
            FIXLINE_WORKER_TOKEN=token or self.token(customers),
            FIXLINE_BROKER_URL=self.broker_url,
            FIXLINE_QUEUE_PREFIX=self.queue_prefix,
            **extra,
        )
        env.pop("FIXLINE_BOOTSTRAP_TOKEN", None)  # a worker holds only its own token
        worker = SiteWorker(site, env, self.root / f"worker-{len(self.workers)}.log")
        self.workers.append(worker)
        return worker

    def start_run(self, customer: str, action: str, **params: object) -> str:
        response = self.server.client.post(
            "/runs",
            json={
                "customer": customer,
                "ticket_id": f"INC-{uuid.uuid4().hex[:6]}",
                "action": action,
                "params": params,
            },
        )
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    def queued_messages(self, site: str) -> list[bytes]:
        client = redis.Redis.from_url(self.broker_url)
        return list(client.lrange(f"{self.queue_prefix}.site.{site}", 0, -1))


def central_env(
    database_url: str, project_dir: Path, broker_url: str, prefix: str
) -> dict[str, str]:
    return {
        "FIXLINE_DATABASE_URL": database_url,
        "FIXLINE_PROJECT_DIR": str(project_dir),
        "FIXLINE_EXECUTOR": "celery",
        "FIXLINE_BROKER_URL": broker_url,
        "FIXLINE_QUEUE_PREFIX": prefix,
        "FIXLINE_HEARTBEAT_S": "1",
        "FIXLINE_SITE_REPUBLISH_S": "2",
        "FIXLINE_RATE_LIMIT_REQUESTER_PER_HOUR": "0",
        "FIXLINE_RATE_LIMIT_TARGET_PER_HOUR": "0",
        "FIXLINE_RATE_LIMIT_ACTION_PER_MINUTE": "0",
        "FIXLINE_APPROVAL_REPEAT_RESET_S": "0",
    }


def _drop_queues(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}.*"):
        client.delete(key)


@pytest.fixture
def site_lab_factory(
    tmp_path: Path, lab: LabHandle, postgres_schema_url: str
) -> Iterator[Callable[..., SiteLab]]:
    """Builds a SiteLab on a broker URL (the machine's Redis unless told otherwise)."""
    made: list[SiteLab] = []
    project = site_project(lab.project_dir, tmp_path / "project")

    def make(broker_url: str = REDIS_URL, **extra_env: str) -> SiteLab:
        redis_reachable(broker_url)
        prefix = f"t{uuid.uuid4().hex[:10]}"
        server = Server(
            data_dir=tmp_path / "central",
            lab=lab,
            log_path=tmp_path / "central.log",
            extra_env=central_env(postgres_schema_url, project, broker_url, prefix) | extra_env,
        )
        server.start()
        site_lab = SiteLab(server, project, postgres_schema_url, tmp_path, broker_url, prefix)
        made.append(site_lab)
        return site_lab

    yield make
    for site_lab in made:
        for worker in site_lab.workers:
            worker.stop()
        site_lab.server.stop()
        site_lab.server.client.close()
        with contextlib.suppress(redis.RedisError):  # a test's own Redis, already stopped
            _drop_queues(site_lab.broker_url, site_lab.queue_prefix)


@pytest.fixture
def site_lab(site_lab_factory: Callable[..., SiteLab]) -> SiteLab:
    return site_lab_factory()


@dataclass
class OwnRedis:
    """A redis-server of the test's own, without persistence, that it may restart."""

    port: int
    dir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: apt-get install redis-server")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        pytest.fail("the test's redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


def wait_status(
    server: Server, run_id: str, statuses: set[str], timeout: float = 90
) -> dict[str, object]:
    """The run once its status is one of `statuses` (fails after timeout)."""
    try:
        return server.wait_for(run_id, statuses, timeout)
    except httpx.HTTPError as exc:  # the server died: say so with its log
        pytest.fail(f"server unreachable ({exc}): {server.log_path.read_text()[-3000:]}")

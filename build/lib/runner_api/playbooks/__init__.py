"""Playbook actions: vetted Ansible playbooks run through ansible-runner over SSH."""

from runner_api.playbooks.executor import PlaybookExecutor

__all__ = ["PlaybookExecutor"]

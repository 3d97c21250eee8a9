"""The vetted catalog: which actions exist, their parameters, and the pins of playbooks."""

"""Monitoring-triggered fixes: a Nagios event handler's HARD CRITICAL starts the mapped
remediation once per incident (issue 8).

The event arrives as a signed webhook of the `nagios` source (`fixline nagios-event` sends
it), so it takes the same path as every other run; service.py keeps one open incident per
(host, service) under a unique constraint, closes it on recovery, and holds (a ticket, no
run) a service that fails again soon after its remediation. spool.py keeps the handler's
events until Fixline has answered them; feedback.py and commands.py write a comment back
into Nagios after a remediation (optional).
"""

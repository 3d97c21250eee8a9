"""Runs: the one path by which anything is executed (`RunService.start_run`)."""

"""An agent's path through the page, counted as the agent would do it: each click one click,
each typed character one keystroke (typed key by key, so the page sees every key), a drop-down
choice two clicks (open, pick), and the seconds from the first step to the outcome."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from playwright.sync_api import Locator


@dataclass
class Counted:
    """Clicks, keystrokes and seconds of one path."""

    name: str
    clicks: int = 0
    keystrokes: int = 0
    started: float = field(default_factory=time.monotonic)

    def click(self, target: Locator) -> None:
        target.click()
        self.clicks += 1

    def type(self, target: Locator, text: str, *, focused: bool = False) -> None:
        """Click into the field (unless the page put the focus there), then type."""
        if not focused:
            target.click()
            self.clicks += 1
        target.press_sequentially(text)
        self.keystrokes += len(text)

    def press(self, target: Locator, key: str) -> None:
        target.press(key)
        self.keystrokes += 1

    def select(self, target: Locator, value: str) -> None:
        target.select_option(value)
        self.clicks += 2

    def report(self) -> str:
        """One line for the test's output (the figures of the issue's closing note)."""
        seconds = time.monotonic() - self.started
        line = f"{self.name}: {seconds:.2f} s, {self.clicks} clicks, {self.keystrokes} keystrokes"
        print(f"\nagent's path in the browser: {line}")
        return line

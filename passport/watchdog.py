"""When the passport should stop by itself, and the one place that stops it.

A young person closes the browser tab, pulls the key out, or walks away from a
library PC: the server must not keep running for the next user. Every save is
already on the key, so stopping loses nothing. Pages carry a small heartbeat
script; while beats arrive, the browser is there. Without JavaScript there are
no beats, and only the idle limit applies.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

FINISHED = "finished"  # the person pressed "Terminer"
IDLE = "idle"
BROWSER_GONE = "browser-gone"
KEY_GONE = "key-gone"


@dataclass(frozen=True)
class Limits:
    """Seconds before stopping; browsers slow timers in background tabs to one a minute."""

    beat: float = 30  # how often an open page sends its heartbeat
    idle: float = 30 * 60
    browser_gone: float = 3 * 60
    key_gone: float = 10 * 60
    goodbye_grace: float = 1.5  # lets the goodbye page fetch its stylesheet


class Watchdog:
    """Collects signs of life and decides when to stop; thread-safe, with an injectable clock."""

    def __init__(
        self,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_finish: Callable[[str], None] | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self._clock = clock
        self._on_finish = on_finish
        self._lock = threading.Lock()
        now = clock()
        self._last_activity = now
        self._last_beat: float | None = None
        self._key_missing_since: float | None = None
        self._finished_at: float | None = None
        self.reason: str | None = None

    def saw_page(self) -> None:
        """A page or a form was asked for: someone is using the passport."""
        with self._lock:
            self._last_activity = self._clock()

    def saw_beat(self, active: bool) -> None:
        """A page's heartbeat arrived; ``active`` when the person typed, clicked or scrolled."""
        with self._lock:
            now = self._clock()
            self._last_beat = now
            if active:
                self._last_activity = now

    def saw_key(self, present: bool) -> None:
        with self._lock:
            if present:
                self._key_missing_since = None
            elif self._key_missing_since is None:
                self._key_missing_since = self._clock()

    @property
    def finished(self) -> bool:
        return self.reason is not None

    def finish(self, reason: str) -> bool:
        """Mark the passport as finished (once); run the clean-up that must happen before."""
        with self._lock:
            if self.reason is not None:
                return False
            self.reason = reason
            self._finished_at = self._clock()
        if self._on_finish is not None:
            self._on_finish(reason)
        return True

    def should_stop(self) -> bool:
        """Called by the serving loop: finish when a limit is passed, stop once finished."""
        reason = self._limit_passed()
        if reason is not None:
            self.finish(reason)
            return True
        with self._lock:
            if self._finished_at is None:
                return False
            grace = self.limits.goodbye_grace if self.reason == FINISHED else 0.0
            return self._clock() - self._finished_at >= grace

    def _limit_passed(self) -> str | None:
        with self._lock:
            if self.reason is not None:
                return None
            now = self._clock()
            if self._key_missing_since is not None and now - self._key_missing_since >= self.limits.key_gone:
                return KEY_GONE
            if self._last_beat is not None and now - self._last_beat >= self.limits.browser_gone:
                return BROWSER_GONE
            if now - self._last_activity >= self.limits.idle:
                return IDLE
            return None

"""Secret phrases a young person can remember and a stranger cannot guess.

A copied data file can be attacked offline with no lockout, so the phrase must
hold on its own. Four words drawn at random from about 1,650 (``data/mots.txt``)
give 2^42 possibilities; with Argon2id at a third of a second per guess, that is
tens of thousands of years for one PC. A phrase of one's own is accepted when it
has at least four different words: easy to explain, and far above a PIN.
"""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path

from passport import vault

WORDS_FILE = Path(__file__).parent / "data" / "mots.txt"
PROPOSED_WORDS = 4
MIN_WORDS = 4
MIN_LETTERS = 3
MIN_LENGTH = 16
TOO_WEAK = (
    "Cette phrase est trop facile à deviner. Écris au moins 4 mots différents "
    "(de 3 lettres ou plus), par exemple la phrase proposée."
)
NOT_THE_SAME = "Les deux phrases ne sont pas pareilles. Écris la même phrase dans les deux cases."
EMPTY = "Écris ta phrase secrète."


@cache
def words() -> tuple[str, ...]:
    lines = WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def propose() -> str:
    """Four different words at random, drawn with the system's secure random generator."""
    return " ".join(secrets.SystemRandom().sample(words(), PROPOSED_WORDS))


def problem(phrase: str, again: str) -> str | None:
    """What is wrong with a new phrase, in plain words, or None when it will do."""
    if not phrase.strip():
        return EMPTY
    normal = vault.normalise_phrase(phrase).decode()
    if normal != vault.normalise_phrase(again).decode():
        return NOT_THE_SAME
    long_words = {word for word in normal.split() if sum(ch.isalnum() for ch in word) >= MIN_LETTERS}
    if len(long_words) < MIN_WORDS or len(normal) < MIN_LENGTH:
        return TOO_WEAK
    return None

"""The cryptography that keeps a lost key's data unreadable: an envelope, after LUKS's key slots.

A random *data key* encrypts each save (XChaCha20-Poly1305, a fresh random nonce
per save, the slot's header as associated data, so a payload cannot be moved under
another header). The data key itself is stored twice, wrapped:

- under a key derived from the young person's secret phrase (Argon2id: a copied
  file can be attacked offline, with no lockout, so each guess must cost);
- sealed to a *recovery* public key, whose private half is derived from the
  recovery code that staff keep on paper. A public key lets the passport wrap a new
  data key for the recovery code without ever knowing the code: keys are prepared
  with the public half only, and every phrase change draws a new data key.

Everything this module stores is described in a plain JSON-able dictionary (the
``protection`` part of a slot's header), KDF parameters included, so they can be
raised later without breaking older files. No file access here: ``passport.store``
is the only code touching the data file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

import nacl.bindings as sodium
import nacl.exceptions
import nacl.pwhash.argon2id as argon2id
import nacl.secret
from nacl.public import PrivateKey, PublicKey, SealedBox

CIPHER = "xchacha20poly1305"
PHRASE_KDF = "argon2id13"
RECOVERY_KDF = "blake2b"
# Chosen by measurement (bench/bench_unlock.py, docs/performance.md): about 0.35 s on the
# project's 2-core machine, leaving room under a second on a slower school PC.
PHRASE_OPS = 3
PHRASE_MEM = 128 * 1024 * 1024
# Crockford's base32: no I, L, O or U to misread on paper.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS, CODE_GROUP = 5, 5  # 25 characters, 125 bits
KEY_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES
NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
PENDING = "pending"  # prepared for protection; the phrase is chosen at the first start
ON = "on"


class WrongSecret(Exception):
    """The phrase or recovery code does not open this key."""


class Damaged(Exception):
    """A payload that fails its authentication: torn, tampered with, or under another key."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64 text")
    return base64.b64decode(text, validate=True)


def normalise_phrase(phrase: str) -> bytes:
    """Spaces and capitals do not count: ``Chat  Lune`` opens what ``chat lune`` closed."""
    return " ".join(unicodedata.normalize("NFC", phrase).casefold().split()).encode()


def normalise_code(code: str) -> str:
    """What staff read off paper, typed loosely: spaces, dashes, case and O/I/L mix-ups forgiven."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return cleaned.translate(str.maketrans("OIL", "011"))


def new_recovery_code() -> str:
    """A recovery code to print for staff: 5 groups of 5 characters (125 random bits)."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP))
    return "-".join(chars[i : i + CODE_GROUP] for i in range(0, len(chars), CODE_GROUP))


def valid_code(code: str) -> bool:
    cleaned = normalise_code(code)
    return len(cleaned) == CODE_GROUPS * CODE_GROUP and all(ch in CODE_ALPHABET for ch in cleaned)


@dataclass(frozen=True)
class PhraseKdf:
    """Argon2id parameters, stored in the file next to what they protect."""

    ops: int = PHRASE_OPS
    mem: int = PHRASE_MEM

    def derive(self, phrase: str, salt: bytes) -> bytes:
        return argon2id.kdf(KEY_BYTES, normalise_phrase(phrase), salt, opslimit=self.ops, memlimit=self.mem)


DEFAULT_KDF = PhraseKdf()


def _recovery_private(code: str, salt: bytes) -> PrivateKey:
    # 125 random bits need no slow hash: nobody can guess them, fast or slow.
    seed = hashlib.blake2b(normalise_code(code).encode(), digest_size=32, salt=salt, person=b"passeport-code").digest()
    return PrivateKey.from_seed(seed)


def recovery_setup(code: str) -> dict[str, Any]:
    """The public half of a recovery code, as stored on a key prepared for protection."""
    if not valid_code(code):
        raise ValueError("not a recovery code")
    salt = secrets.token_bytes(16)
    public = _recovery_private(code, salt).public_key
    return {"kdf": RECOVERY_KDF, "salt": _b64(salt), "public": _b64(bytes(public))}


def pending(recovery: dict[str, Any]) -> dict[str, Any]:
    """The protection header of a key prepared for protection whose phrase is not chosen yet."""
    return {"state": PENDING, "recovery": recovery}


def is_sealed(protection: dict[str, Any] | None) -> bool:
    return bool(protection) and protection.get("state") == ON


class Keys:
    """An unlocked data key and the header that describes how it is wrapped."""

    def __init__(self, data_key: bytes, protection: dict[str, Any]) -> None:
        self._key = data_key
        self.protection = protection

    @classmethod
    def create(cls, phrase: str, recovery: dict[str, Any], kdf: PhraseKdf | None = None) -> Keys:
        """A new data key, wrapped under ``phrase`` and sealed for the recovery code."""
        kdf = kdf or DEFAULT_KDF
        data_key = secrets.token_bytes(KEY_BYTES)
        salt = secrets.token_bytes(argon2id.SALTBYTES)
        wrapped = nacl.secret.SecretBox(kdf.derive(phrase, salt)).encrypt(data_key)
        public = PublicKey(_unb64(recovery["public"]))
        protection = {
            "state": ON,
            "cipher": CIPHER,
            "phrase": {"kdf": PHRASE_KDF, "ops": kdf.ops, "mem": kdf.mem, "salt": _b64(salt), "key": _b64(wrapped)},
            "recovery": {**_recovery_public(recovery), "key": _b64(SealedBox(public).encrypt(data_key))},
        }
        return cls(data_key, protection)

    @classmethod
    def unlock(cls, protection: dict[str, Any], phrase: str) -> Keys:
        try:
            wrap = protection["phrase"]
            if wrap["kdf"] != PHRASE_KDF:
                raise WrongSecret("unknown KDF")
            kek = PhraseKdf(int(wrap["ops"]), int(wrap["mem"])).derive(phrase, _unb64(wrap["salt"]))
            data_key = nacl.secret.SecretBox(kek).decrypt(_unb64(wrap["key"]))
        except (KeyError, TypeError, ValueError, nacl.exceptions.CryptoError) as error:
            raise WrongSecret from error
        return cls(data_key, protection)

    @classmethod
    def recover(cls, protection: dict[str, Any], code: str) -> Keys:
        try:
            wrap = protection["recovery"]
            if wrap["kdf"] != RECOVERY_KDF or not valid_code(code):
                raise WrongSecret("not this recovery code")
            private = _recovery_private(code, _unb64(wrap["salt"]))
            data_key = SealedBox(private).decrypt(_unb64(wrap["key"]))
        except (KeyError, TypeError, ValueError, nacl.exceptions.CryptoError) as error:
            raise WrongSecret from error
        return cls(data_key, protection)

    def recovery(self) -> dict[str, Any]:
        """The recovery code's public half, to seal the next data key for the same code."""
        return _recovery_public(self.protection["recovery"])

    def seal(self, payload: bytes, header: bytes) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(payload, header, nonce, self._key)

    def open(self, sealed: bytes, header: bytes) -> bytes:
        nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        try:
            return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(body, header, nonce, self._key)
        except (nacl.exceptions.CryptoError, ValueError, TypeError) as error:
            raise Damaged from error

    def same_wrap(self, protection: dict[str, Any] | None) -> bool:
        """Whether a slot's header wraps this very data key the same way (same phrase, same salt)."""
        return protection == self.protection


def _recovery_public(recovery: dict[str, Any]) -> dict[str, Any]:
    return {key: recovery[key] for key in ("kdf", "salt", "public")}


def associated_data(header: dict[str, Any]) -> bytes:
    """The header's fixed part, bound to the payload: the same bytes when written and read."""
    fixed = {key: header[key] for key in ("format", "schema", "generation", "protection")}
    return json.dumps(fixed, sort_keys=True, separators=(",", ":")).encode()

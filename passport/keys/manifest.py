"""The manifest each key carries in ``App/manifest.json``.

It lists the SHA-256 of every file of the program and of ``App/DefaultData/``
(so ``verify`` finds a flipped byte or a missing file), the hashes of ``Data/``
as it was seeded (so a key nobody has used yet can be told from one holding a
young person's data), and a fingerprint of what the key was prepared for (so
a re-run recognises a key it already finished). No personal content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from passport import __version__
from passport.keys import layout

FORMAT = 1


class ManifestError(Exception):
    """The manifest is missing, torn or not one of ours."""


@dataclass
class Manifest:
    files: dict[str, str]
    seed: dict[str, str] = field(default_factory=dict)
    identity: str = ""
    version: str = __version__

    def dumps(self) -> bytes:
        body = {
            "format": FORMAT,
            "version": self.version,
            "identity": self.identity,
            "files": dict(sorted(self.files.items())),
            "seed": dict(sorted(self.seed.items())),
        }
        return json.dumps(body, indent=1, ensure_ascii=False).encode()


def read(root: Path) -> Manifest:
    try:
        body = json.loads((root / layout.MANIFEST).read_bytes())
        if body.get("format") != FORMAT:
            raise ManifestError("format inconnu")
        return Manifest(dict(body["files"]), dict(body.get("seed", {})), str(body.get("identity", "")), body["version"])
    except FileNotFoundError:
        raise ManifestError("absent") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ManifestError("illisible") from None


def write(root: Path, manifest: Manifest) -> None:
    """Write the manifest as a new file.

    Neither atomic nor fsynced: a key keeps its "incomplete" marker until everything
    written, this included, is on it, and ``verify`` rejects a torn manifest. (An fsync
    per key also made ext4 flush every other key's pending data, doubling the time to
    prepare 50 keys.)
    """
    target = root / layout.MANIFEST
    target.unlink(missing_ok=True)  # a new file, never a rewrite (see install.fresh)
    target.write_bytes(manifest.dumps())

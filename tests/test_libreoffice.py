"""A real consumer opens every export: LibreOffice converts it to PDF, pdftotext reads it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from passport import export

from support import need

pytestmark = pytest.mark.slow


def to_text(documents: list[Path], workdir: Path) -> dict[str, str]:
    """Convert all documents in one LibreOffice run (its start-up is the slow part)."""
    need("soffice", "pdftotext")
    profile = (workdir / "lo-profile").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(workdir), *map(str, documents)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    texts = {}
    for document in documents:
        pdf = workdir / (document.stem + ".pdf")
        result = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True)
        texts[document.stem] = result.stdout
    return texts


def test_libreoffice_opens_every_export_and_finds_the_essentials(passport, tmp_path):
    passport.save_profile({"first_name": ["Maëlys"]})
    passport.save_step({"date": ["2026-11-29"], "action": ["Candidature chez le boulanger"], "status": ["En cours"]})
    passport.save_intake(
        {
            "date": ["2026-11-29"],
            "structure": ["cio"],
            "first_name": ["Maëlys"],
            "solution": ["Apprentissage"],
            "why": ["Elle veut apprendre en travaillant"],
            "referrals": ["cad", "mission-locale"],
            "referrals__main": ["cad"],
            "consent": ["on"],
        }
    )
    documents = []
    for kind in ("suivi", "bilan", "dossier"):
        path = tmp_path / f"{kind}.docx"
        path.write_bytes(export.render(passport, kind))
        documents.append(path)
    texts = to_text(documents, tmp_path)
    for kind, text in texts.items():
        flat = " ".join(text.split())
        assert "Maëlys" in flat, kind
        if kind != "bilan":
            assert "Candidature chez le boulanger" in flat, kind
        if kind != "suivi":
            assert "Elle veut apprendre en travaillant" in flat, kind
            assert "CAD (Chambre de métiers)" in flat, kind

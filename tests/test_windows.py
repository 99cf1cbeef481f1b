"""The Windows program, built under Wine by scripts/build-windows.sh and used as on a PC.

A key is laid out with the Windows and the Linux programs on a real FAT32 image;
``Passeport.exe``, signed as a release would be, is started under Wine with no
argument, as a double-click would. Wine hands the page the passport opens to the
Linux side (winebrowser → ``xdg-open``), where a stand-in browser records it; the
test follows that page like a browser and speaks real HTTP from Linux.
"""

from __future__ import annotations

import html
import os
import shutil
import signal
import subprocess
import time
import urllib.parse
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from passport import build, forms, instance, keyform
from passport.keyroot import REPOSITORY, KeyPaths
from passport.records import Passport, load_directory
from passport.store import Store

from form_support import EXAMPLES, GOOD, docx_text
from http_session import HttpSession
from support import fat_image, first_line, forwarded_to, need, need_root, wait_for_exit

PREFIX = REPOSITORY / ".cache" / "windows" / "prefix"  # the Wine prefix the build made: our "PC"
WINE = "/usr/lib/wine/wine64"
WINESERVER = "/usr/lib/wine/wineserver64"
GUI_SUBSYSTEM = 2  # IMAGE_SUBSYSTEM_WINDOWS_GUI: no console window
# A Windows program under Wine cannot take a regular file as stdout; a windowed one has none anyway.
NO_STDIO = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
STEP = {"date": date.today().isoformat(), "action": "Appeler la Mission Locale de Châteauroux", "status": "À faire"}


@pytest.fixture(scope="module")
def windows_program() -> Path:
    need(WINE, WINESERVER)
    started = time.monotonic()
    program = build.build_windows()  # runs scripts/build-windows.sh
    print(f"\nWindows build: {time.monotonic() - started:.0f} s")
    return program


@pytest.fixture(scope="module")
def linux_program() -> Path:
    need("strip", "ldd", "objdump")
    return build.build_program()  # the same digest-cached build as test_bundle.py


def signed_copy(program: Path, folder: Path) -> Path:
    """The Windows program signed as docs/windows.md says, with a throwaway self-signed certificate."""
    need("openssl", "osslsigncode")
    signed = folder / "signed"
    shutil.copytree(program, signed)
    cert, key = folder / "cert.pem", folder / "key.pem"
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", key, "-out", cert,
        "-subj", "/CN=Structure de test/O=Passeport", "-addext", "extendedKeyUsage=codeSigning")  # fmt: skip
    exe = signed / "Passeport.exe"
    exe.unlink()
    run("osslsigncode", "sign", "-certs", cert, "-key", key, "-n", "Passeport", "-h", "sha256",
        "-in", program / "Passeport.exe", "-out", exe)  # fmt: skip
    run("osslsigncode", "verify", "-CAfile", cert, "-in", exe)
    return signed


def run(*args: str | Path) -> None:
    done = subprocess.run([str(arg) for arg in args], capture_output=True, text=True)
    assert done.returncode == 0, f"{args[0]}: {done.stdout}{done.stderr}"


def pe_subsystem(exe: Path) -> int:
    """The subsystem field of a PE file's optional header (the same offset for PE32 and PE32+)."""
    head = exe.read_bytes()[:4096]
    pe = int.from_bytes(head[0x3C:0x40], "little")
    assert head[pe : pe + 4] == b"PE\0\0"
    return int.from_bytes(head[pe + 0x5C : pe + 0x5E], "little")


@pytest.fixture
def pc(windows_program: Path, tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """The Wine "PC": its environment, and the log of the default browser that records what it opens.

    A Windows PC opens ``.html`` files with its default browser; a fresh Wine prefix has no
    such association, so it is added. Wine hands what it opens to ``xdg-open``: ours records.
    """
    recorder = tmp_path / "bin"
    recorder.mkdir()
    log = tmp_path / "browser.log"
    (recorder / "xdg-open").write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{log}"\n')
    (recorder / "xdg-open").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))}
    env.update(WINEPREFIX=str(PREFIX), WINEARCH="win64", WINEDEBUG="-all", WINEDLLOVERRIDES="mscoree,mshtml=")
    env["PATH"] = f"{recorder}:{env['PATH']}"
    subprocess.run([WINE, "reg", "add", r"HKCR\.html", "/ve", "/d", "htmlfile", "/f"], env=env, capture_output=True)
    yield env, log
    subprocess.run([WINESERVER, "-k"], env=env, check=False)  # whatever still runs in the PC


def pc_temp() -> set[Path]:
    """What the PC's temp folders hold (the user's %TEMP% and the system's)."""
    return set(PREFIX.glob("drive_c/users/*/Temp/*")) | set(PREFIX.glob("drive_c/windows/temp/*"))


def entry_address(log: Path, process: subprocess.Popen[bytes], timeout: float, line: int = 0) -> str:
    """Where the default browser was sent (its ``line``-th page): the private forwarding page's target."""
    deadline = time.monotonic() + timeout
    while len(log.read_text().splitlines() if log.exists() else []) <= line:
        assert process.poll() is None, f"Passeport.exe stopped with code {process.returncode} and opened no page"
        assert time.monotonic() < deadline, "Passeport.exe opened no browser"
        time.sleep(0.2)
    opened = log.read_text().splitlines()[line]
    assert opened.startswith("file:///"), opened  # a page in the PC's temp folder, not the secret itself
    return forwarded_to(urllib.parse.unquote(opened))


def test_a_windows_folder_without_the_program_is_refused_before_anything_is_built(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "build_program", lambda force=False: pytest.fail("built anyway"))
    (tmp_path / "windows" / "App").mkdir(parents=True)
    with pytest.raises(SystemExit, match=r"Pas de programme Windows dans .* il faut Passeport\.exe"):
        build.main([str(tmp_path / "KEY"), "--windows", str(tmp_path / "windows")])
    assert not (tmp_path / "KEY").exists()


@pytest.mark.slow
def test_passeport_exe_on_a_fat_key_saves_a_step_and_word_documents(windows_program, linux_program, pc, tmp_path):
    need_root()
    env, browser_log = pc
    signed = signed_copy(windows_program, tmp_path)
    assert pe_subsystem(signed / "Passeport.exe") == GUI_SUBSYSTEM

    with fat_image(tmp_path, size_mb=300, cluster_kb=4) as mount:
        assert build.main([str(mount), "--windows", str(signed)]) == 0  # what staff run
        key = KeyPaths(mount)
        assert {"Passeport.exe", "Passeport", "LISEZ-MOI.html", "App"} <= {p.name for p in mount.iterdir()}
        assert (mount / "App" / "linux" / "passeport").is_file() and not (mount / "_internal").exists()
        shutil.copyfile(EXAMPLES / "formulaire-cio.toml", key.data / keyform.FORM_FILE)  # a structure's form
        shutil.copyfile(EXAMPLES / "modele-bilan-cio.docx", key.data / keyform.TEMPLATE_FILE)  # and Word template

        temp_before = pc_temp()
        started = time.monotonic()
        process = subprocess.Popen([WINE, str(mount / "Passeport.exe")], cwd=tmp_path, env=env, **NO_STDIO)
        try:
            first = entry_address(browser_log, process, timeout=180)
            browser = HttpSession(first)
            print(f"Passeport.exe showed its home page after {time.monotonic() - started:.1f} s")
            assert "Bienvenue" in browser.first_page
            assert "enregistré" in browser.post("/demarches/nouvelle", "/demarches/nouvelle", STEP)
            assert "est prêt et enregistré sur ta clé" in browser.post("/documents/", "/documents/suivi", {})
            assert "enregistré" in browser.post("/bilans/nouveau", "/bilans/nouveau", GOOD)
            made = browser.post("/documents/", "/documents/bilan", {})  # through docxtpl, inside the bundle
            assert "est prêt et enregistré sur ta clé" in made and "n&#39;a pas pu être utilisé" not in made

            # A second double-click finds the running passport (its pid through OpenProcess, its
            # port through the state file) and sends the browser there with a fresh entry secret.
            second = subprocess.Popen([WINE, str(mount / "Passeport.exe")], cwd=tmp_path, env=env, **NO_STDIO)
            again = entry_address(browser_log, second, timeout=120, line=1)
            assert again != first and "Bienvenue" in HttpSession(again).first_page
            assert second.wait(timeout=60) == 0  # it leaves once the browser got in

            assert "Tu peux retirer ta clé" in browser.post("/", "/terminer", {})
            assert process.wait(timeout=60) == 0
        finally:
            if process.poll() is None:
                process.kill()
        print(f"Passeport.exe session, start to exit: {time.monotonic() - started:.1f} s")

        steps = Passport(Store(key.data), forms.load(), load_directory()).steps()
        assert [step.get("action") for step in steps] == [STEP["action"]]
        [document] = key.exports.glob("suivi-*.docx")
        with zipfile.ZipFile(document) as docx:
            assert html.escape(STEP["action"], quote=False) in docx.read("word/document.xml").decode()
        [intake] = key.exports.glob("bilan-*.docx")
        assert GOOD["solution"] in docx_text(intake)
        assert "stopping: finished" in (key.logs / "passeport.log").read_text()
        assert not instance.state_file(key).exists()
        assert pc_temp() == temp_before, "files left in the PC's temp folder"

        # The same key, now on a Linux PC: its other program reads what the Windows one wrote.
        linux = subprocess.Popen(
            ["sh", str(mount / "Passeport"), "--no-browser"],
            cwd="/", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        try:
            assert html.escape(STEP["action"]) in HttpSession(first_line(linux)).get("/demarches/")
        finally:
            os.killpg(linux.pid, signal.SIGTERM)
            wait_for_exit(linux)

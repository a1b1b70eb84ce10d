"""The translation catalogues (locale/<lang>/LC_MESSAGES/django.po): regenerate, compile, check.

`make messages` (`python -m undersigned.catalogues update`) re-extracts every marked string of the public site,
the signers' pages and the emails into each catalogue (GNU gettext's xgettext, through `makemessages`): new
strings arrive untranslated, changed ones fuzzy, and `tests/test_catalogues.py` fails until a person translates
them. Only the `.po` files are kept in git; the `.mo` files Django reads are compiled from them by
`python -m undersigned.catalogues compile` (Babel, pure Python: no gettext needed to install, test or serve),
which `make run`/`make test`/`make serve` and the test suite run when a `.po` is newer than its `.mo`.

Out of the catalogues, and so of the check: the moderators' panel (`moderation/`, `templates/admin/`), which is
staff-facing and whose Django admin chrome has Django's own catalogues; the demo, tests and benches.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "locale"
# The languages besides English (the source language, which needs no catalogue). Keep in step with LANGUAGES.
TRANSLATED = ("fr", "es")
# Paths `makemessages` skips (glob patterns, relative to the checkout): what is not public- or signer-facing.
IGNORED = (
    "moderation/*",
    "templates/admin/*",
    "demo/*",
    "tests/*",
    "bench/*",
    "bin/*",
    "staticfiles/*",
    "locale/*",
    "node_modules/*",
)
# What the check copies to extract from: the sources, without the catalogues themselves or anything bulky.
_NOT_COPIED = shutil.ignore_patterns(
    ".*", "__pycache__", "locale", "staticfiles", "node_modules", "*.mo", "*.sqlite3", "bench", "tests"
)


def _makemessages(directory: Path, languages: Iterable[str]) -> None:
    """Run `makemessages` in `directory` (a checkout): it writes `directory/locale/<lang>/LC_MESSAGES/django.po`."""
    if shutil.which("xgettext") is None:
        raise RuntimeError("extracting strings needs GNU gettext's xgettext (Debian package `gettext`)")
    command = [sys.executable, "manage.py", "makemessages", "--no-obsolete", "--add-location=file"]
    command += [f"--locale={language}" for language in languages]
    command += [f"--ignore={pattern}" for pattern in IGNORED]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "undersigned.settings"}
    done = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True)  # noqa: S603 (our argv)
    if done.returncode != 0:
        raise RuntimeError(f"makemessages failed:\n{done.stdout}{done.stderr}")


def update() -> None:
    """Re-extract the marked strings into every shipped catalogue (new ones untranslated), then compile."""
    _makemessages(ROOT, TRANSLATED)
    compile_catalogues(force=True)


def compile_catalogues(force: bool = False) -> list[Path]:
    """Compile each `.po` whose `.mo` is missing or older (all with `force`); returns the `.mo` files written.

    Fuzzy entries are left out, as `msgfmt` does: a string whose source changed shows in English until
    someone checks its translation. Each file is written whole and renamed, so a running server or worker
    never reads half of one.
    """
    written = []
    for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        from babel.messages.mofile import write_mo  # only when there is work: a start-up with nothing to do stays quick

        catalog = read_catalogue(po)
        with tempfile.NamedTemporaryFile(dir=mo.parent, prefix=".django-", suffix=".mo", delete=False) as out:
            write_mo(out, catalog)
        os.chmod(out.name, 0o644)  # readable by the server's and the worker's users, like the .po
        os.replace(out.name, mo)
        written.append(mo)
    return written


def read_catalogue(path: Path, language: str = ""):
    from babel.messages.pofile import read_po

    with path.open("rb") as source:
        return read_po(source, locale=language or path.parent.parent.name)


def extracted(workdir: Path) -> dict:
    """Every string marked for translation in the sources as they are now: {(context, msgid): Message}.

    Extracted from a copy of the checkout, so the shipped catalogues are compared, never rewritten.
    """
    copy = workdir / "checkout"
    shutil.copytree(ROOT, copy, ignore=_NOT_COPIED, symlinks=True)
    _makemessages(copy, [TRANSLATED[0]])
    catalogue = read_catalogue(copy / "locale" / TRANSLATED[0] / "LC_MESSAGES" / "django.po")
    return {(message.context, message.id): message for message in catalogue if message.id}


def problems(language: str, wanted: dict, path: Path | None = None) -> list[str]:
    """What the shipped catalogue of `language` (or the one at `path`) lacks: missing, untranslated or fuzzy
    strings, broken placeholders."""
    path = path or LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    if not path.exists():
        return [f"{path} does not exist"]
    shipped = read_catalogue(path, language)
    found = []
    for (context, msgid), source in sorted(wanted.items(), key=lambda item: str(item[0])):
        message = shipped.get(msgid, context=context)
        where = ", ".join(sorted({filename for filename, _ in source.locations})) or "?"
        label = f"{language}: {msgid!r} ({where})"
        if message is None:
            found.append(f"{label}: missing")
        elif message.fuzzy:
            found.append(f"{label}: fuzzy (check the translation and remove the fuzzy flag)")
        elif not _translated(message):
            found.append(f"{label}: not translated")
        else:
            found += [f"{label}: {error}" for error in message.check(shipped)]
    return found


def _translated(message) -> bool:
    """Every form has a translation (a plural string has one per plural form of the language)."""
    forms = message.string if isinstance(message.string, tuple | list) else [message.string]
    return all(forms)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    action = sys.argv[1] if len(sys.argv) > 1 else "compile"
    if action == "update":
        update()
        print("Catalogues updated: translate the new or fuzzy entries in", ", ".join(TRANSLATED))
    elif action == "compile":
        for mo in compile_catalogues(force="--force" in sys.argv):
            print("compiled", mo.relative_to(ROOT))
    else:
        sys.exit("usage: python -m undersigned.catalogues [update|compile [--force]]")

"""`make test` fails when a French or Spanish catalogue lacks a string the public site, the signers' pages or the
emails use: the strings are extracted afresh from the sources (as `make messages` does) and each must be in
every shipped catalogue, translated, not fuzzy, with the same placeholders. Fix with `make messages`, then
translate what it reports (README, "Languages")."""

import shutil

import pytest

from tests.support.untranslated import untranslated_text
from undersigned import catalogues

# The public and signer-facing templates (emails included); the moderators' panel (templates/admin) is out of
# scope (docs/decisions.md). The 500 page uses no template tags at all, so it says its words in every language.
PUBLIC_TEMPLATES = [catalogues.ROOT / "front" / "templates", catalogues.ROOT / "templates"]
NOT_CHECKED = {"templates/500.html"}


@pytest.fixture(scope="module")
def marked_strings(tmp_path_factory) -> dict:
    if shutil.which("xgettext") is None:
        pytest.fail("the catalogue check needs GNU gettext's xgettext: apt-get install gettext (.ci/run does)")
    return catalogues.extracted(tmp_path_factory.mktemp("catalogues"))


def test_the_sources_mark_the_strings_of_the_public_pages_forms_and_emails(marked_strings):
    """The extraction sees the places the check is about (a broken extraction must not pass as "complete")."""
    files = {filename for message in marked_strings.values() for filename, _ in message.locations}
    for expected in [
        "templates/base.html",
        "front/templates/petitions/detail.html",
        "front/forms.py",
        "templates/signatures/email/confirmation.txt",
        "templates/signatures/email/confirmation.html",
        "templates/verification/email/challenge.html",
        "signatures/emails.py",
    ]:
        assert expected in files
    assert not any(name.startswith(("moderation/", "templates/admin/", "tests/")) for name in files)


@pytest.mark.parametrize("language", catalogues.TRANSLATED)
def test_every_marked_string_is_translated_in_the_shipped_catalogue(marked_strings, language):
    problems = catalogues.problems(language, marked_strings)
    assert not problems, "run `make messages` and translate:\n" + "\n".join(problems)


def test_the_check_reports_a_string_missing_from_a_catalogue(marked_strings):
    """The check itself can fail: a string no catalogue has is reported, naming where it is used."""
    extra = dict(marked_strings)
    message = next(iter(marked_strings.values()))
    probe = type(message)("A sentence nobody has translated yet.", locations=[("front/forms.py", None)])
    extra[(None, probe.id)] = probe
    [problem] = [p for p in catalogues.problems("fr", extra) if "A sentence nobody has translated yet." in p]
    assert "front/forms.py" in problem and "missing" in problem


def public_templates():
    for directory in PUBLIC_TEMPLATES:
        for path in sorted(directory.rglob("*")):
            name = str(path.relative_to(catalogues.ROOT))
            if path.is_file() and not name.startswith("templates/admin/") and name not in NOT_CHECKED:
                yield name, path


def test_no_public_template_shows_text_outside_a_translate_tag():
    """A string nobody marked never reaches a catalogue: the check above cannot see it, this one does."""
    found = {name: words for name, path in public_templates() if (words := untranslated_text(path.read_text()))}
    assert not found, "wrap in {% translate %} or {% blocktranslate %}:\n" + "\n".join(
        f"{name}: {words}" for name, words in found.items()
    )


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("<p>Hello</p>", ["Hello"]),
        ('<img alt="A cat" src="x">', ["A cat"]),
        ("<p>{% translate 'Hello' %} <a href=\"{{ url }}\">world</a></p>", ["world"]),
        ("{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}", []),
        ("{% comment %}Notes for developers{% endcomment %}<style>p { color: red }</style>", []),
        ("<code>&lt;iframe src=x&gt;</code> Undersigned", []),
    ],
)
def test_the_template_check_sees_words_outside_translate_tags_and_only_those(source, words):
    assert untranslated_text(source) == words


def test_the_check_reports_fuzzy_untranslated_and_broken_entries(marked_strings, tmp_path):
    source = next(iter(marked_strings.values()))
    make = type(source)
    wanted = {
        (None, "Fuzzy one"): make("Fuzzy one", locations=[("a.html", None)]),
        (None, "Empty one"): make("Empty one", locations=[("b.html", None)]),
        (None, ("%(n)s day", "%(n)s days")): make(("%(n)s day", "%(n)s days"), locations=[("c.txt", None)]),
        (None, "Hello %(name)s"): make("Hello %(name)s", flags=["python-format"], locations=[("d.txt", None)]),
    }
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
        '#, fuzzy\nmsgid "Fuzzy one"\nmsgstr "Un flou"\n\n'
        'msgid "Empty one"\nmsgstr ""\n\n'
        'msgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] "%(n)s jour"\nmsgstr[1] ""\n\n'
        '#, python-format\nmsgid "Hello %(name)s"\nmsgstr "Bonjour %(nom)s"\n',
        encoding="utf-8",
    )
    found = catalogues.problems("fr", wanted, path=po)
    assert len(found) == 4, found

    def about(text: str) -> str:
        [problem] = [problem for problem in found if text in problem]
        return problem

    assert about("Fuzzy one").endswith("fuzzy (check the translation and remove the fuzzy flag)")
    assert about("Empty one").endswith("not translated")
    assert about("%(n)s days").endswith("not translated")
    assert "name" in about("Hello %(name)s").split("d.txt)")[1]  # the translation lost the placeholder

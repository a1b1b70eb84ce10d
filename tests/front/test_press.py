"""A copy for the press: the exact text signed with its SHA-256, then the public signatories; as a page and a PDF."""

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from front import press
from petitions.models import Petition
from tests.support.factories import make_petition, make_roster_entry, make_signature

pytestmark = pytest.mark.django_db


def print_page(client, petition) -> str:
    response = client.get(f"/petitions/{petition.slug}/print/")
    assert response.status_code == 200 and response.streaming  # the names follow the text as they are read
    return b"".join(response.streaming_content).decode()


def test_the_print_page_shows_the_text_its_sha256_and_each_public_signatory_with_how_they_were_verified(
    client, letter, artists, settled
):
    make_roster_entry(artists, "Vera Verified", "vera@example.org")
    with settled():
        make_signature(letter, full_name="Vera Verified", email="vera@example.org", affiliation=artists)
        make_signature(letter, full_name="Uma Unknown", email="uma@example.org", affiliation=artists, role="Painter")
    make_signature(letter, full_name="Nora Noclaim", organisation="Studio N")
    make_signature(letter, full_name="Hidden Person", public=False)
    make_signature(letter, full_name="Not Yet", confirmed=False)
    page = print_page(client, letter)
    assert "We, the undersigned, ask for <strong>better</strong> things." in page
    assert letter.current_version.sha256 in page
    assert "Vera Verified</bdi> — Sora alpha artists: <span" in page and "verified by roster address" in page
    assert "Uma Unknown</bdi>, Painter — Sora alpha artists:" in page and "claimed, not verified" in page
    assert "Nora Noclaim</bdi> (Studio N)" in page
    assert "Hidden Person" not in page and "Not Yet" not in page
    assert "@example.org" not in page
    assert "4 confirmed signatures in all" in page
    # in the order they signed
    assert page.index("Vera Verified") < page.index("Uma Unknown") < page.index("Nora Noclaim")


def test_the_published_hash_is_the_sha256_of_the_plain_text_anyone_can_download(client):
    petition = make_petition(title="Fair terms", summary="Résumé ✓", body="Line one\r\nLine two\r\n")
    text = client.get(f"/petitions/{petition.slug}/letter.txt")
    assert text["Content-Type"] == "text/plain; charset=utf-8"
    assert text.content == "Fair terms\n\nRésumé ✓\n\nLine one\nLine two\n".encode()
    digest = hashlib.sha256(text.content).hexdigest()
    assert digest == text["X-Content-SHA256"] == petition.current_version.sha256
    assert digest in print_page(client, petition)


def test_a_letter_edited_after_publication_prints_the_current_text_and_names_the_earlier_versions(client, letter):
    early = make_signature(letter, full_name="Early Signer")
    first = letter.current_version
    letter.body = "We, the undersigned, ask for even better things."
    letter.save()
    letter.record_version()
    letter.refresh_from_db()
    make_signature(letter, full_name="Late Signer")
    page = print_page(client, letter)
    assert "even better things" in page
    assert letter.current_version.sha256 in page and first.sha256 in page
    early_line = page[page.index("Early Signer") :].split("</li>")[0]
    late_line = page[page.index("Late Signer") :].split("</li>")[0]
    assert "signed version 1" in early_line
    assert "signed version" not in late_line
    assert early.version_id == first.pk


def test_the_print_page_reads_counts_from_the_counters_and_signatories_by_key_without_count(client, letter):
    for _ in range(7):
        make_signature(letter)
    with CaptureQueriesContext(connection) as queries:
        page = print_page(client, letter)
    assert page.count("<li>") == 7
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert not [q["sql"] for q in queries if "OFFSET" in q["sql"].upper()]


def test_the_print_page_follows_new_signatures(client, letter):
    assert "Later Signer" not in print_page(client, letter)
    make_signature(letter, full_name="Later Signer")
    assert "Later Signer" in print_page(client, letter)


@pytest.mark.parametrize("path", ["print/", "letter.pdf", "letter.txt"])
def test_the_press_copy_of_an_unknown_or_draft_letter_is_not_found(client, path):
    draft = make_petition(status=Petition.Status.DRAFT)
    for slug in ("no-such-letter", draft.slug):
        assert client.get(f"/petitions/{slug}/{path}").status_code == 404


@pytest.mark.parametrize("path", ["print/", "letter.txt"])
def test_the_press_copy_refuses_writes(client, letter, path):
    assert client.post(f"/petitions/{letter.slug}/{path}").status_code == 405


def test_closed_and_archived_letters_keep_their_press_copy(client):
    for status in (Petition.Status.CLOSED, Petition.Status.ARCHIVED):
        petition = make_petition(status=status)
        assert petition.current_version.sha256 in print_page(client, petition)


def test_hostile_markdown_in_the_text_is_not_executed_on_the_print_page(client):
    petition = make_petition(body="<script>alert(1)</script>[x](javascript:alert(1)) ![i](http://10.0.0.1/x.png)")
    page = print_page(client, petition)
    assert "<script>alert" not in page and "javascript:" not in page


# The PDF: WeasyPrint lays out the same page.


@pytest.fixture
def weasyprint():
    return pytest.importorskip("weasyprint", reason="WeasyPrint and Pango are needed for the PDF")


def test_the_pdf_is_a_pdf_served_from_the_cache_and_laid_out_again_for_new_signatures(client, letter, weasyprint):
    make_signature(letter, full_name="First Signer")
    first = client.get(f"/petitions/{letter.slug}/letter.pdf")
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    assert first.content.startswith(b"%PDF-")
    again = client.get(f"/petitions/{letter.slug}/letter.pdf")
    assert again.content == first.content
    make_signature(letter, full_name="Second Signer")
    cache.delete(f"letter-pdf:{letter.pk}")  # as after REFRESH_SECONDS
    assert client.get(f"/petitions/{letter.slug}/letter.pdf").content != first.content


def test_the_pdf_is_laid_out_again_when_the_count_changes_after_a_minute(letter, weasyprint, monkeypatch):
    make_signature(letter)
    first = press.letter_pdf(letter)
    make_signature(letter)
    letter.refresh_from_db()
    assert press.letter_pdf(letter) == first  # less than a minute old: the same copy
    cached = cache.get(f"letter-pdf:{letter.pk}")
    cache.set(f"letter-pdf:{letter.pk}", {**cached, "made": cached["made"] - press.REFRESH_SECONDS - 1})
    assert press.letter_pdf(letter) != first


@override_settings(LETTER_PDF_MAX_SIGNATORIES=3)
def test_a_large_letter_s_pdf_lists_the_first_signatories_and_says_where_the_rest_are(letter):
    for n in range(5):
        make_signature(letter, full_name=f"Signer number {n}")
    html = "".join(press.print_html(letter, for_pdf=True))
    assert [n for n in range(5) if f"Signer number {n}<" in html] == [0, 1, 2]
    assert "This PDF lists the first 3 public signatories" in html
    assert f"/petitions/{letter.slug}/print/" in html
    assert "This PDF lists" not in "".join(press.print_html(letter))  # the page lists everyone


def test_while_one_request_lays_out_the_pdf_another_gets_a_retry_page_not_a_second_layout(client, letter):
    cache.add(f"letter-pdf-lock:{letter.pk}", 1)
    response = client.get(f"/petitions/{letter.slug}/letter.pdf")
    assert response.status_code == 503 and response["Retry-After"]
    assert "The PDF is not ready" in response.content.decode()


def test_laying_out_a_pdf_never_fetches_a_url(weasyprint):
    """Nothing in a letter may make the server call URLs (an internal service, a tracking pixel): Markdown
    images are removed today, and the PDF's layout would not fetch one even if a template let it through."""
    requests = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's hook name)
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        html = f'<img src="{url}/pixel.png" alt="x"><link rel="stylesheet" href="{url}/x.css"><a href="{url}/a">a</a>'
        assert press.pdf_from_html(html).startswith(b"%PDF-")
    finally:
        server.shutdown()
    assert requests == []


UNREACHABLE_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


def test_with_the_cache_down_the_pdf_is_refused_rather_than_laid_out_by_every_request(client, letter):
    with override_settings(CACHES=UNREACHABLE_CACHE):
        response = client.get(f"/petitions/{letter.slug}/letter.pdf")
        assert response.status_code == 503
        assert client.get(f"/petitions/{letter.slug}/print/").status_code == 200  # the page needs no cache

"""A form posted in a charset other than UTF-8 (or an unknown one) is answered 400 on every public POST, never
500: a bot or a broken client must not fill the error log or learn anything from a crash page."""

import pytest
from django.test import Client

from signatures import tokens
from signatures.models import Signature
from tests.support.factories import make_roster_entry
from verification.models import RosterChallenge

pytestmark = pytest.mark.django_db

CHARSETS = {
    "latin-1 with invalid UTF-8 bytes": ("latin-1", "full_name=Ad\xe9le&email=ad\xe9le@example.org&public=on"),
    "unknown charset": ("no-such-charset-x", "full_name=Ada&email=ada@example.org"),
    "utf-16": ("utf-16", "full_name=Ada&email=ada@example.org"),
    "utf-8 label with raw invalid bytes": ("utf-8", "full_name=\udcff\udcfe&email=ada@example.org"),
}


def encoded(text: str, charset: str) -> bytes:
    try:
        return text.encode(charset, errors="surrogateescape")
    except LookupError:
        return text.encode("latin-1")


@pytest.fixture
def public_posts(signer, letter, artists, settled) -> dict[str, str]:
    """Every public path that acts on a POST, with links that are valid."""
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    signer.sign(letter)
    pending = Signature.objects.get(email="ada@example.org")
    with settled():
        signer.sign(letter, full_name="Ana Castillo", email="ana.c@mail.example", affiliation=artists.slug)
        signer.post(signer.confirm_link("ana.c@mail.example"))
    challenge = RosterChallenge.objects.get()
    from verification import challenges

    return {
        "sign": f"/petitions/{letter.slug}/sign/",
        "confirm": f"/signatures/confirm/{tokens.confirm_token(pending)}/",
        "withdraw": f"/signatures/withdraw/{tokens.withdraw_token(pending)}/",
        "erase": f"/signatures/erase/{tokens.erase_token(pending)}/",
        "challenge": f"/signatures/challenge/{challenges.token(challenge)}/",
    }


def test_a_multipart_form_declaring_another_charset_is_answered_400(public_posts):
    client = Client(raise_request_exception=False)
    body = b'--zz\r\nContent-Disposition: form-data; name="full_name"\r\n\r\nAd\xe9le\r\n--zz--\r\n'
    for name, path in public_posts.items():
        response = client.generic("POST", path, body, content_type="multipart/form-data; boundary=zz; charset=latin-1")
        assert response.status_code == 400, name


@pytest.mark.parametrize("csrf", [False, True], ids=["no-csrf-check", "csrf-checked"])
@pytest.mark.parametrize("case", CHARSETS)
def test_a_form_in_a_charset_we_cannot_read_is_answered_400_on_every_public_post(public_posts, case, csrf):
    charset, text = CHARSETS[case]
    client = Client(enforce_csrf_checks=csrf, raise_request_exception=False)
    before = list(Signature.objects.order_by("pk").values_list("pk", "status", "full_name", "anonymised_at"))
    for name, path in public_posts.items():
        response = client.generic(
            "POST", path, encoded(text, charset), content_type=f"application/x-www-form-urlencoded; charset={charset}"
        )
        assert response.status_code == 400, (name, response.status_code)
    assert list(Signature.objects.order_by("pk").values_list("pk", "status", "full_name", "anonymised_at")) == before


def test_the_same_form_in_utf8_is_accepted_with_or_without_a_charset_label(signer, letter):
    body = b"full_name=Ad%C3%A9le+Dupr%C3%A9&email=adele%40example.org&public=on"
    for label in ("", "; charset=UTF-8", '; charset="utf-8"'):
        response = signer.client.generic(
            "POST", f"/petitions/{letter.slug}/sign/", body, content_type=f"application/x-www-form-urlencoded{label}"
        )
        assert response.status_code == 200, label
    assert Signature.objects.get().full_name == "Adéle Dupré"

"""Every email has a plain-text part and an HTML alternative saying the same, in the product's look, and neither
relays what a stranger typed: only the signer's name comes back, defanged."""

import re

import pytest
from django.core import mail

from tests.support.factories import make_petition, make_roster_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter(artists):
    return make_petition(title="Fair terms for artists", affiliations=[artists])


def parts(message) -> tuple[str, str]:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return message.body, html


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_confirmation_email_has_a_text_part_and_an_html_part_with_the_same_links(signer, letter):
    signer.sign(letter, full_name="Ada Lovelace", affiliation="sora-alpha-artist")
    [message] = mail.outbox
    text, html = parts(message)
    links = re.findall(r"https?://\S+/signatures/(?:confirm|withdraw)/[^/\s]+/", text)
    assert len(links) == 2
    for link in links:
        assert f'href="{link}"' in html
    assert "Confirm my signature" in html and "Ada Lovelace" in html and "Sora alpha artists" in html
    assert "<html" in html and "<style" not in html and "<script" not in html  # inline styles only: mail clients


def test_the_already_signed_email_has_an_html_part_too(signer, letter):
    signer.sign(letter)
    signer.post(signer.confirm_link("ada@example.org"))
    mail.outbox.clear()
    signer.sign(letter)
    [message] = mail.outbox
    text, html = parts(message)
    assert message.subject == "You have already signed: Fair terms for artists"
    assert "You have already signed" in text and "You have already signed" in visible(html)
    assert "/signatures/confirm/" not in html


def test_the_html_part_relays_no_attacker_text_but_an_escaped_defanged_name(signer, letter):
    signer.sign(
        letter,
        full_name='<a href="https://evil.example/reset">Click</a> https://evil.example/reset',
        email="victim@example.org",
        role="Visit evil.example",
        organisation="www.evil.example",
        comment="Your account is locked: https://evil.example/unlock",
    )
    [message] = mail.outbox
    text, html = parts(message)
    assert "evil.example" not in html and "evil.example" not in text
    assert "hxxps[:]//evil[.]example/reset" in html
    assert '<a href="https://evil' not in html and "&lt;a href=" in html
    assert "account is locked" not in html and "Visit" not in html


def test_the_roster_challenge_has_an_html_part_with_its_one_link(signer, letter, artists):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    signer.sign(letter, full_name="Ana Castillo", email="impostor@mail.example", affiliation=artists.slug)
    signer.post(signer.confirm_link("impostor@mail.example"))
    [message] = [m for m in mail.outbox if "ana@studio.example" in m.to]
    text, html = parts(message)
    [link] = re.findall(r"https?://\S+/signatures/challenge/[^/\s]+/", text)
    assert f'href="{link}"' in html
    assert "Yes, this was me" in html and "Ana Castillo" in html
    assert "impostor@mail.example" not in html


def test_emails_from_the_kept_parts_carry_each_signers_own_name_and_links_as_a_fresh_rendering_would(signer, letter):
    from django.conf import settings
    from django.urls import reverse

    from signatures import emails, tokens
    from signatures.models import Signature

    signer.sign(letter, full_name="Ada <Lovelace> & Co", email="ada@example.org")
    signer.sign(letter, full_name='Bob "O\'Hara" <b>', email="bob@example.org")  # from the parts kept for Ada's
    [_, kept] = mail.outbox
    bob = Signature.objects.get(email="bob@example.org")
    emails.send_email(  # rendered whole, with the Signature itself, as before the drafts
        to=bob.email,
        language=bob.language,
        subject=lambda: kept.subject,
        template="signatures/email/confirmation",
        context={
            "signature": bob,
            "name": emails.defanged(bob.full_name),
            "petition": letter,
            "petition_url": emails.absolute_url(letter.get_absolute_url()),
            "confirm_url": emails.absolute_url(reverse("signatures:confirm", args=[tokens.confirm_token(bob)])),
            "withdraw_url": emails.absolute_url(reverse("signatures:withdraw", args=[tokens.withdraw_token(bob)])),
            "erase_url": emails.absolute_url(reverse("signatures:erase", args=[tokens.erase_token(bob)])),
            "privacy_url": emails.absolute_url(reverse("petitions:privacy")),
            "confirm_days": settings.SIGNATURE_CONFIRM_MAX_AGE // 86400,
        },
    )
    fresh = mail.outbox[-1]

    def without_links(part: str) -> str:
        return re.sub(r"/signatures/(confirm|withdraw|erase)/[^/\s\"]+/", "/signatures/LINK/", part)

    assert [without_links(part) for part in parts(kept)] == [without_links(part) for part in parts(fresh)]
    assert kept.subject == fresh.subject and kept.to == ["bob@example.org"]
    text, html = parts(kept)
    assert 'Bob "O\'Hara" <b>' in text and "Bob &quot;O&#x27;Hara&quot; &lt;b&gt;" in html
    assert "Ada" not in text and "Ada" not in html and "\ue000" not in text + html
    signer.post(signer.confirm_link("bob@example.org"))
    bob.refresh_from_db()
    assert bob.status == Signature.Status.CONFIRMED
    assert Signature.objects.get(email="ada@example.org").status == Signature.Status.UNCONFIRMED


@pytest.mark.parametrize("name", ["signatures:confirm", "signatures:withdraw", "signatures:erase"])
def test_an_emailed_link_is_the_link_reverse_would_make(name, settings):
    """The emails keep each link's path around its token; the link must be reverse()'s to the byte, a token
    reverse() would quote included (that one goes through reverse())."""
    from django.urls import get_script_prefix, get_urlconf, reverse, set_script_prefix

    from signatures import emails, tokens

    made = [tokens.make_token(n, tokens.CONFIRM, "f" * 24) for n in (1, 42, 10**12)]
    for token in [*made, "a:b-c_D", "needs quoting?#", "é"]:
        assert emails.token_url(name, token) == emails.absolute_url(reverse(name, args=[token]))
    settings.SITE_URL = "https://letters.example"
    assert emails.token_url(name, made[0]) == f"https://letters.example{reverse(name, args=[made[0]])}"
    # The script prefix and URLconf read once by the caller for several links (as the confirmation email does).
    set_script_prefix("/letters/")
    try:
        place = (get_script_prefix(), get_urlconf())
        for token in [made[1], "needs quoting?#"]:
            assert emails.token_url(name, token, place) == emails.absolute_url(reverse(name, args=[token]))
        assert emails.token_url(name, made[1], place).startswith("https://letters.example/letters/")
    finally:
        set_script_prefix("/")

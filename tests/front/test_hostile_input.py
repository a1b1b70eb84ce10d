"""Hostile names and addresses get a clear answer on the signing form, never a 500 and never a match."""

import pytest

from signatures.models import Signature
from tests.support.factories import make_roster_entry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("email", "says"),
    [
        ("ana@stu\u00addio.example", "soft hyphen"),
        ("ana@stu\u200bdio.example", "ZERO WIDTH SPACE"),
        ("ana@ｓｔｕｄｉｏ.example", "FULLWIDTH"),
        ("ana@studio.example\u202e", "RIGHT-TO-LEFT OVERRIDE"),
        ("an\u200fa@studio.example", "valid email address"),
        ("ána@studio.example", "valid email address"),
        ("a" * 1000 + "@studio.example", "254"),
    ],
)
def test_a_disguised_or_oversized_address_is_refused_with_a_clear_error(signer, letter, artists, email, says):
    response = signer.sign(letter, email=email, affiliation=artists.slug)
    assert response.status_code == 400
    assert says.lower() in response.content.decode().lower()
    assert not Signature.objects.exists()


@pytest.mark.parametrize(
    "name",
    [
        "A" * 1000,
        "Ana\u200b Castillo" * 50,
        "\u202eollitsaC anA" * 20,
    ],
)
def test_an_overlong_name_is_refused_with_a_clear_error(signer, letter, artists, name):
    response = signer.sign(letter, full_name=name, affiliation=artists.slug)
    assert response.status_code == 400
    assert "at most 120 characters" in response.content.decode()


@pytest.mark.parametrize("name", ["\u200b\u200d\ufeff", "\u202e\u202d", "🙂🙂", "---"])
def test_a_name_with_no_letters_is_refused(signer, letter, name):
    response = signer.sign(letter, full_name=name)
    assert response.status_code == 400
    assert "Please enter your name" in response.content.decode()


@pytest.mark.parametrize(
    "name",
    [
        "Ana\u200b Castillo",  # a zero-width space inside
        "Ana \u202eCastillo",  # a right-to-left override
        "Ana\u00ad Castillo",  # a soft hyphen
    ],
)
def test_invisible_characters_are_removed_from_a_name_before_it_is_stored(signer, letter, artists, name):
    signer.sign(letter, full_name=name, affiliation=artists.slug)
    assert Signature.objects.get().full_name == "Ana Castillo"


def test_a_homoglyph_name_can_only_send_a_challenge_to_the_real_member(signer, letter, artists):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    signer.sign(letter, full_name="Аna Cаstillo", email="mallory@mail.example", affiliation=artists.slug)  # Cyrillic а
    signer.post(signer.confirm_link("mallory@mail.example"))
    signature = Signature.objects.get()
    assert signature.verification in (Signature.Verification.PENDING, Signature.Verification.UNVERIFIED)
    assert signature.challenges.filter(address="mallory@mail.example").count() == 0


def test_an_arabic_name_is_stored_and_shown_as_typed(signer, client, letter, artists):
    signer.sign(letter, full_name="ليلى أحمد", email="layla@mail.example", affiliation=artists.slug)
    signer.post(signer.confirm_link("layla@mail.example"))
    assert "ليلى أحمد" in client.get(f"/petitions/{letter.slug}/signatures/").content.decode()

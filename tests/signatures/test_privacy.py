"""No public page or API response shows an email address, or the name of a signer who is not public."""

import re

import pytest

from signatures import services, tokens
from signatures.listing import PUBLIC_VERIFICATIONS
from signatures.models import Signature
from tests.support.factories import make_affiliation, make_petition, make_roster_entry, make_signature

pytestmark = pytest.mark.django_db

MAIL_DOMAIN = "private-mailbox.example"
EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


@pytest.fixture
def letter(settled):
    artists = make_affiliation("sora-alpha-artist", name="Sora alpha artists", email_domains="studio.example")
    writers = make_affiliation("writers", name="Writers")
    letter = make_petition(title="A letter", affiliations=[artists, writers])
    make_roster_entry(artists, "Shown Verified", f"shown.verified@{MAIL_DOMAIN}")
    make_roster_entry(artists, "Shown Reviewed", "someone.else@example.net")
    with settled():
        for name, fields in {
            "Shown Verified": {"affiliation": artists},
            "Shown Reviewed": {"affiliation": artists},
            "Shown Claimed": {"affiliation": writers},
            "Shown Plain": {},
            "Hidden Private": {"affiliation": artists, "public": False},
            "Hidden Unconfirmed": {"affiliation": artists, "confirmed": False},
            "Hidden Withdrawn": {"affiliation": writers},
            "Hidden Rejected": {"affiliation": artists},
        }.items():
            make_signature(letter, full_name=name, email=f"{name.lower().replace(' ', '.')}@{MAIL_DOMAIN}", **fields)
        services.withdraw(Signature.objects.get(full_name="Hidden Withdrawn").pk)
        services.reject(Signature.objects.get(full_name="Hidden Rejected"))
    return letter


def public_responses(client, letter) -> dict[str, str]:
    """Every page and API response the public can reach for this letter, by what was asked."""
    slug = letter.slug
    asked = {"/": {}, f"/petitions/{slug}/": {}, f"/api/petitions/{slug}/": {}}
    filters = [{}, {"affiliation": "sora-alpha-artist"}, {"affiliation": "writers"}]
    filters += [{"verification": value} for value in PUBLIC_VERIFICATIONS]
    for query in filters:
        asked[f"/petitions/{slug}/signatures/?{'&'.join(f'{k}={v}' for k, v in query.items())}"] = query
        asked[f"/api/petitions/{slug}/signatures/?{'&'.join(f'{k}={v}' for k, v in query.items())}"] = query
    for signature in Signature.objects.filter(petition=letter).exclude(status="rejected"):
        if signature.status == "confirmed":
            asked[f"/signatures/confirm/{tokens.confirm_token(signature)}/"] = {}
        asked[f"/signatures/withdraw/{tokens.withdraw_token(signature)}/"] = {}
    responses = {}
    for path in asked:
        response = client.get(path)
        assert response.status_code == 200, path
        responses[path] = response.content.decode()
    return responses


def test_no_public_response_shows_an_email_address(client, letter):
    for path, content in public_responses(client, letter).items():
        assert MAIL_DOMAIN not in content, path
        assert not EMAIL_ADDRESS.search(content), path


def test_no_public_response_names_a_signer_who_is_not_public(client, letter):
    responses = public_responses(client, letter)
    for path, content in responses.items():
        assert "Hidden" not in content, path
    everything = "".join(responses.values())
    for shown in ("Shown Verified", "Shown Reviewed", "Shown Claimed", "Shown Plain"):
        assert shown in everything


def test_the_public_counts_include_the_private_signer(client, letter):
    assert client.get(f"/api/petitions/{letter.slug}/").json()["counts"]["confirmed"] == 5

"""Moderators, petitions and claims for the moderator panel's tests."""

import pytest
from django.contrib.auth.models import Group

from signatures.models import Signature
from teams.scope import MODERATORS_GROUP
from tests.support.factories import (
    PASSWORD,
    make_affiliation,
    make_moderator,
    make_organiser,
    make_petition,
    make_roster_entry,
    make_signature,
    make_user,
)

__all__ = ["PASSWORD", "make_moderator"]


@pytest.fixture(autouse=True)
def moderators_group(db):
    """The group migrate creates (post_migrate), with exactly the moderators' permissions."""
    return Group.objects.get(name=MODERATORS_GROUP)


@pytest.fixture
def letter_a(artists):
    return make_petition(title="Letter A about artists", slug="letter-a", affiliations=[artists])


@pytest.fixture
def letter_b():
    writers = make_affiliation("writers-guild", name="Writers guild")
    return make_petition(title="Letter B about writers", slug="letter-b", affiliations=[writers])


@pytest.fixture
def moderator(letter_a):
    return make_moderator("mod-a@example.org", [letter_a])


@pytest.fixture
def keeper(letter_a, artists):
    """Letter A's organiser, who keeps the artists' roster (and its domain policy)."""
    return make_organiser("org-a@example.org", [letter_a], keeps=[artists])


@pytest.fixture
def superuser():
    return make_user("root@example.org", superuser=True, password=PASSWORD)


@pytest.fixture
def review_claim(letter_a, artists, settled):
    """A confirmed claim whose only evidence is a similar name, and whose candidates have no roster address (so
    no challenge can settle it): it waits in the review queue."""
    make_roster_entry(artists, "Ana Núñez", external_id="A-17", handles="@ana_nunez")
    make_roster_entry(artists, "Ana M. Nunez", external_id="A-18")
    with settled():
        signature = make_signature(
            letter_a,
            full_name="Ana Nunez",
            email="ana.nunez@mail.example",
            affiliation=artists,
            role="Concept artist",
            organisation="Studio Kite",
        )
    signature.refresh_from_db()
    assert signature.verification == Signature.Verification.NEEDS_REVIEW
    return signature

import pytest

from tests.factories import make_affiliation, make_petition


@pytest.fixture
def artists():
    return make_affiliation("sora-alpha-artist", name="Sora alpha artists")


@pytest.fixture
def letter(artists):
    """An open letter on which signers may claim `artists`."""
    return make_petition(affiliations=[artists])

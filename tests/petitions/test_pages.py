import pytest

from petitions.models import Petition
from tests.factories import make_affiliation, make_petition, make_signature

pytestmark = pytest.mark.django_db


def test_index_lists_open_petitions_only(client):
    make_petition(title="Open one")
    make_petition(title="Still a draft", status=Petition.Status.DRAFT)
    make_petition(title="Closed one", status=Petition.Status.CLOSED)
    page = client.get("/").content.decode()
    assert "Open one" in page
    assert "Still a draft" not in page
    assert "Closed one" not in page


def test_detail_shows_counts_per_affiliation(client):
    artists = make_affiliation("sora-alpha-artist", name="Sora alpha artists")
    petition = make_petition(affiliations=[artists])
    make_signature(petition, affiliation=artists)
    make_signature(petition)
    response = client.get(petition.get_absolute_url())
    assert response.status_code == 200
    assert response.context["petition"].signature_count == 2
    assert response.context["counts"] == [{"affiliation": artists, "claimed": 1, "verified": 0}]


def test_draft_petition_is_not_found(client):
    petition = make_petition(status=Petition.Status.DRAFT)
    assert client.get(petition.get_absolute_url()).status_code == 404

"""Each signature records the version of the text its signer saw."""

import pytest

from petitions.models import Petition
from signatures.models import Signature
from tests.support.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db


def edit_text(petition, body: str):
    petition.body = body
    petition.save(update_fields=["body"])
    return petition.record_version()


def hidden_version(response) -> str:
    return response.context["form"]["version"].value()


def test_signature_records_the_version_on_the_page(signer, client):
    petition = make_petition()
    page = client.get(petition.get_absolute_url())
    assert 'name="version" value="1"' in page.content.decode()
    signer.sign(petition, version=hidden_version(page))
    assert Signature.objects.get().version.number == 1


def test_editing_an_open_petition_makes_version_two_and_new_signers_record_it(signer, client):
    petition = make_petition()
    version = edit_text(petition, "We now ask for **more**.")
    assert version.number == 2
    page = client.get(petition.get_absolute_url())
    assert 'name="version" value="2"' in page.content.decode()
    assert "<strong>more</strong>" in page.content.decode()
    signer.sign(petition, version=hidden_version(page))
    assert Signature.objects.get().version.number == 2
    assert client.get(f"/api/petitions/{petition.slug}/").json()["version"] == 2


def test_saving_the_same_text_again_makes_no_new_version():
    petition = make_petition()
    assert edit_text(petition, petition.body).number == 1


def test_a_stale_page_records_the_version_it_showed(signer, client):
    petition = make_petition()
    stale = client.get(petition.get_absolute_url())
    edit_text(petition, "Changed while the signer was reading.")
    signer.sign(petition, version=hidden_version(stale))
    assert Signature.objects.get().version.number == 1


@pytest.mark.parametrize("posted", [None, "", "99"])
def test_missing_or_unknown_version_records_the_current_one(signer, posted):
    petition = make_petition()
    edit_text(petition, "Version two.")
    assert signer.sign(petition, version=posted).status_code == 200
    assert Signature.objects.get().version.number == 2


def test_version_of_another_petition_is_not_recorded(signer):
    other = make_petition()
    edit_text(other, "Other two.")
    edit_text(other, "Other three.")
    petition = make_petition()
    signer.sign(petition, version="3")
    signature = Signature.objects.get()
    assert (signature.version.petition, signature.version.number) == (petition, 1)


def test_saving_a_stale_copy_of_a_petition_keeps_its_signature_count_and_version():
    petition = make_petition()
    stale = Petition.objects.get(pk=petition.pk)
    make_signature(petition)
    petition.body = "A new text."
    petition.record_version()

    stale.title = "Renamed from an old form"
    stale.save()

    fresh = Petition.objects.get(pk=petition.pk)
    assert (fresh.title, fresh.signature_count, fresh.current_version.number) == ("Renamed from an old form", 1, 2)

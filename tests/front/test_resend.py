""" "Didn't get the email?": the confirmation link again, for an unconfirmed signature only; the same page and the
same work whether or not the address signed; limited per IP and per address; bad input refused plainly."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client, override_settings

from petitions.models import Petition
from signatures import outbox, services
from signatures.models import OutgoingConfirmation, Signature
from tests.support.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db

RESEND = "/signatures/resend/"


@pytest.fixture
def letter(artists):
    return make_petition(title="Fair terms for artists", affiliations=[artists])


def ask(signer, letter, email: str, **extra):
    return signer.post(RESEND, {"email": email, "petition": letter.slug, **extra})


def test_the_check_your_email_page_links_to_the_resend_page_with_the_petition_chosen(signer, letter):
    page = signer.sign(letter).content.decode()
    assert f'href="/signatures/resend/?petition={letter.slug}"' in page
    form = signer.get(RESEND, petition=letter.slug).content.decode()
    assert f'<option value="{letter.slug}" selected>' in form


def test_an_unconfirmed_signer_gets_the_confirmation_email_again_and_can_confirm_with_it(signer, letter):
    signer.sign(letter, email="ada@example.org")
    mail.outbox.clear()
    response = ask(signer, letter, "ADA@example.org")
    assert response.status_code == 200
    [message] = signer.emails_to("ada@example.org")
    assert message.subject == "Confirm your signature: Fair terms for artists"
    assert message.alternatives  # the HTML part too
    signer.post(signer.confirm_link("ada@example.org"))
    assert Signature.objects.get().status == "confirmed"


def test_the_email_is_resent_in_the_language_the_signer_signed_in(signer, letter):
    signer.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    signer.sign(letter, email="ada@example.org")
    mail.outbox.clear()
    signer.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # asked for again from an English page
    ask(signer, letter, "ada@example.org")
    [message] = mail.outbox
    assert message.subject.startswith("Confirmez votre signature")


@pytest.mark.parametrize("state", ["none", "confirmed", "withdrawn", "rejected", "other petition"])
def test_the_page_is_the_same_whether_or_not_the_address_has_an_unconfirmed_signature(signer, letter, state):
    other = make_petition(title="Another letter")
    if state != "none":
        signature = make_signature(
            other if state == "other petition" else letter,
            email="grace@example.org",
            confirmed=state != "other petition",
        )
        if state == "withdrawn":
            services.withdraw(signature.pk)
        if state == "rejected":
            services.reject(signature)
    make_signature(letter, email="pending@example.org", confirmed=False)
    OutgoingConfirmation.objects.all().delete()  # the emails of those signings were delivered
    mail.outbox.clear()
    pending = ask(signer, letter, "pending@example.org")
    asked = ask(signer, letter, "grace@example.org")
    assert (
        (asked.status_code, asked["Content-Type"])
        == (pending.status_code, pending["Content-Type"])
        == (
            200,
            "text/html; charset=utf-8",
        )
    )
    assert asked.content == pending.content
    assert signer.emails_to("grace@example.org") == []  # only an unconfirmed signature gets its link again
    assert len(signer.emails_to("pending@example.org")) == 1


def test_the_page_queues_the_same_work_whether_or_not_the_address_signed(letter, django_capture_on_commit_callbacks):
    make_signature(letter, email="pending@example.org", confirmed=False)
    client = Client()
    queued = []
    for address in ["pending@example.org", "nobody@example.org"]:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            client.post(RESEND, {"email": address, "petition": letter.slug})
        queued.append(len(callbacks))
    assert queued == [1, 1]


def test_a_resend_request_is_owed_in_the_outbox_so_no_outage_loses_it(letter, django_capture_on_commit_callbacks):
    """The same door as signing: the request records the email owed (the worker and the sweeper send it), and
    nothing for an address without an unconfirmed signature on that petition."""
    pending = make_signature(letter, email="pending@example.org", confirmed=False)
    make_signature(letter, email="confirmed@example.org", confirmed=True)
    OutgoingConfirmation.objects.all().delete()  # the emails of those signings were delivered
    client = Client()
    for address in ["PENDING@example.org", "confirmed@example.org", "nobody@example.org"]:
        with django_capture_on_commit_callbacks(execute=False):  # the broker is down: nothing is sent now
            assert client.post(RESEND, {"email": address, "petition": letter.slug}).status_code == 200
    assert list(OutgoingConfirmation.objects.values_list("signature_id", flat=True)) == [pending.pk]
    assert mail.outbox == []
    assert outbox.send_due(older_than=timedelta(0)).sent == 1  # the sweeper, once the outage is over
    assert [m.to for m in mail.outbox] == [["pending@example.org"]]


def test_asking_again_while_the_email_is_owed_still_owes_one_email(signer, letter):
    make_signature(letter, email="ada@example.org", confirmed=False)  # its email not sent yet
    mail.outbox.clear()
    ask(signer, letter, "ada@example.org")
    assert len(signer.emails_to("ada@example.org")) == 1
    assert not OutgoingConfirmation.objects.exists()


def test_one_address_is_limited_whatever_its_spelling(signer, letter, settings):
    settings.RESEND_RATE_PER_EMAIL = "2/h"
    make_signature(letter, email="ada@example.org", confirmed=False)
    statuses = [
        ask(signer, letter, email).status_code for email in ["ada@example.org", "ADA+x@Example.org", "ada@example.org"]
    ]
    assert statuses == [200, 200, 429]
    assert "Too many attempts" in ask(signer, letter, "ada@example.org").content.decode()
    assert len(signer.emails_to("ada@example.org")) == 2
    assert ask(signer, letter, "someone.else@example.org").status_code == 200


def test_one_ip_is_limited_across_addresses(signer, letter, settings):
    settings.RESEND_RATE_PER_IP = "3/h"
    statuses = [ask(signer, letter, f"person{n}@example.org").status_code for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert 0 < int(ask(signer, letter, "person9@example.org")["Retry-After"]) <= 3600


def test_invalid_posts_count_against_the_limits_too(signer, letter, settings):
    settings.RESEND_RATE_PER_IP = "2/h"
    assert [ask(signer, letter, "not an address").status_code for _ in range(3)] == [400, 400, 429]


def test_showing_the_form_is_not_limited(signer, settings):
    settings.RESEND_RATE_PER_IP = "1/h"
    assert [signer.get(RESEND).status_code for _ in range(3)] == [200, 200, 200]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "This field is required."),
        ({"email": "", "petition": ""}, "This field is required."),
        ({"email": "ada@example.org", "petition": ""}, "This field is required."),
        ({"email": "", "petition": "LETTER"}, "This field is required."),
        ({"email": "a" * 300 + "@example.org", "petition": "LETTER"}, "at most 254 characters"),
        ({"email": "ada@example.org", "petition": "x" * 5000}, "Select a valid choice."),
        ({"email": "ada example.org", "petition": "LETTER"}, "Enter a valid email address"),
        ({"email": "ada@@example.org", "petition": "LETTER"}, "Enter a valid email address"),
        ({"email": "ada@exam\u202eple.org", "petition": "LETTER"}, "text-direction mark"),
        ({"email": "ada@example.org\r\nBcc: victim@example.org", "petition": "LETTER"}, "Enter a valid email address"),
        ({"email": "<script>alert(1)</script>@example.org", "petition": "LETTER"}, "Enter a valid email address"),
        ({"email": "ada@example.org", "petition": "no-such-letter"}, "Select a valid choice."),
        ({"email": "ada@example.org", "petition": "' OR 1=1 --"}, "Select a valid choice."),
    ],
)
def test_bad_input_gets_the_form_again_with_a_plain_error_and_sends_nothing(signer, letter, data, error):
    data = {name: value.replace("LETTER", letter.slug) for name, value in data.items()}
    response = signer.post(RESEND, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was sent" in page and error in page
    assert "<script>alert" not in page
    assert mail.outbox == []


def test_a_draft_or_closed_petition_cannot_be_chosen(signer, letter):
    for status in ["draft", "closed"]:
        petition = make_petition(title=f"A {status} letter")
        make_signature(petition, email="ada@example.org", confirmed=False)
        Petition.objects.filter(pk=petition.pk).update(status=status)
        assert ask(signer, petition, "ada@example.org").status_code == 400
        assert petition.title not in signer.get(RESEND).content.decode()
    assert mail.outbox == []


@pytest.mark.parametrize("query", ["x" * 5000, "<script>alert(1)</script>", "%00", "a&petition=b"])
def test_a_hostile_petition_in_the_link_still_shows_the_form(signer, letter, query):
    response = signer.client.get(RESEND, {"petition": query})
    assert response.status_code == 200
    assert "<script>alert" not in response.content.decode()


def test_the_form_posts_only_with_its_csrf_token(letter):
    response = Client(enforce_csrf_checks=True).post(RESEND, {"email": "ada@example.org", "petition": letter.slug})
    assert response.status_code == 403
    assert mail.outbox == []


def test_the_page_is_in_the_readers_language(letter):
    page = Client(headers={"accept-language": "es"}).get(RESEND).content.decode()
    assert "¿No ha recibido el correo?" in page and "Enviar el enlace de nuevo" in page


def test_the_page_still_answers_when_the_rate_limit_cache_is_down(signer, letter):
    make_signature(letter, email="ada@example.org", confirmed=False)
    unreachable = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    with override_settings(CACHES=unreachable):
        assert ask(signer, letter, "ada@example.org").status_code == 200
    assert len(signer.emails_to("ada@example.org")) == 1

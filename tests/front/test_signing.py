import re
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from front.forms import SignatureForm
from petitions.models import Petition
from signatures import services
from signatures.models import Signature
from tests.support.factories import make_affiliation, make_petition, make_signature
from tests.support.signer import form

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter(artists):
    return make_petition(title="Fair terms for artists", affiliations=[artists])


def test_signing_stores_one_unconfirmed_signature_on_the_current_version(signer, letter, artists):
    response = signer.sign(letter, affiliation="sora-alpha-artist", role="Painter", organisation="Studio")
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    [signature] = Signature.objects.filter(petition=letter)
    assert signature.status == "unconfirmed"
    assert signature.verification == "pending"
    assert signature.version == letter.current_version
    assert (signature.full_name, signature.email, signature.affiliation) == ("Ada Lovelace", "ada@example.org", artists)
    assert (signature.role, signature.organisation, signature.public) == ("Painter", "Studio", True)
    letter.refresh_from_db()
    assert letter.signature_count == 0


def test_signing_emails_a_confirm_link_and_a_withdraw_link(signer, letter):
    signer.sign(letter, email="ada@example.org")
    [message] = signer.emails_to("ada@example.org")
    assert message.subject == "Confirm your signature: Fair terms for artists"
    links = signer.links("ada@example.org")
    assert signer.get(links["confirm"]).status_code == 200
    assert signer.post(links["confirm"]).status_code == 200
    assert Signature.objects.get().status == "confirmed"
    assert signer.get(links["withdraw"]).status_code == 200


def test_confirmation_email_shows_the_name_and_claim_and_the_page_shows_the_rest(signer, letter):
    signer.sign(letter, full_name="Ada Lovelace", affiliation="sora-alpha-artist", role="Painter", comment="Yes.")
    [message] = signer.emails_to("ada@example.org")
    assert "Name: Ada Lovelace" in message.body
    assert "Affiliation you claim: Sora alpha artists" in message.body
    page = signer.get(signer.confirm_link("ada@example.org")).content.decode()
    assert "Painter" in page and "Yes." in page


def test_the_confirmation_email_relays_no_attacker_text_but_a_defanged_name(signer, letter):
    signer.sign(
        letter,
        full_name="Click https://evil.example/reset now",
        email="victim@example.org",
        role="Visit evil.example",
        organisation="www.evil.example",
        comment="Your account is locked: https://evil.example/unlock",
    )
    [message] = signer.emails_to("victim@example.org")
    assert "evil.example" not in message.body
    assert "hxxps[:]//evil[.]example/reset" in message.body
    assert "account is locked" not in message.body


def test_initials_in_a_name_are_left_alone(signer, letter):
    signer.sign(letter, full_name="J.R.R. Tolkien")
    [message] = signer.emails_to("ada@example.org")
    assert "Hello J.R.R. Tolkien," in message.body


def test_unticked_public_box_stores_a_private_signature(signer, letter):
    assert signer.sign(letter, public=None).status_code == 200
    assert Signature.objects.get().public is False


@pytest.mark.parametrize("state", ["unconfirmed", "confirmed", "withdrawn", "rejected"])
def test_response_is_the_same_whether_or_not_the_address_already_signed(signer, letter, state):
    earlier = make_signature(letter, email="grace@example.org", confirmed=state != "unconfirmed")
    if state == "withdrawn":
        services.withdraw(earlier.pk)
    if state == "rejected":
        services.reject(earlier)
    fresh = signer.sign(letter, full_name="Grace Hopper", email="someone.new@example.org")
    again = signer.sign(letter, full_name="Grace Hopper", email="grace@example.org")
    assert (again.status_code, again["Content-Type"]) == (fresh.status_code, fresh["Content-Type"])
    assert again.content == fresh.content
    assert Signature.objects.filter(petition=letter, email_key="grace@example.org").count() == 1


def test_signing_again_when_confirmed_changes_nothing_and_says_so_by_email(signer, letter):
    signature = make_signature(letter, full_name="Grace Hopper", email="grace@example.org", comment="First")
    signer.sign(letter, full_name="Someone Else", email="grace@example.org", comment="Second")
    signature.refresh_from_db()
    assert (signature.status, signature.full_name, signature.comment) == ("confirmed", "Grace Hopper", "First")
    [message] = signer.emails_to("grace@example.org")
    assert message.subject.startswith("You have already signed")
    assert "confirm" not in signer.links("grace@example.org")


@pytest.mark.parametrize(
    "second_address", ["ADA.Lovelace@Gmail.com", "adalovelace+letter@gmail.com", "a.d.a.lovelace@googlemail.com"]
)
def test_same_mailbox_written_differently_does_not_create_a_second_row(signer, letter, second_address):
    signer.sign(letter, email="ada.lovelace@gmail.com")
    assert signer.sign(letter, email=second_address).status_code == 200
    assert Signature.objects.filter(petition=letter).count() == 1


@pytest.mark.django_db(transaction=True)
@override_settings(SIGN_RATE_PER_EMAIL="100/h", SIGN_RATE_PER_IP="100/h")
def test_concurrent_submissions_of_one_address_store_one_signature(letter):
    threads, statuses, barrier = 6, [], threading.Barrier(6, timeout=30)

    def submit():
        try:
            client = Client()
            barrier.wait()
            statuses.append(client.post(f"/petitions/{letter.slug}/sign/", form(email="race@example.org")).status_code)
        finally:
            connection.close()

    workers = [threading.Thread(target=submit) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert statuses == [200] * threads
    assert Signature.objects.filter(petition=letter, email_key="race@example.org").count() == 1


INVALID = [
    ("full_name", {"full_name": ""}),
    ("full_name", {"full_name": None}),
    ("full_name", {"full_name": "A" * 121}),
    ("full_name", {"full_name": "!!! ... ---"}),
    ("full_name", {"full_name": "Ada\x00Lovelace"}),
    ("email", {"email": None}),
    ("email", {"email": ""}),
    ("email", {"email": "not-an-address"}),
    ("email", {"email": "ada@example.org\nBcc: victim@example.org"}),
    ("email", {"email": "a" * 250 + "@example.org"}),
    ("affiliation", {"affiliation": "not-offered-here"}),
    ("affiliation", {"affiliation": "no-such-group"}),
    ("role", {"role": "R" * 121}),
    ("organisation", {"organisation": "O" * 121}),
    ("comment", {"comment": "C" * 1001}),
    ("public", {"public": "maybe"}),
    ("version", {"version": "abc"}),
    ("version", {"version": "0"}),
    ("version", {"version": "-1"}),
    ("version", {"version": "99999999999999999999999"}),
]


@pytest.mark.parametrize(("field", "overrides"), INVALID, ids=[f"{f}-{i}" for i, (f, _) in enumerate(INVALID)])
def test_invalid_input_rerenders_the_form_with_the_error_and_stores_nothing(signer, letter, field, overrides):
    make_affiliation("not-offered-here")
    response = signer.sign(letter, **overrides)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    page = response.content.decode()
    assert "Your signature was not stored" in page
    assert '<form method="post"' in page
    assert Signature.objects.count() == 0
    assert signer.emails_to("ada@example.org") == []


def test_invalid_form_keeps_what_the_signer_typed(signer, letter):
    response = signer.sign(letter, email="broken", full_name="Ada Lovelace", comment="Keep me")
    page = response.content.decode()
    assert 'value="Ada Lovelace"' in page
    assert "Keep me" in page


def _shared_fields() -> dict:
    """What a form could change of the fields its class shares (front.forms.SharedFields), copied to compare."""
    copied = lambda value: value.copy() if isinstance(value, (dict, list)) else value  # noqa: E731
    return {
        name: ({k: copied(v) for k, v in vars(field).items()}, {k: copied(v) for k, v in vars(field.widget).items()})
        for name, field in SignatureForm.base_fields.items()
    }


def test_signing_forms_leave_the_fields_they_share_as_declared_and_each_offers_its_own_petitions_choices(
    signer, letter
):
    """The declared fields are shared by every form and thread (a petition's forms share its affiliation field), so
    building, cleaning, refusing and rendering forms must change none of them."""
    declared = _shared_fields()
    other = make_petition(title="Another letter", affiliations=[make_affiliation("other-guild")])
    assert signer.client.get(f"/petitions/{letter.slug}/").status_code == 200
    refused = signer.sign(letter, email="broken", full_name="", public="maybe", affiliation="other-guild")
    assert refused.status_code == 400
    assert signer.sign(other, affiliation="other-guild", email="grace@example.org").status_code == 200
    assert signer.sign(letter, affiliation="sora-alpha-artist", email="kim@example.org").status_code == 200
    assert _shared_fields() == declared
    first, second = SignatureForm(petition=letter), SignatureForm(petition=other)
    assert first.fields is not second.fields and first.fields["email"] is second.fields["email"]
    assert first.fields["affiliation"] is not second.fields["affiliation"]
    choices = [[value for value, _ in form.fields["affiliation"].choices] for form in (first, second)]
    assert [[str(value) for value in values if value] for values in choices] == [["sora-alpha-artist"], ["other-guild"]]


def test_names_lose_control_characters_and_extra_spaces(signer, letter):
    signer.sign(letter, full_name="  Ada \u202e  Lovelace\t", role=" Lead\x07 painter ")
    signature = Signature.objects.get()
    assert (signature.full_name, signature.role) == ("Ada Lovelace", "Lead painter")


def test_comment_line_breaks_count_as_one_character_as_in_the_browser(signer, letter):
    comment = "\r\n".join(["x" * 99] * 10)  # 990 characters and 9 line breaks, as a browser sends them
    assert signer.sign(letter, comment=comment).status_code == 200
    assert Signature.objects.get().comment == comment.replace("\r\n", "\n")


HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


@pytest.mark.parametrize("payload", HOSTILE)
def test_markup_in_signer_details_is_shown_as_text(signer, client, letter, payload):
    signer.sign(
        letter,
        full_name=f"Mallory {payload}",
        role=payload,
        organisation=payload,
        comment=payload,
        email="mallory@example.org",
    )
    signer.post(signer.confirm_link("mallory@example.org"))
    for path in (letter.get_absolute_url(), f"/petitions/{letter.slug}/signatures/"):
        page = client.get(path).content.decode()
        assert "Mallory" in page
        assert "<script>alert(1)" not in page
        assert "<img src=x" not in page
        assert "&lt;" in page


@pytest.mark.parametrize("payload", HOSTILE)
def test_markup_in_a_rejected_form_is_shown_as_text(signer, letter, payload):
    page = signer.sign(letter, full_name=payload, email="broken").content.decode()
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page


def test_unknown_petition_is_not_found(signer):
    assert signer.post("/petitions/no-such-letter/sign/", form()).status_code == 404


def test_draft_petition_cannot_be_signed(signer):
    draft = make_petition(status=Petition.Status.DRAFT)
    assert signer.sign(draft).status_code == 404
    assert Signature.objects.count() == 0


@pytest.mark.parametrize("status", [Petition.Status.CLOSED, Petition.Status.ARCHIVED])
def test_closed_petition_refuses_signatures(signer, status):
    petition = make_petition(status=status)
    response = signer.sign(petition)
    assert response.status_code == 400
    assert "not accepting signatures" in response.content.decode()
    assert Signature.objects.count() == 0
    assert signer.emails_to("ada@example.org") == []


def test_petition_past_its_closing_time_refuses_signatures(signer):
    petition = make_petition(closes_at=timezone.now() + timedelta(days=1))
    Petition.objects.filter(pk=petition.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    response = signer.sign(petition)
    assert response.status_code == 400
    assert "stopped accepting signatures" in response.content.decode()
    assert Signature.objects.count() == 0


@pytest.mark.parametrize("closing", [{"status": Petition.Status.CLOSED}, {"closes_at": timezone.now()}])
def test_a_petition_closed_elsewhere_refuses_signatures_though_this_process_keeps_it(signer, closing):
    petition = make_petition()
    assert signer.sign(petition, email="first@example.org").status_code == 200  # this process keeps the petition
    Petition.objects.filter(pk=petition.pk).update(**closing)  # as another process would: no signal reaches this one
    response = signer.sign(petition, email="second@example.org")
    assert response.status_code == 400
    assert "Your signature was not stored" in response.content.decode()
    assert "is open" not in response.content.decode()  # the page says why, from the petition as it is now
    assert list(Signature.objects.values_list("email", flat=True)) == ["first@example.org"]
    assert signer.emails_to("second@example.org") == []
    assert signer.sign(petition, email="third@example.org").status_code == 400  # and the next one reads it again


def test_a_parked_attempt_on_a_petition_closed_elsewhere_gets_the_not_open_page_too(signer):
    petition = make_petition()
    assert signer.sign(petition, email="first@example.org").status_code == 200  # this process keeps the petition
    Petition.objects.filter(pk=petition.pk).update(status=Petition.Status.CLOSED)
    response = signer.sign(petition, email="second@example.org", website="http://spam.example")  # the honeypot
    assert response.status_code == 400
    assert "Your signature was not stored" in response.content.decode()


def test_a_new_title_shows_on_the_next_signing_in_the_process_that_saved_it(signer):
    petition = make_petition(title="Old title")
    signer.sign(petition, email="first@example.org")
    petition.title = "New title"
    petition.save()
    assert "New title" in signer.sign(petition, email="second@example.org").content.decode()


def test_sign_url_does_not_answer_get(client, letter):
    assert client.get(f"/petitions/{letter.slug}/sign/").status_code == 405


# django-ratelimit counts in fixed windows; an hour-long window keeps a test from straddling two.
@override_settings(SIGN_RATE_PER_IP="2/h")
def test_third_signature_from_one_ip_in_the_window_is_refused(signer, letter):
    assert signer.sign(letter, email="one@example.org").status_code == 200
    assert signer.sign(letter, email="two@example.org").status_code == 200
    response = signer.sign(letter, email="three@example.org")
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 3600
    assert not Signature.objects.filter(email="three@example.org").exists()


@override_settings(SIGN_RATE_PER_EMAIL="1/h")
def test_second_signature_from_one_mailbox_and_ip_in_the_window_is_parked_behind_the_same_page(signer, letter):
    other = make_petition()
    assert signer.sign(letter, email="ada@example.org").status_code == 200
    response = signer.sign(other, email="ADA+again@Example.org")
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert signer.sign(other, email="grace@example.org").status_code == 200
    assert not Signature.objects.filter(petition=other, email_key="ada@example.org").exists()
    assert len(mail.outbox) == 2  # ada's first signature and grace's: nothing for the parked one


@override_settings(SIGN_RATE_PER_IP="2/h")
def test_invalid_attempts_count_towards_the_rate_limit(signer, letter):
    assert signer.sign(letter, email="broken").status_code == 400
    assert signer.sign(letter, email="broken").status_code == 400
    assert signer.sign(letter).status_code == 429


def test_signing_without_a_csrf_token_is_forbidden(letter):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(f"/petitions/{letter.slug}/sign/", form())
    assert response.status_code == 403
    assert Signature.objects.count() == 0


def test_signing_with_the_pages_csrf_token_works(letter, django_capture_on_commit_callbacks):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(letter.get_absolute_url())
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(f"/petitions/{letter.slug}/sign/", {**form(), "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert Signature.objects.count() == 1


def test_a_second_reader_served_the_kept_page_signs_with_their_own_token(letter, django_capture_on_commit_callbacks):
    Client().get(letter.get_absolute_url())  # the first reader's view keeps the rendered page
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(letter.get_absolute_url()).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(f"/petitions/{letter.slug}/sign/", {**form(), "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert Signature.objects.count() == 1


UNREACHABLE_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


def test_signing_still_works_when_the_rate_limit_cache_is_down(signer, letter):
    with override_settings(CACHES=UNREACHABLE_CACHE):
        response = signer.sign(letter)
        assert response.status_code == 200
        assert signer.get(letter.get_absolute_url()).status_code == 200
    assert Signature.objects.count() == 1


def test_unconfirmed_claim_is_pending_and_a_signature_without_claim_has_none():
    artists = make_affiliation("claimants")
    petition = make_petition(affiliations=[artists])
    claimed = make_signature(petition, confirmed=False, affiliation=artists)
    unclaimed = make_signature(petition, confirmed=False)
    assert (claimed.status, claimed.verification) == ("unconfirmed", "pending")
    assert (unclaimed.status, unclaimed.verification) == ("unconfirmed", "none")


def test_signing_reads_the_affiliation_and_the_version_once(client):
    """The form already read the affiliation and the current version: the model's validation reads neither again."""
    artists = make_affiliation("lean-artists")
    petition = make_petition(affiliations=[artists])
    details = {**form(), "affiliation": "lean-artists", "version": str(petition.current_version.number)}
    with CaptureQueriesContext(connection) as captured:
        response = client.post(f"/petitions/{petition.slug}/sign/", details)
    assert response.status_code == 200
    queries = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len([sql for sql in queries if 'FROM "verification_affiliation"' in sql]) == 1, queries
    assert not [sql for sql in queries if 'FROM "petitions_petitionversion"' in sql]
    # One statement stores the signature (on PostgreSQL it owes the confirmation email too: signatures.upsert).
    assert len([sql for sql in queries if 'INSERT INTO "signatures_signature"' in sql]) == 1


def test_the_redis_cache_keeps_one_client_between_calls(settings):
    from django.core.cache import caches

    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        pytest.skip("REDIS_URL is not set")
    client = caches["default"]._cache
    assert client.get_client() is client.get_client() is client.get_client(write=True)
    caches["default"].set("kept-client-check", 1, 5)
    assert caches["default"].get("kept-client-check") == 1


def test_the_check_your_email_page_follows_the_signers_language_and_the_letters_current_title(signer, letter):
    """The page each process keeps (front.views.signing.check_email) is kept per language and title."""
    assert "Check your email" in signer.sign(letter, email="ada@example.org").content.decode()
    signer.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    assert "Consultez vos e-mails" in signer.sign(letter, email="grace@example.org").content.decode()
    letter.title = "A renamed letter"
    letter.save()
    signer.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = signer.sign(letter, email="kim@example.org").content.decode()
    assert "Check your email" in page and "A renamed letter" in page

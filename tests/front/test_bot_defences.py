"""The signing form's defences as a signer or a bot meets them: parking behind the same page, the honeypot,
disposable domains, the layered limits (per IP + address, address, domain, range, petition) and the
proof-of-work challenge."""

import pytest
from django.contrib.staticfiles import finders
from django.core import mail
from django.test import override_settings

from abuse import proof
from abuse.models import ChallengeSetting, Domain, Parked, Source
from signatures.models import Signature
from tests.support.bots import sign_from
from tests.support.factories import make_petition
from tests.support.signer import form


@pytest.fixture
def bot(client, django_capture_on_commit_callbacks):
    def sign(petition, ip="127.0.0.1", **overrides):
        return sign_from(client, django_capture_on_commit_callbacks, petition, ip, **overrides)

    return sign


def page_text(response) -> str:
    return response.content.decode()


# --- the honeypot -------------------------------------------------------------------------------------------


def test_honeypot_is_labelled_for_screen_readers_and_hidden_by_the_static_stylesheet(client, letter):
    page = page_text(client.get(letter.get_absolute_url()))
    assert "Leave this field empty" in page
    assert 'class="hp"' in page
    assert "front/signing.css" in page and "front/challenge.js" in page
    with open(finders.find("front/signing.css")) as css:
        assert ".hp" in css.read()
    assert "<style" not in page.split("<body>")[1] and 'style="' not in page


@pytest.mark.parametrize("value", ["http://spam.example", " ", "x" * 10_000, "<script>alert(1)</script>"])
def test_filled_honeypot_is_parked_silently_behind_the_check_your_email_page(bot, letter, value):
    response = bot(letter, website=value)
    assert response.status_code == 200
    assert "Check your email" in page_text(response)
    assert Signature.objects.count() == 0
    assert mail.outbox == []
    assert Parked.objects.get().reason == Parked.Reason.HONEYPOT


def test_empty_honeypot_signs_normally(bot, letter):
    assert bot(letter, website="").status_code == 200
    assert Signature.objects.count() == 1


def test_parked_and_stored_submissions_get_the_same_page(bot, letter):
    stored = page_text(bot(letter, email="real@example.org"))
    parked = page_text(bot(letter, email="fake@example.org", website="bot"))
    assert parked == stored


# --- disposable and operators' domains ----------------------------------------------------------------------


@pytest.mark.parametrize("address", ["someone@mailinator.com", "someone@sub.mailinator.com", "x@10minutemail.com"])
def test_disposable_address_is_refused_with_a_clear_error(bot, letter, address):
    response = bot(letter, email=address)
    assert response.status_code == 400
    assert "disposable-mail services cannot sign" in page_text(response)
    assert Signature.objects.count() == Parked.objects.count() == 0


def test_blocked_domain_is_parked_from_the_first_submission(bot, letter):
    Domain.objects.create(name="catchall.example", state=Domain.State.BLOCKED)
    response = bot(letter, email="a@mx.catchall.example")
    assert "Check your email" in page_text(response)
    assert Signature.objects.count() == 0
    assert Parked.objects.get().reason == Parked.Reason.BLOCKED_DOMAIN


@override_settings(SIGN_RATE_PER_DOMAIN="3/h", SIGN_RATE_PER_THROTTLED_DOMAIN="1/h")
def test_one_domain_is_limited_per_petition_unless_allowed_or_a_big_provider(bot, letter):
    Domain.objects.create(name="uni.example", state=Domain.State.ALLOWED)
    Domain.objects.create(name="slow.example", state=Domain.State.THROTTLED)
    for n in range(5):
        bot(letter, ip=f"127.0.{n}.1", email=f"bot{n}@catchall.example")
        bot(letter, ip=f"127.0.{n}.2", email=f"student{n}@uni.example")
        bot(letter, ip=f"127.0.{n}.3", email=f"person{n}@gmail.com")
        bot(letter, ip=f"127.0.{n}.4", email=f"p{n}@slow.example")
    stored = Signature.objects.filter(petition=letter)
    assert stored.filter(email__endswith="@catchall.example").count() == 3
    assert stored.filter(email__endswith="@uni.example").count() == 5
    assert stored.filter(email__endswith="@gmail.com").count() == 5
    assert stored.filter(email__endswith="@slow.example").count() == 1
    assert Parked.objects.filter(reason=Parked.Reason.RATE_DOMAIN).count() == 2 + 4
    # Another petition has its own domain budget.
    other = make_petition()
    bot(other, ip="127.0.9.1", email="bot9@catchall.example")
    assert Signature.objects.filter(petition=other).count() == 1


# --- per IP + address: the owner is never locked out ---------------------------------------------------------


@override_settings(SIGN_RATE_PER_EMAIL="2/h")
def test_someone_else_using_your_address_cannot_lock_you_out(bot, letter):
    for _ in range(6):
        bot(letter, ip="127.0.0.66", email="ada@example.org", full_name="Mallory")
    assert Parked.objects.filter(reason=Parked.Reason.RATE_ADDRESS).count() == 4
    sent_before = len(mail.outbox)
    response = bot(letter, ip="127.0.0.7", email="ada@example.org", full_name="Ada Lovelace")
    assert "Check your email" in page_text(response)
    assert len(mail.outbox) == sent_before + 1  # the owner gets her email
    assert Signature.objects.get().full_name == "Ada Lovelace"


@override_settings(SIGN_RATE_PER_ADDRESS="3/d")
def test_one_address_from_many_addresses_is_parked_past_its_daily_limit(bot, letter):
    for n in range(5):
        bot(letter, ip=f"127.0.{n}.9", email="target@example.org")
    assert Parked.objects.filter(reason=Parked.Reason.RATE_EMAIL).count() == 2
    assert len(mail.outbox) == 3


# --- IP ranges and petition bursts ---------------------------------------------------------------------------


@override_settings(SIGN_RATE_PER_RANGE="2/h")
def test_one_ip_range_is_limited_across_its_addresses(bot, letter):
    for host in (1, 2, 3, 4):
        bot(letter, ip=f"127.0.5.{host}", email=f"r{host}@example.org")
    bot(letter, ip="127.0.6.1", email="elsewhere@example.org")
    assert Signature.objects.count() == 3
    assert Parked.objects.filter(reason=Parked.Reason.RATE_RANGE).count() == 2


@override_settings(SIGN_RATE_PER_RANGE="2/h")
def test_ipv6_ranges_are_64_bit_prefixes(bot, letter):
    for n in range(3):
        bot(letter, ip=f"2001:db8:0:1::{n + 1}", email=f"v6-{n}@example.org")
    bot(letter, ip="2001:db8:0:2::1", email="v6-other@example.org")
    assert Signature.objects.count() == 3
    assert Parked.objects.count() == 1


@override_settings(SIGN_RATE_PER_PETITION="2/h")
def test_a_petition_burst_past_its_limit_is_parked(bot, letter):
    for n in range(4):
        bot(letter, ip=f"127.0.{n}.1", email=f"b{n}@example.org")
    assert Signature.objects.count() == 2
    assert Parked.objects.filter(reason=Parked.Reason.RATE_PETITION).count() == 2


def test_the_signers_ip_is_kept_only_as_a_keyed_hash_of_its_range(bot, letter):
    bot(letter, ip="127.0.42.17", email="kept@example.org")
    source = Source.objects.get()
    assert source.domain == "example.org"
    assert len(source.network) == 32
    assert "127.0.42" not in source.network and "127.0.42" not in str(source.__dict__)


def test_a_known_address_keeps_the_source_it_was_first_stored_with(bot, letter):
    """The source is written by the signing's own statement, unless the signature has one already."""
    bot(letter, ip="127.0.42.17", email="ada@example.org")
    first = Source.objects.get()
    bot(letter, ip="10.9.8.7", email="ada@example.org")  # signs again from elsewhere: restated, same signature
    bot(letter, ip="10.9.8.7", email="bob@example.org")
    assert Signature.objects.count() == 2 and Source.objects.count() == 2
    again = Source.objects.get(signature__email="ada@example.org")
    assert (again.pk, again.network, again.created_at) == (first.pk, first.network, first.created_at)
    assert Source.objects.get(signature__email="bob@example.org").network != first.network
    assert Source.objects.get(signature__email="bob@example.org").petition_id == letter.pk


def test_a_signing_refused_by_a_closed_letter_writes_no_source_either(bot, letter):
    from front import kept_petitions
    from petitions.models import Petition

    kept_petitions.signing_petition(letter.slug)  # this process holds it open
    Petition.objects.filter(pk=letter.pk).update(status=Petition.Status.CLOSED)  # closed by another process
    response = bot(letter, email="late@example.org")
    assert response.status_code == 400
    assert Signature.objects.count() == 0 and Source.objects.count() == 0


def test_a_malformed_client_address_still_signs(client, letter, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/petitions/{letter.slug}/sign/", form(), REMOTE_ADDR="not-an-ip")
    assert response.status_code == 200
    assert Source.objects.get().network == ""


# --- the proof-of-work challenge ---------------------------------------------------------------------------


def test_the_challenge_is_off_by_default(client, letter):
    assert client.get(f"/petitions/{letter.slug}/sign/challenge/").json() == {"required": False}


def test_challenge_endpoint_answers_only_get_and_only_for_public_petitions(client, letter):
    assert client.post(f"/petitions/{letter.slug}/sign/challenge/").status_code == 405
    assert client.get("/petitions/no-such-letter/sign/challenge/").status_code == 404


@override_settings(SIGN_CHALLENGE_ALWAYS=True)
def test_without_javascript_a_required_challenge_is_explained_and_nothing_is_stored(bot, letter):
    response = bot(letter, solve=False)
    assert response.status_code == 400
    assert "turn on JavaScript" in page_text(response)
    assert Signature.objects.count() == Parked.objects.count() == 0


@override_settings(SIGN_CHALLENGE_ALWAYS=True)
def test_a_solved_challenge_signs(bot, letter):
    assert "Check your email" in page_text(bot(letter))
    assert Signature.objects.count() == 1


@override_settings(SIGN_CHALLENGE_ALWAYS=True)
def test_a_solution_is_good_for_one_signature(client, letter, django_capture_on_commit_callbacks):
    token = client.get(f"/petitions/{letter.slug}/sign/challenge/").json()["challenge"]
    nonce = proof.solve(token)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(f"/petitions/{letter.slug}/sign/", form(challenge=token, nonce=nonce))
        second = client.post(
            f"/petitions/{letter.slug}/sign/", form(email="second@example.org", challenge=token, nonce=nonce)
        )
    assert first.status_code == 200
    assert second.status_code == 400
    assert Signature.objects.count() == 1


def _forged(token: str) -> str:
    payload, _dot, mac = token.rpartition(".")
    parts = payload.split(".")
    parts[3] = "1"  # an easier difficulty, keeping the old MAC
    return ".".join(parts) + "." + mac


HOSTILE = [
    ("", ""),
    ("garbage", "1"),
    ("v1.1.1.1.1.1", "1"),
    ("x" * 5000, "1"),
    (None, "1" * 5000),
    (None, "-1"),
    (None, "１２３"),  # full-width digits
    (None, "1e9"),
    ("v1.<script>.0.16.aa.bb", "0"),
]


@override_settings(SIGN_CHALLENGE_ALWAYS=True)
@pytest.mark.parametrize(("token", "nonce"), HOSTILE, ids=[f"hostile-{i}" for i in range(len(HOSTILE))])
def test_hostile_challenge_answers_are_refused_without_error(client, letter, token, nonce):
    real = client.get(f"/petitions/{letter.slug}/sign/challenge/").json()["challenge"]
    response = client.post(
        f"/petitions/{letter.slug}/sign/", form(challenge=real if token is None else token, nonce=nonce)
    )
    assert response.status_code == 400
    assert "turn on JavaScript" in page_text(response)
    assert Signature.objects.count() == 0


@override_settings(SIGN_CHALLENGE_ALWAYS=True)
def test_a_forged_easier_challenge_or_one_for_another_petition_is_refused(client, letter):
    real = client.get(f"/petitions/{letter.slug}/sign/challenge/").json()["challenge"]
    forged = _forged(real)
    other = make_petition()
    foreign = client.get(f"/petitions/{other.slug}/sign/challenge/").json()["challenge"]
    for token in (forged, foreign):
        response = client.post(f"/petitions/{letter.slug}/sign/", form(challenge=token, nonce=proof.solve(token)))
        assert response.status_code == 400
    assert Signature.objects.count() == 0


@override_settings(SIGN_CHALLENGE_ALWAYS=True, SIGN_CHALLENGE_MAX_AGE=60)
def test_an_expired_challenge_is_refused(client, letter):
    old = proof.issue(letter.pk, now=1_000_000)
    response = client.post(f"/petitions/{letter.slug}/sign/", form(challenge=old, nonce=proof.solve(old)))
    assert response.status_code == 400


@override_settings(SIGN_CHALLENGE_THRESHOLD="3/h")
def test_the_challenge_switches_on_when_the_petitions_rate_crosses_the_threshold(bot, client, letter):
    other = make_petition()
    for n in range(3):
        assert bot(letter, ip=f"127.0.{n}.1", email=f"early{n}@example.org", solve=False).status_code == 200
    assert client.get(f"/petitions/{letter.slug}/sign/challenge/").json()["required"] is True
    assert client.get(f"/petitions/{other.slug}/sign/challenge/").json()["required"] is False
    late = bot(letter, ip="127.0.8.1", email="late@example.org", solve=False)
    assert late.status_code == 400
    assert "turn on JavaScript" in page_text(late)
    assert bot(letter, ip="127.0.8.2", email="solver@example.org").status_code == 200
    assert Signature.objects.filter(petition=letter).count() == 4


def test_an_operator_can_force_the_challenge_on_one_petition(bot, client, letter):
    other = make_petition()
    ChallengeSetting.objects.create(petition=letter, always=True)
    assert client.get(f"/petitions/{letter.slug}/sign/challenge/").json()["required"] is True
    assert bot(letter, solve=False).status_code == 400
    assert bot(other, solve=False).status_code == 200

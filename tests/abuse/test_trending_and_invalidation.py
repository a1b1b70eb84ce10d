"""The abuse domain without the web: trending flags, bulk invalidation with its undo, retention, limits' fallback."""

from datetime import timedelta
from ipaddress import ip_address

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from abuse import intake, invalidation, limits, networks, tasks, trending
from abuse.models import Flag, Invalidation, Parked, Source
from petitions.models import Petition
from signatures import services
from signatures.models import AffiliationTally, Signature
from tests.support.factories import make_signature, make_user
from verification.models import Evidence


def signed_from(petition, ip: str, **fields) -> Signature:
    """A confirmed signature that went through the defences from `ip`, as the form would store it."""
    signature = make_signature(petition, confirmed=False, **fields)
    screening = intake.Screening(
        None, None, False, False, networks.range_key(ip_address(ip)), signature.email_key.rpartition("@")[2]
    )
    Source.objects.create(signature=signature, petition=petition, network=screening.network, domain=screening.domain)
    return services.confirm(signature.pk)


def count(petition) -> int:
    return Petition.objects.get(pk=petition.pk).signature_count


# --- trending --------------------------------------------------------------------------------------------------


@override_settings(ABUSE_TRENDING_THRESHOLD=5)
def test_bursts_by_range_domain_and_claim_become_flags(letter, artists):
    for n in range(6):
        signed_from(letter, f"127.0.3.{n + 1}", email=f"bot{n}@catchall.example", affiliation=artists)
    for n in range(6):
        signed_from(letter, f"127.0.{n + 10}.1", email=f"person{n}@gmail.com")
    flags = {(flag.kind, flag.key): flag.signatures for flag in trending.flag_trending()}
    assert flags[(Flag.Kind.DOMAIN, "catchall.example")] == 6
    assert flags[(Flag.Kind.AFFILIATION, "sora-alpha-artist")] == 6
    assert flags[(Flag.Kind.RANGE, networks.range_key(ip_address("127.0.3.1")))] == 6
    assert (Flag.Kind.DOMAIN, "gmail.com") not in flags  # a big provider is expected to be common
    assert len(flags) == 3


@override_settings(ABUSE_TRENDING_THRESHOLD=3)
def test_a_flag_is_refreshed_not_duplicated_and_counts_parked_submissions(letter):
    for n in range(3):
        signed_from(letter, f"127.0.{n}.1", email=f"b{n}@catchall.example")
    trending.flag_trending()
    for n in range(4):
        Parked.objects.create(
            petition=letter,
            reason=Parked.Reason.RATE_DOMAIN,
            full_name="x",
            email=f"p{n}@catchall.example",
            domain="catchall.example",
        )
    assert tasks.flag_trending.delay().get() >= 1
    flag = Flag.objects.get(kind=Flag.Kind.DOMAIN)
    assert (flag.signatures, flag.parked) == (3, 4)


@override_settings(ABUSE_TRENDING_THRESHOLD=3, ABUSE_TRENDING_WINDOW=3600)
def test_signatures_older_than_the_window_raise_no_flag(letter):
    for n in range(3):
        signed_from(letter, f"127.0.{n}.1", email=f"old{n}@catchall.example")
    Source.objects.update(created_at=timezone.now() - timedelta(hours=2))
    assert trending.flag_trending() == []


def test_flag_trending_is_in_the_beat_schedule():
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["flag_trending"]["task"] == "abuse.tasks.flag_trending"


# --- bulk invalidation -----------------------------------------------------------------------------------------


@pytest.fixture
def moderator(db):
    return make_user("mod@example.org")


def test_invalidation_by_domain_rejects_exactly_the_matches_and_undo_reinstates_them(letter, artists, moderator):
    bots = [signed_from(letter, f"127.0.{n}.1", email=f"b{n}@catchall.example", affiliation=artists) for n in range(4)]
    real = signed_from(letter, "127.0.9.9", email="ada@example.org", affiliation=artists)
    spam = signed_from(letter, "127.0.9.8", email="earlier@mx.catchall.example")
    services.reject(spam)  # rejected before: the undo must leave it rejected
    assert count(letter) == 5
    assert invalidation.dry_run(letter, domain="catchall.example") == 4
    assert count(letter) == 5  # a dry run changes nothing

    request = invalidation.request(letter, moderator, "catch-all flood", domain="catchall.example")
    tasks.invalidate_signatures.delay(request.pk)
    request.refresh_from_db()
    assert (request.state, request.matched, request.done, request.invalidated) == ("done", 4, 4, 4)
    assert count(letter) == 1
    assert AffiliationTally.objects.get(petition=letter).claimed == 1
    assert (
        Evidence.objects.filter(detail__contains=f"bulk invalidation #{request.pk}", decided_by=moderator).count() == 4
    )
    assert Signature.objects.get(pk=real.pk).status == "confirmed"

    assert invalidation.request_undo(request, moderator) is True
    assert invalidation.request_undo(request, moderator) is False  # a second click
    tasks.undo_invalidation.delay(request.pk)
    request.refresh_from_db()
    assert (request.state, request.reinstated, request.undone_by) == ("undone", 4, moderator)
    assert count(letter) == 5
    assert AffiliationTally.objects.get(petition=letter).claimed == 5
    assert {s.status for s in Signature.objects.filter(pk__in=[b.pk for b in bots])} == {"confirmed"}
    assert Signature.objects.get(pk=spam.pk).status == "rejected"


def test_invalidation_by_range_and_window_only_touches_that_range_in_that_window(letter, moderator):
    inside = [signed_from(letter, f"127.0.7.{n + 1}", email=f"in{n}@example.org") for n in range(3)]
    signed_from(letter, "127.0.8.1", email="other-range@example.org")
    Signature.objects.filter(pk=inside[0].pk).update(created_at=timezone.now() - timedelta(days=2))
    network = networks.range_key(ip_address("127.0.7.200"))
    since = timezone.now() - timedelta(hours=1)
    assert invalidation.dry_run(letter, network=network, since=since) == 2
    request = invalidation.request(letter, moderator, "range burst", network=network, since=since)
    invalidation.run(request.pk)
    assert count(letter) == 2
    assert set(Signature.objects.filter(status="rejected").values_list("pk", flat=True)) == {inside[1].pk, inside[2].pk}


def test_signatures_made_after_the_request_are_not_invalidated(letter, moderator):
    signed_from(letter, "127.0.1.1", email="before@catchall.example")
    request = invalidation.request(letter, moderator, "flood", domain="catchall.example")
    Invalidation.objects.filter(pk=request.pk).update(created_at=timezone.now() - timedelta(seconds=1))
    later = signed_from(letter, "127.0.1.2", email="after@catchall.example")
    invalidation.run(request.pk)
    assert Signature.objects.get(pk=later.pk).status == "confirmed"


def test_running_an_invalidation_twice_changes_nothing_more(letter, moderator):
    signed_from(letter, "127.0.1.1", email="a@catchall.example")
    request = invalidation.request(letter, moderator, "flood", domain="catchall.example")
    invalidation.run(request.pk)
    again = invalidation.run(request.pk)
    assert (again.state, again.invalidated) == ("done", 1)
    assert count(letter) == 0


def test_an_invalidation_needs_a_criterion_and_cannot_be_undone_before_it_finishes(letter, moderator):
    with pytest.raises(ValueError):
        invalidation.dry_run(letter)
    request = invalidation.request(letter, moderator, "flood", domain="catchall.example")
    with pytest.raises(ValidationError):
        invalidation.request_undo(request, moderator)


# --- retention and the limits' other paths -------------------------------------------------------------------------


@override_settings(ABUSE_RETENTION_DAYS=30)
def test_sources_and_parked_submissions_are_purged_after_their_retention(letter):
    kept = signed_from(letter, "127.0.1.1", email="new@example.org")
    signed_from(letter, "127.0.1.2", email="old@example.org")
    Source.objects.exclude(signature=kept).update(created_at=timezone.now() - timedelta(days=31))
    Parked.objects.create(
        petition=letter,
        reason="honeypot",
        full_name="x",
        email="x@example.org",
        domain="example.org",
        created_at=timezone.now() - timedelta(days=31),
    )
    assert tasks.purge_abuse_records.delay().get() == 2
    assert list(Source.objects.values_list("signature_id", flat=True)) == [kept.pk]
    assert count(letter) == 2  # signatures themselves are untouched


LOCAL_MEMORY = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_the_limits_count_through_the_cache_api_when_the_cache_is_not_redis(letter):
    layer = limits.Layer("domain", "abuse:test-layer", "2/h")
    with override_settings(CACHES=LOCAL_MEMORY, SIGN_CHALLENGE_THRESHOLD="2/h"):
        results = [limits.count([layer], letter.pk) for _ in range(3)]
    assert [r.counts["domain"] for r in results] == [1, 2, 3]
    assert [r.over(layer) for r in results] == [False, False, True]
    assert [r.challenge_on for r in results] == [False, False, True]


def test_the_limits_count_in_redis_in_one_round_trip(letter):
    layers = [limits.Layer("a", "abuse:test-a", "2/h"), limits.Layer("b", "abuse:test-b", "5/h")]
    results = [limits.count(layers, letter.pk) for _ in range(3)]
    assert [(r.counts["a"], r.counts["b"]) for r in results] == [(1, 1), (2, 2), (3, 3)]
    assert results[-1].over(layers[0]) and not results[-1].over(layers[1])


def test_every_layer_is_counted_with_a_single_redis_command(letter, monkeypatch):
    limits._redis_client().script_load(limits._SCRIPT)  # as once any process has counted since Redis started
    client_class = type(limits._redis_client())
    sent, original = [], client_class.execute_command

    def recording(self, *args, **options):
        sent.append(args[0])
        return original(self, *args, **options)

    monkeypatch.setattr(client_class, "execute_command", recording)
    layers = [limits.Layer(name, f"abuse:test-{name}", "9/h") for name in "abcdef"]
    limits.count(layers, letter.pk)
    assert sent == ["EVALSHA"]


@override_settings(ABUSE_TRENDING_THRESHOLD=2)
def test_operators_can_flag_trending_from_the_command_line(letter):
    from io import StringIO

    from django.core.management import call_command

    for n in range(2):
        signed_from(letter, f"127.0.{n}.1", email=f"c{n}@catchall.example")
    out = StringIO()
    call_command("flag_trending", stdout=out)
    assert "domain\tcatchall.example\t2 signed\t0 parked" in out.getvalue()
    assert out.getvalue().strip().endswith("flag(s).")

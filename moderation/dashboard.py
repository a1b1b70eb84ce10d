"""What a letter's workspace shows about its signatures: each figure in one query, never a query per row.

The per-affiliation counts come from the maintained counters (signatures.counts); the chart and the funnel
are one GROUP BY each over this petition's signatures (an organiser's page, not a public one).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from petitions.models import Petition
from signatures.models import Signature
from verification.models import RosterChallenge

V = Signature.Verification
CHART_DAYS = 60  # the chart's window: the last two months, one bar a day
CHART_HEIGHT = 120  # SVG units; bars are scaled to the busiest day


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: int
    height: int

    @property
    def y(self) -> int:
        return CHART_HEIGHT - self.height


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    busiest: int
    total: int
    first: date
    last: date
    width: int
    height: int = CHART_HEIGHT


def confirmed_per_day(petition: Petition, days: int = CHART_DAYS) -> Chart:
    """Confirmed signatures per day (by confirmation date) over the last `days` days, as SVG bars."""
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    since = timezone.make_aware(timezone.datetime.combine(first, timezone.datetime.min.time()))
    rows = (
        Signature.objects.counted()
        .filter(petition=petition, confirmed_at__gte=since)
        .annotate(day=TruncDate("confirmed_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    per_day = {row["day"]: row["n"] for row in rows}
    busiest = max(per_day.values(), default=0)
    bars = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        count = per_day.get(day, 0)
        height = round(count * CHART_HEIGHT / busiest) if busiest else 0
        bars.append(Bar(day, count, offset * 10, max(height, 1 if count else 0)))
    return Chart(bars, busiest, sum(per_day.values()), first, today, days * 10)


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    count: int


FUNNEL = (
    ("pending", _("Pending: waiting for the workers' check")),
    ("challenge_sent", _("Challenge sent: waiting for the member's answer")),
    ("needs_review", _("Awaiting a human: in the review queue")),
    ("verified", _("Verified")),
    ("disputed", _("Disputed: the member said it wasn't them")),
    ("unverified", _("Unverified: not on the roster")),
    ("rejected", _("Claim rejected by a moderator")),
)


def verification_funnel(petition: Petition) -> list[Stage]:
    """Confirmed claims by where they stand, in one grouped query (an open challenge splits `pending`)."""
    open_challenge = RosterChallenge.objects.filter(signature=OuterRef("pk"), state=RosterChallenge.State.OPEN)
    rows = (
        Signature.objects.counted()
        .filter(petition=petition, affiliation__isnull=False)
        .annotate(challenged=Exists(open_challenge))
        .values("verification", "challenged")
        .annotate(n=Count("pk"))
        .order_by()
    )
    tally: dict[str, int] = {}
    for row in rows:
        key = "challenge_sent" if row["verification"] == V.PENDING and row["challenged"] else row["verification"]
        tally[key] = tally.get(key, 0) + row["n"]
    return [Stage(key, label, tally.get(key, 0)) for key, label in FUNNEL]


def review_queue_length(petition: Petition) -> int:
    return Signature.objects.claims_to_review().filter(petition=petition).count()

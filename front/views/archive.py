"""Letters that have closed: the public archive page, and the Atom feed of new letters."""

from django.contrib.syndication.views import Feed
from django.db.models import F, Q
from django.shortcuts import render
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from front.sharing import absolute
from petitions.models import Petition

ARCHIVE_PAGE = 30
FEED_SIZE = 50
ENDED = (Petition.Status.CLOSED, Petition.Status.ARCHIVED)


@require_safe
def archive(request):
    """Closed and archived letters, most recently closed first, paginated by key on (closed_at, id).

    The cursor is the last id shown; letters closed at the same moment are ordered by id.
    """
    letters = Petition.objects.filter(status__in=ENDED).order_by(F("closed_at").desc(nulls_last=True), "-id")
    cursor = request.GET.get("before", "")
    if cursor:
        if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 19):
            return _bad_archive_link(request)
        last = Petition.objects.filter(status__in=ENDED, pk=int(cursor)).values("closed_at", "pk").first()
        if last is None:
            return _bad_archive_link(request)
        letters = _after(letters, last)
    page = list(letters[: ARCHIVE_PAGE + 1])
    more = len(page) > ARCHIVE_PAGE
    page = page[:ARCHIVE_PAGE]
    return render(request, "petitions/archive.html", {"petitions": page, "next_cursor": page[-1].pk if more else None})


def _after(letters, last: dict):
    """Letters after `last` in the order (-closed_at NULLS LAST, -id)."""
    if last["closed_at"] is None:
        return letters.filter(closed_at__isnull=True, pk__lt=last["pk"])
    return letters.filter(
        Q(closed_at__lt=last["closed_at"])
        | Q(closed_at=last["closed_at"], pk__lt=last["pk"])
        | Q(closed_at__isnull=True)
    )


def _bad_archive_link(request):
    return render(request, "signatures/bad_request.html", {"message": _("That page link is not valid.")}, status=400)


class NewLettersFeed(Feed):
    """Atom feed of the newest published letters and petitions (open, closed or archived), newest first."""

    feed_type = Atom1Feed
    title = _("Undersigned: new letters and petitions")
    subtitle = _("Open letters and petitions as they are published.")

    def link(self):
        return absolute("/")

    def feed_url(self):
        return absolute("/feed.atom")

    def items(self):
        return (
            Petition.objects.exclude(status=Petition.Status.DRAFT)
            .filter(published_at__isnull=False)
            .order_by("-published_at", "-id")[:FEED_SIZE]
        )

    def item_title(self, item: Petition) -> str:
        return item.title

    def item_description(self, item: Petition) -> str:
        return item.summary

    def item_link(self, item: Petition) -> str:
        return absolute(item.get_absolute_url())

    def item_guid(self, item: Petition) -> str:
        return absolute(item.get_absolute_url())

    def item_pubdate(self, item: Petition):
        return item.published_at

    def item_updateddate(self, item: Petition):
        return item.closed_at or item.published_at


new_letters_feed = NewLettersFeed()

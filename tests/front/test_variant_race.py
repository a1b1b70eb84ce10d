"""50 spellings of one Gmail mailbox, submitted at the same moment to a live server, make exactly 1 signature.

The accepted spellings (case, +tags, dots, googlemail.com) fold to one canonical key that a database constraint
keeps unique; the disguised ones (full-width letters, soft hyphens, zero-width characters) are refused by the
form. Each request runs in its own server thread with its own database connection, released by one barrier.
"""

import http.client
import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from signatures.models import Signature
from tests.support.factories import make_petition

pytestmark = pytest.mark.django_db(transaction=True)

ACCEPTED = [
    "ada.lovelace@gmail.com",
    "Ada.Lovelace@gmail.com",
    "ADA.LOVELACE@GMAIL.COM",
    "adalovelace@gmail.com",
    "a.d.a.l.o.v.e.l.a.c.e@gmail.com",
    "ada.lovelace+petition@gmail.com",
    "ada.lovelace+1@gmail.com",
    "Ada.Lovelace+Spam@Gmail.Com",
    "ada.lovelace@googlemail.com",
    "AdaLovelace@GoogleMail.com",
    "a.da.love.lace+x+y@googlemail.com",
    " ada.lovelace@gmail.com ",
    "a.d.a.lovelace+race@googlemail.com",
    "ada.l.ovelace@GMAIL.com",
]
REFUSED = [
    "ada.lovelace@ｇｍａｉｌ.com",  # full-width domain
    "ada.lovelace@gmail．com",  # full-width dot
    "ａｄａ.lovelace@gmail.com",  # full-width local part
    "ada.lovelace@gma\u00adil.com",  # soft hyphen
    "ada.lovelace@g\u200bmail.com",  # zero-width space
    "ada.lovelace@gmail\u200d.com",  # zero-width joiner
    "ada\u00ad.lovelace@gmail.com",  # soft hyphen in the local part
    "ada.lovelace@gmail.com\u200b",
    "\u202eada.lovelace@gmail.com",  # bidi override
    "ada.lovelace@GMAIL\ufeff.com",  # BOM
    "ada..lovelace@gmail.com",  # malformed: two dots
]


def variants() -> list[str]:
    """50 submissions: every spelling at least once, the accepted ones repeated, the refused ones twice."""
    spellings = ACCEPTED * 2 + REFUSED * 2
    return (spellings + ACCEPTED)[:50]


class Browser:
    """One visitor: fetches the letter (CSRF cookie and token) and opens its connection; posts when told.

    The connection is opened beforehand, one visitor after another, so the 50 posts race inside the server
    rather than in its listen backlog.
    """

    def __init__(self, base: str, slug: str):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.opener.open(f"{base}/petitions/{slug}/", timeout=30).read().decode()
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        self.path = f"/petitions/{slug}/sign/"
        address = urllib.parse.urlsplit(base)
        self.connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
        self.connection.connect()

    def sign(self, email: str, barrier: threading.Barrier) -> int:
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": self.token, "full_name": "Ada Lovelace", "email": email, "public": "on"}
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar),
        }
        barrier.wait(timeout=60)
        self.connection.request("POST", self.path, body, headers)
        response = self.connection.getresponse()
        response.read()
        self.connection.close()
        return response.status


def test_fifty_concurrent_spellings_of_one_mailbox_make_exactly_one_signature(live_server, mailoutbox, settings):
    settings.SIGN_RATE_PER_EMAIL = "1000/h"
    settings.SIGN_RATE_PER_IP = "1000/h"
    settings.SITE_URL = live_server.url
    letter = make_petition()
    spellings = variants()
    assert len(spellings) == 50
    browsers = [Browser(live_server.url, letter.slug) for _ in spellings]
    barrier = threading.Barrier(len(spellings))

    with ThreadPoolExecutor(max_workers=len(spellings)) as pool:
        statuses = list(pool.map(lambda pair: pair[0].sign(pair[1], barrier), zip(browsers, spellings, strict=True)))

    answers = dict(zip(spellings, statuses, strict=True))
    assert {answers[s] for s in ACCEPTED} == {200}, answers
    assert {answers[s] for s in REFUSED} == {400}, answers
    assert Signature.objects.filter(petition=letter).count() == 1
    [signature] = Signature.objects.filter(petition=letter)
    assert signature.email_key == "adalovelace@gmail.com"
    assert signature.status == Signature.Status.UNCONFIRMED


def test_confirming_every_emailed_link_of_the_race_counts_one_signature(live_server, mailoutbox, settings):
    settings.SIGN_RATE_PER_EMAIL = "1000/h"
    settings.SIGN_RATE_PER_IP = "1000/h"
    settings.SITE_URL = live_server.url
    letter = make_petition()
    spellings = ACCEPTED * 2
    browsers = [Browser(live_server.url, letter.slug) for _ in spellings]
    barrier = threading.Barrier(len(spellings))
    with ThreadPoolExecutor(max_workers=len(spellings)) as pool:
        list(pool.map(lambda pair: pair[0].sign(pair[1], barrier), zip(browsers, spellings, strict=True)))

    links = {
        m.group(1)
        for message in mailoutbox
        if (m := re.search(rf"{re.escape(live_server.url)}(/signatures/confirm/\S+/)", message.body))
    }
    clicker = browsers[0]
    assert links
    for link in links:  # every emailed link is pressed (the second and later ones find it confirmed already)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": clicker.token}).encode()
        try:
            clicker.opener.open(f"{live_server.url}{link}", body, timeout=30)
        except urllib.error.HTTPError as error:
            assert error.code == 400  # a link older than the newest details
    letter.refresh_from_db()
    assert letter.signature_count == 1
    assert Signature.objects.filter(petition=letter).count() == 1

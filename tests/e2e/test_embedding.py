"""Another site, in a real browser: it frames the counter, cannot frame the letter, and reads only the API."""

import threading
from functools import partial
from http.server import HTTPServer, SimpleHTTPRequestHandler

import pytest
from selenium.webdriver.common.by import By

from tests.support.browser import waiting
from tests.support.factories import make_affiliation, make_petition, make_signature
from tests.support.screens import chromium, set_width

pytestmark = pytest.mark.django_db(transaction=True)

NEWS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>News site</title></head>
<body><h1>A news site on another origin</h1>
<iframe id="counter" src="{live}/petitions/{slug}/embed/" title="Signature counter" width="360" height="260"></iframe>
<iframe id="letter" src="{live}/petitions/{slug}/" title="The letter itself" width="360" height="260"></iframe>
<script>
fetch("{live}/api/petitions/{slug}/").then(r => r.json())
  .then(j => document.body.dataset.api = "read " + j.counts.confirmed, () => document.body.dataset.api = "blocked");
fetch("{live}/petitions/{slug}/").then(r => r.text())
  .then(() => document.body.dataset.page = "read", () => document.body.dataset.page = "blocked");
</script></body></html>
"""


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def news_site(tmp_path):
    """A static site on 127.0.0.1 (another origin than the live server's `localhost`)."""
    server = HTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield tmp_path, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def browser():
    driver = chromium(1280, 900)
    yield driver
    driver.quit()


@pytest.mark.parametrize("width", [1280, 390])
def test_another_site_frames_the_counter_but_not_the_letter_and_reads_only_the_api(
    browser, live_server, news_site, width, tmp_path_factory
):
    artists = make_affiliation("sora-alpha-artist", name="Sora alpha artists")
    letter = make_petition(title="Fair terms for artists", affiliations=[artists], goal=10)
    make_signature(letter, affiliation=artists)
    make_signature(letter)
    folder, origin = news_site
    (folder / "news.html").write_text(NEWS_PAGE.format(live=live_server.url, slug=letter.slug), encoding="utf-8")
    set_width(browser, width)
    browser.get(f"{origin}/news.html")
    body = browser.find_element(By.TAG_NAME, "body")
    waiting(browser, 10).until(lambda b: body.get_attribute("data-api") and body.get_attribute("data-page"))
    assert body.get_attribute("data-api") == "read 2"
    assert body.get_attribute("data-page") == "blocked"
    browser.save_screenshot(str(tmp_path_factory.getbasetemp() / f"embed-in-iframe-{width}.png"))

    browser.switch_to.frame("counter")
    assert "Fair terms for artists" in browser.find_element(By.TAG_NAME, "h1").text
    assert "2 confirmed signatures" in browser.find_element(By.CLASS_NAME, "total").text
    link = browser.find_element(By.LINK_TEXT, "Read and sign")
    assert link.get_attribute("target") == "_blank"
    browser.switch_to.default_content()
    browser.switch_to.frame("letter")
    assert browser.find_elements(By.TAG_NAME, "h1") == [] or "Fair terms" not in browser.page_source
    browser.switch_to.default_content()

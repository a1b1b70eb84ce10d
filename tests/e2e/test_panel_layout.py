"""The moderators' lists fit a laptop screen: at 1280 and 1440 px wide, the review queue and the signatures
list show every column, with nothing cut off at the right edge (a real browser measures the page)."""

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from selenium.webdriver.common.by import By

from tests.support.browser import waiting
from tests.support.factories import make_affiliation, make_moderator, make_petition, make_roster_entry, make_signature

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browser(chromium):
    """The module's Chromium (tests/e2e/conftest.py)."""
    return chromium


def log_in(browser, client, live_server, user) -> None:
    """The browser carries the session of a user logged in by the test client."""
    client.force_login(user)
    browser.get(f"{live_server.url}/admin/login/")
    browser.add_cookie({"name": django_settings.SESSION_COOKIE_NAME, "value": client.cookies["sessionid"].value})


def set_width(browser, width: int, height: int = 900) -> None:
    """The viewport as a device of this width shows it (a window cannot be narrower than 500 px)."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def shoot(browser, name: str) -> None:
    """Keep a screenshot when SCREENSHOT_DIR is set (to look at the page as a person would)."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        height = browser.execute_script("return document.documentElement.scrollHeight")
        width = browser.execute_script("return document.documentElement.clientWidth")
        set_width(browser, width, min(max(height, 900), 4000))
        browser.save_screenshot(str(Path(folder) / f"{name}.png"))


@pytest.fixture
def busy_letter(settled):
    artists = make_affiliation("sora-alpha-artist", name="Sora alpha artists and illustrators guild")
    letter = make_petition(title="Fair terms for concept artists in every studio we work for", affiliations=[artists])
    make_roster_entry(artists, "Ana Núñez", external_id="A-17", handles="@ana_nunez https://mastodon.example/@ana")
    make_roster_entry(artists, "Ana M. Nunez", external_id="A-18")
    with settled():
        for n in range(4):
            make_signature(
                letter,
                full_name=f"Ana Nunez {n}",
                email=f"ana.nunez.with.a.rather.long.address.{n}@mail.studio-kite.example",
                affiliation=artists,
                role="Senior concept artist and illustrator",
                organisation="Studio Kite Interactive Entertainment",
            )
    return letter


def right_edge_overflow(browser) -> dict:
    """How far the page, and the results table, reach past the window's right edge (0 when they fit)."""
    return browser.execute_script(
        """
        const table = document.getElementById('result_list');
        const view = document.documentElement.clientWidth;
        return {
          page: Math.max(0, document.documentElement.scrollWidth - view),
          table: table ? Math.max(0, Math.ceil(table.getBoundingClientRect().right) - view) : -1,
          columns: table ? table.querySelectorAll('thead th').length : 0,
          // Cells whose content spills over their neighbours (text that cannot wrap).
          spilling: table ? [...table.querySelectorAll('tbody td')].filter(
            td => td.scrollWidth > td.clientWidth + 1).map(td => td.className) : [],
        };
        """
    )


@pytest.mark.parametrize("width", [1280, 1440])
@pytest.mark.parametrize(
    "page, columns",
    [("/admin/signatures/claimreview/", 5), ("/admin/signatures/signature/", 7)],
    ids=["review-queue", "signatures"],
)
def test_the_lists_fit_a_laptop_screen_with_every_column(
    browser, client, live_server, busy_letter, width, page, columns
):
    moderator = make_moderator("mod@example.org", [busy_letter])
    log_in(browser, client, live_server, moderator)
    set_width(browser, width)
    browser.get(f"{live_server.url}{page}")
    assert browser.find_element(By.ID, "result_list")
    measured = right_edge_overflow(browser)
    assert measured == {"page": 0, "table": 0, "columns": columns, "spilling": []}
    # The decision buttons are whole, inside the window.
    for button in browser.find_elements(By.CSS_SELECTOR, "#result_list button.button"):
        box = button.rect
        assert box["x"] + box["width"] <= width
    shoot(browser, f"{page.strip('/').replace('/', '-')}-{width}")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_letter_dashboard_and_the_spam_confirmation_fit_a_laptop_and_a_phone(
    browser, client, live_server, busy_letter, width
):
    from teams.roles import add_organiser
    from tests.support.factories import make_organiser

    organiser = make_organiser("org@example.org")
    add_organiser(busy_letter, organiser)
    log_in(browser, client, live_server, organiser)
    set_width(browser, width)
    browser.get(f"{live_server.url}/admin/petitions/petition/{busy_letter.pk}/workspace/")
    assert browser.find_element(By.CSS_SELECTOR, "svg.chart")
    close = browser.find_element(By.CSS_SELECTOR, "button[value=close]")
    assert close.is_displayed() and close.rect["x"] + close.rect["width"] <= width
    assert right_edge_overflow(browser)["page"] == 0
    shoot(browser, f"workspace-{width}")

    set_width(browser, width)
    browser.get(f"{live_server.url}/admin/signatures/claimreview/")
    browser.find_element(By.CSS_SELECTOR, "#result_list button[value=spam]").click()
    waiting(browser, 10).until(lambda b: "Reject this signature as spam?" in b.title)
    assert "confirmed signatures on “Fair terms" in browser.find_element(By.ID, "content-main").text
    assert "4 → 3" in browser.find_element(By.ID, "content-main").text
    assert right_edge_overflow(browser)["page"] == 0
    shoot(browser, f"confirm-spam-{width}")

    set_width(browser, width)
    browser.get(f"{live_server.url}/admin/petitions/petition/{busy_letter.pk}/change/")
    body = browser.find_element(By.ID, "id_body")
    body.clear()
    body.send_keys("We **insist** on fair terms.")
    preview = browser.find_element(By.ID, "markdown-preview")
    waiting(browser, 10).until(lambda _: "insist" in preview.get_attribute("innerHTML"))
    assert "<strong>insist</strong>" in preview.get_attribute("innerHTML")
    shoot(browser, f"change-form-{width}")

"""Every guest page, in every language, passes axe-core, reflows at 320 px with text at 200%, has
big tap targets, and the whole check-in works by keyboard alone."""
import pytest
from playwright.sync_api import Page, expect

from checkin.i18n import DEFAULT_LANGUAGE, LANGUAGES
from guest_driver.browser import ROOM_PAGE

from .guest_journey import new_phone, serve_demo_app, walk_every_guest_page

pytestmark = pytest.mark.browser

EVERY_GUEST_PAGE = {
    "find booking", "find booking, fields missing", "find booking, not found", "details",
    "details, with errors", "parking", "parking, registration missing", "review", "almost ready",
    "room", "room, code not working", "already checked in", "cancelled", "too early", "contact",
    "stay ended", "too many tries", "expired form", "404", "500", "410",
}


# Each language's walk on any free worker; English's on the page weights' worker, which shares it.
WALKS = [
    pytest.param(language, id=language.code,
                 marks=[pytest.mark.xdist_group("guest_page_walk")] if language == DEFAULT_LANGUAGE else [])
    for language in LANGUAGES.values()
]


@pytest.mark.parametrize("language", WALKS)
def test_every_guest_page_passes_axe_reflows_and_has_big_tap_targets(browser, tmp_path_factory, language):
    # One tour per language, on its own server (a fresh demo); English's is shared with the page weights.
    walk = walk_every_guest_page(browser, tmp_path_factory.mktemp(f"walk-{language.code}"), language)
    assert {page.name for page in walk.pages} == EVERY_GUEST_PAGE
    problems = []
    for page in walk.pages:
        assert page.root_font_size == "32px", f"{page.name}: text is not at 200%"
        assert page.lang_and_dir == [language.html_lang, language.direction], f"{page.name}: {page.lang_and_dir}"
        if page.axe_report:
            problems.append(f"{page.name}: {page.axe_report}")
        if page.sideways_px > 0:
            problems.append(f"{page.name}: scrolls sideways by {page.sideways_px} px at 320 px wide, text at 200%")
        if page.small_tap_targets:
            problems.append(f"{page.name}: tap targets under 44 px: " + "; ".join(page.small_tap_targets))
    assert not problems, "\n\n".join(problems)


def tab_to(page: Page, selector: str, key: str = "Tab", presses: int = 40) -> None:
    """Press Tab (or Shift+Tab) until the element is focused, and check the focus can be seen."""
    for _ in range(presses):
        page.keyboard.press(key)
        if page.evaluate("selector => document.activeElement.matches(selector)", selector):
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"{selector} has focus but shows no focus outline"
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def test_a_guest_checks_in_by_keyboard_alone_in_the_language_they_chose(browser, tmp_path):
    with serve_demo_app(tmp_path) as (base_url, _, _):
        phone = new_phone(browser, locale="en-GB")
        try:
            page = phone.new_page()
            page.goto(base_url + "/")
            heading = page.get_by_role("heading", level=1)

            # The language menu opens with Enter; the choice holds for the pages that follow.
            tab_to(page, "details.languages > summary")
            page.keyboard.press("Enter")
            tab_to(page, "a[hreflang=de]")
            page.keyboard.press("Enter")
            expect(heading).to_have_text("Ihre Buchung finden")
            expect(page).to_have_url(base_url + "/")

            # A failed post: focus lands on the error summary; its link takes focus to the field.
            tab_to(page, "#reference")
            page.keyboard.type("40321")
            page.keyboard.press("Enter")
            expect(page.locator(".error-summary")).to_be_focused()
            page.keyboard.press("Tab")
            expect(page.locator(".error-summary a")).to_be_focused()
            page.keyboard.press("Enter")
            expect(page.locator("#surname")).to_be_focused()
            page.keyboard.type("Testington")
            page.keyboard.press("Enter")

            expect(heading).to_have_text("Ihre Angaben")
            tab_to(page, "#full_name")
            page.keyboard.type("Alex Testington")
            page.keyboard.press("Tab")
            page.keyboard.type("+44 20 7946 0123")
            page.keyboard.press("Tab")
            page.keyboard.type("alex@example.com")
            page.keyboard.press("Enter")

            expect(heading).to_have_text("Kommen Sie mit dem Auto?")
            tab_to(page, "#no_car")
            page.keyboard.press("Enter")

            expect(heading).to_have_text("Angaben prüfen")
            tab_to(page, "form [type=submit]")
            page.keyboard.press("Enter")

            page.wait_for_url(ROOM_PAGE)
            room_url = page.url
            tab_to(page, "details.help > summary")
            page.keyboard.press("Enter")
            expect(page.get_by_text("Berühren Sie das Tastenfeld")).to_be_visible()
            tab_to(page, "details.help a[href^='tel:']")

            # Back to English on the room page: the same address, the same door code.
            pin = page.locator(".pin").inner_text()
            tab_to(page, "details.languages > summary", key="Shift+Tab")
            page.keyboard.press("Enter")
            tab_to(page, "a[hreflang=en-GB]")
            page.keyboard.press("Enter")
            expect(page.locator("#pin-heading")).to_have_text("Your door code")
            expect(page).to_have_url(room_url)
            expect(page.locator(".pin")).to_have_text(pin)
        finally:
            phone.close()

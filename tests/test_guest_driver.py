"""guest_driver knows the pages: in every language the app offers, it finds each field and button
by its label and walks pages 1 to 4 to Confirm (the browser and the benchmark rely on it)."""
import pytest

from checkin.i18n import LANGUAGE_COOKIE, LANGUAGES
from guest_driver import ALMOST_READY, JOURNEY, ROOM, Wording, alternatives
from guest_driver.http import read_forms


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_label_is_found_on_its_page_in_every_language(client, guest, demo, code):
    client.set_cookie(LANGUAGE_COOKIE, code)
    for page, next_page in zip(JOURNEY, JOURNEY[1:]):
        html = client.get(page.path).get_data(as_text=True)
        forms = read_forms(html)
        words = Wording.of_page(forms.html_lang)
        assert words.locale == LANGUAGES[code].locale
        assert f"<h1>{words(page.heading)}</h1>" in html
        form = forms.with_button(words(page.buttons[0]))
        for label in page.fields:
            assert any(words(text) in form.field_names for text in alternatives(label)), (page.name, label)
        assert {words(button) for button in page.buttons} <= set(form.buttons), page.name
        step = {"find booking": guest.find_booking, "details": guest.give_details,
                "parking": guest.give_parking, "review": guest.confirm}[page.name]
        location = step().headers["Location"]
        if next_page is ROOM:  # Confirm: the room page, or "almost ready" while the PIN is made
            assert location.startswith(ROOM.path) or location == ALMOST_READY.path, location
        else:
            assert location == next_page.path, (page.name, location)

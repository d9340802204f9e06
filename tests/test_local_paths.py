"""Every redirect stays on the site; a path with a control character is simply not found."""
import pytest

from checkin.local_paths import local_path


@pytest.mark.parametrize(
    "path",
    ["/%09/evil.example/", "/%5C/evil.example/", "//evil.example/", "/%09%09/evil.example/", "/\\evil.example/",
     "/%2F%2Fevil.example/"],
)
def test_the_language_switch_never_redirects_to_another_host(client, path):
    response = client.get(path + "?lang=en")
    if response.status_code == 303:
        location = response.headers["Location"]
        assert location.startswith("/") and location[1:2] not in ("/", "\\")
        assert not any(ch in location for ch in "\t\r\n\\")
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("path", ["/%0A/x", "/%0D%0ASet-Cookie:%20a=b", "/room/%00", "/%7F"])
@pytest.mark.parametrize("query", ["?lang=fr", ""])
def test_paths_with_control_characters_get_the_not_found_page(client, path, query):
    response = client.get(path + query)
    assert response.status_code == 404
    assert b"Page not found" in response.data
    assert "Location" not in response.headers


def test_the_language_switch_still_keeps_the_page_and_its_query(client):
    response = client.get("/details?from=review&lang=fr")
    assert response.status_code == 303
    assert response.headers["Location"] == "/details?from=review"


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/\t/evil.example/", "", "/%09/evil.example/"),
        ("//evil.example", "", "/evil.example"),
        ("/\\evil.example", "", "/%5Cevil.example"),
        ("/owner/bookings", "q=a%20b&x=1", "/owner/bookings?q=a%20b&x=1"),
        ("/owner/x", "a=\r\nSet-Cookie:1", "/owner/x?a=%0D%0ASet-Cookie:1"),
        ("/café", "", "/caf%C3%A9"),
    ],
)
def test_local_path(path, query, expected):
    assert local_path(path, query) == expected


def test_owner_sign_in_returns_only_to_a_local_owner_page(app, client):
    from owner.conftest import OWNER_EMAIL, OWNER_PASSWORD, Owner

    from checkin.services.owner_accounts import save_owner

    with app.app_context():
        save_owner(OWNER_EMAIL, OWNER_PASSWORD)
    owner = Owner(client)
    response = client.post(
        "/owner/login?next=/owner/%5C%09/evil.example/",
        data={"csrf_token": owner.token(), "email": OWNER_EMAIL, "password": OWNER_PASSWORD},
    )
    # The tab is dropped (as a browser would), the backslash encoded: still an owner page here.
    assert response.headers["Location"] == "/owner/%5C/evil.example/"

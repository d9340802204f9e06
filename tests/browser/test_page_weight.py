"""Each guest page, with everything it loads, is at most 30 KB over the wire, all from the app itself."""
from urllib.parse import urlsplit

import pytest

from .guest_journey import walk_every_guest_page

pytestmark = pytest.mark.browser

PAGE_BUDGET_BYTES = 30 * 1024


@pytest.mark.xdist_group("guest_page_walk")  # one worker walks once for both tests
def test_every_guest_page_is_small_and_loads_nothing_from_elsewhere(browser, tmp_path_factory):
    # The same walk as the accessibility test (it runs once): every guest page, as a first visit.
    walk = walk_every_guest_page(browser, tmp_path_factory.mktemp("walk"))
    transfers = walk.transfers

    origin = urlsplit(walk.base_url)[:2]
    elsewhere = [url for url in transfers.urls if urlsplit(url)[:2] != origin]
    assert not elsewhere, f"requests left the app's origin: {elsewhere}"

    weights = transfers.weights()
    assert len(weights) >= len(walk.pages), "fewer pages were weighed than visited"
    heavy = [(url, size) for url, size in weights if size > PAGE_BUDGET_BYTES]
    assert not heavy, f"pages over {PAGE_BUDGET_BYTES} bytes: {heavy}"
    # The room page is the largest: the stylesheet and room.js come with it.
    room = max(size for url, size in weights if "/room/" in url)
    assert 8 * 1024 < room <= PAGE_BUDGET_BYTES

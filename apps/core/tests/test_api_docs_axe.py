"""The API docs page (/api/docs/, Swagger UI) checked with axe-core in a real Chromium at both sizes.

Ours, fixed: the document's language and title (apps/core/templates/core/swagger_ui.html), the colours of the
version badges, links, Authorize button and method labels (apps/core/static/core/swagger.css, 4.5:1), and deep
links turned off (Swagger UI nests each one inside the operation's toggle button: nested-interactive).
Swagger UI's own markup, left as it is (both moderate, listed in SWAGGER_UI_MARKUP so a new kind fails the test):
its info block sits outside the `<main>` it renders (region), and its tag headings are h3 under an h2 title in a
different container (heading-order)."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from apps.core.testing import in_chromium

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis]

SWAGGER_UI_MARKUP = {("region", "moderate"), ("heading-order", "moderate")}
AXE_ALL = """async () => {
    const result = await axe.run(document, {resultTypes: ["violations"]});
    return result.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                        targets: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
                                        detail: [...new Set(v.nodes.map(n => (n.any[0] || {}).message + " @ " + n.html.slice(0, 90)))].slice(0, 12)}));
}"""


@pytest.mark.django_db(transaction=True)
def test_the_api_docs_page_has_a_language_a_title_and_a_main_landmark(chromium_path, live_server, user):
    from apps.bias.tests.test_interface_browser import AXE, SCREENSHOTS, VIEWPORTS

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def steps(browser) -> dict:
        seen = {}
        for size, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport, bypass_csp=True)
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
            page = context.new_page()
            page.goto(f"{live_server.url}/api/docs/")
            page.wait_for_selector(".swagger-ui .information-container .title", timeout=30000)
            page.wait_for_selector(".opblock", timeout=30000)
            page.screenshot(path=str(SCREENSHOTS / f"member-api-docs-{size}.png"))
            page.evaluate(AXE.read_text())
            seen[size] = {"violations": page.evaluate(AXE_ALL), "lang": page.evaluate("document.documentElement.lang"),
                          "title": page.title()}
            context.close()
        return seen

    seen = in_chromium(chromium_path, steps, timeout=300)

    for size in VIEWPORTS:
        found = {(v["id"], v["impact"]) for v in seen[size]["violations"]}
        assert found <= SWAGGER_UI_MARKUP, (size, seen[size]["violations"])
        assert (seen[size]["lang"], seen[size]["title"]) == ("en", "AI Trading Twin API · AI Trading Twin")

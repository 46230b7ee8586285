"""A real Chromium signs up through the form and lands on the account page: no console errors, no CSP
violations (also on the API docs page, which must run under the same strict policy)."""
import pytest

from apps.accounts.models import Session, User

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (event) => {
  window.reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI} at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.problems = []
    page.on("console", lambda msg: msg.type == "error" and page.problems.append(f"console: {msg.text}"))
    page.on("pageerror", lambda exc: page.problems.append(f"pageerror: {exc}"))
    page.expose_function("reportCspViolation", lambda text: page.problems.append(f"csp: {text}"))
    page.add_init_script(CSP_LISTENER)
    yield page
    context.close()


def test_signup_in_the_browser_lands_on_the_dashboard_without_csp_violations(page, live_asgi_server):
    page.goto(f"{live_asgi_server}/")
    page.click("text=Create an account")
    page.wait_for_url(f"{live_asgi_server}/signup/")
    page.fill("#id_email", "Browser.User@Example.com")
    page.fill("#id_password", "violet-harbour-lantern-42")
    page.click("#signup-form button[type=submit]")
    page.wait_for_url(f"{live_asgi_server}/dashboard/")
    assert "Welcome! Your account is ready." in page.text_content("main")

    page.goto(f"{live_asgi_server}/account/")
    assert page.text_content("#account-email") == "browser.user@example.com"
    page.select_option("#id_coach_tone", "strict")
    page.click("#account-preferences button[type=submit]")
    page.wait_for_selector("text=Coach tone saved.")

    page.goto(f"{live_asgi_server}/api/docs/")
    page.wait_for_selector(".swagger-ui .information-container .title", timeout=30000)
    page.wait_for_timeout(500)

    assert page.problems == []
    user = User.objects.get()
    assert user.email == "browser.user@example.com"
    assert user.coach_tone == "strict"
    assert Session.objects.filter(user=user).count() == 1


def test_signup_errors_are_shown_in_the_browser(page, live_asgi_server):
    page.goto(f"{live_asgi_server}/signup/")
    page.fill("#id_email", "not-an-address")
    page.fill("#id_password", "123")
    page.click("#signup-form button[type=submit]")
    page.wait_for_selector('.field-error[data-field="email"]')

    assert page.text_content('.field-error[data-field="email"]') == "Enter a valid email address."
    assert page.url == f"{live_asgi_server}/signup/"
    assert [p for p in page.problems if not p.startswith("console: Failed to load resource")] == []
    assert not User.objects.exists()

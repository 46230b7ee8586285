"""Server-rendered account pages; every write goes through the same services as the API."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.errors import Unauthenticated, ValidationFailed
from apps.core.ratelimits import failures_limited, rate_limit

from . import selectors
from .api import LOGIN_FAILURE_RATE
from .forms import LoginForm, PasswordChangeForm, PreferencesForm, SignupForm
from .services import (
    session_end,
    user_change_password,
    user_login,
    user_logout,
    user_signup,
    user_update_preferences,
)

AUTH_RATE = "10/m"
ACCOUNT_URL = "/account/"
LANDING_URL = "/dashboard/"  # where signing in, signing up and `/` take a member


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(LANDING_URL)
    return render(request, "home.html")


@require_http_methods(["GET", "POST"])
@rate_limit(group="auth", key="ip", rate=AUTH_RATE)
def signup_page(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect(LANDING_URL)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_signup(request=request, **form.cleaned_data)
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, "Welcome! Your account is ready.")
            return redirect(LANDING_URL)
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@rate_limit(group="auth", key="ip", rate=AUTH_RATE)
def login_page(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect(LANDING_URL)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with failures_limited(request, group="auth-account", key_value=form.cleaned_data["email"].strip().lower(),
                                  rate=LOGIN_FAILURE_RATE, failure=Unauthenticated):
                user_login(request=request, **form.cleaned_data)
        except Unauthenticated as exc:
            form.add_error(None, exc.message)
        else:
            return redirect(_safe_next(request) or LANDING_URL)
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def logout_page(request: HttpRequest) -> HttpResponse:
    """GET (a typed or followed link) shows a page with the logout button; only the POST signs out."""
    if request.method == "GET":
        return render(request, "accounts/logout.html")
    user_logout(request=request)
    return redirect("/")


@login_required
@require_GET
def account_page(request: HttpRequest) -> HttpResponse:
    return _account_render(request)


@login_required
@require_POST
def account_preferences(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST)
    if form.is_valid():
        user_update_preferences(user=request.user, coach_tone=form.cleaned_data["coach_tone"])
        messages.success(request, "Coach tone saved.")
        return redirect(ACCOUNT_URL)
    return _account_render(request, preferences_form=form, status=400)


@login_required
@require_POST
@rate_limit(group="auth-password", key="user_or_ip", rate=AUTH_RATE)
def account_password(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        try:
            user_change_password(request=request, old_password=form.cleaned_data["old_password"],
                                 new_password=form.cleaned_data["new_password"])
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, "Password changed. Your other sessions were logged out.")
            return redirect(ACCOUNT_URL)
    return _account_render(request, password_form=form, status=400)


@login_required
@require_POST
def account_session_end(request: HttpRequest, session_id: str) -> HttpResponse:
    """End another session of this account (`others`: every other one); this one ends through logout."""
    ended = session_end(user=request.user, session_id=session_id, current_session_key=request.session.session_key)
    if ended:
        messages.success(request, "Signed out 1 other session." if ended == 1 else f"Signed out {ended} other sessions.")
    else:
        messages.info(request, "That session had already ended.")
    return redirect(ACCOUNT_URL + "#account-sessions")


def _account_render(request: HttpRequest, *, preferences_form: PreferencesForm | None = None,
                    password_form: PasswordChangeForm | None = None, status: int = 200) -> HttpResponse:
    context = {
        "preferences_form": preferences_form or PreferencesForm(initial={"coach_tone": request.user.coach_tone}),
        "password_form": password_form or PasswordChangeForm(),
        "sessions": selectors.session_list(user=request.user),
        "current_session_key": request.session.session_key,
    }
    return render(request, "accounts/account.html", context, status=status)


def _safe_next(request: HttpRequest) -> str | None:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return None

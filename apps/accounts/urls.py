from django.urls import path

from . import api, views

urlpatterns = [
    path("api/auth/signup", api.SignupApi.as_view(), name="api-auth-signup"),
    path("api/auth/login", api.LoginApi.as_view(), name="api-auth-login"),
    path("api/auth/logout", api.LogoutApi.as_view(), name="api-auth-logout"),
    path("api/auth/me", api.MeApi.as_view(), name="api-auth-me"),
    path("api/auth/csrf", api.CsrfApi.as_view(), name="api-auth-csrf"),
    path("api/auth/password", api.PasswordChangeApi.as_view(), name="api-auth-password"),
    path("api/auth/preferences", api.PreferencesApi.as_view(), name="api-auth-preferences"),
    path("", views.home, name="home"),
    path("signup/", views.signup_page, name="signup"),
    path("login/", views.login_page, name="login"),
    path("logout/", views.logout_page, name="logout"),
    path("account/", views.account_page, name="account"),
    path("account/preferences", views.account_preferences, name="account-preferences"),
    path("account/password", views.account_password, name="account-password"),
    path("account/sessions/<str:session_id>/end", views.account_session_end, name="account-session-end"),
]

"""Auth REST API: signup, login, logout, me, CSRF token, password and preferences."""
from __future__ import annotations

from django.middleware.csrf import get_token
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import Unauthenticated
from apps.core.ratelimits import failures_limited, rate_limit

from .models import User
from .services import (
    EMAIL_MAX_LENGTH,
    user_change_password,
    user_login,
    user_logout,
    user_signup,
    user_update_preferences,
)

AUTH_RATE = "10/m"
# Failed logins per account, whatever address they come from (the per-address limit is AUTH_RATE).
LOGIN_FAILURE_RATE = "10/15m"


class UserOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    email = serializers.EmailField()
    createdAt = serializers.DateTimeField(source="created_at")
    coachTone = serializers.ChoiceField(source="coach_tone", choices=User.TONE_CHOICES)
    timezone = serializers.CharField()
    digestEmail = serializers.BooleanField(source="digest_email")
    persona = serializers.ChoiceField(choices=User.PERSONA_CHOICES)


class CredentialsInputSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=EMAIL_MAX_LENGTH)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class SignupApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=CredentialsInputSerializer, responses={201: UserOutputSerializer})
    @rate_limit(group="auth", key="ip", rate=AUTH_RATE)
    def post(self, request):
        data = CredentialsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_signup(request=request, **data.validated_data)
        return Response(UserOutputSerializer(user).data, status=201)


class LoginApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=CredentialsInputSerializer, responses={200: UserOutputSerializer})
    @rate_limit(group="auth", key="ip", rate=AUTH_RATE)
    def post(self, request):
        data = CredentialsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with failures_limited(request, group="auth-account", key_value=data.validated_data["email"].strip().lower(),
                              rate=LOGIN_FAILURE_RATE, failure=Unauthenticated):
            user = user_login(request=request, **data.validated_data)
        return Response(UserOutputSerializer(user).data)


class LogoutApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        user_logout(request=request)
        return Response(status=204)


class MeApi(APIView):
    @extend_schema(responses={200: UserOutputSerializer})
    def get(self, request):
        return Response(UserOutputSerializer(request.user).data)


class CsrfApi(APIView):
    """The CSRF token for the `X-CSRFToken` header (also set as the csrftoken cookie)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: inline_serializer("CsrfToken", {"csrfToken": serializers.CharField()})})
    def get(self, request):
        return Response({"csrfToken": get_token(request)})


class PasswordChangeApi(APIView):
    class InputSerializer(serializers.Serializer):
        oldPassword = serializers.CharField(max_length=4096, trim_whitespace=False)
        newPassword = serializers.CharField(max_length=4096, trim_whitespace=False)

    @extend_schema(request=InputSerializer, responses={204: None})
    @rate_limit(group="auth-password", key="user_or_ip", rate=AUTH_RATE)
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user_change_password(request=request, old_password=data.validated_data["oldPassword"],
                             new_password=data.validated_data["newPassword"])
        return Response(status=204)


class PreferencesApi(APIView):
    class InputSerializer(serializers.Serializer):
        coachTone = serializers.ChoiceField(choices=User.TONE_CHOICES, required=False)
        timezone = serializers.CharField(max_length=64, required=False, help_text="IANA name, e.g. Europe/Paris")
        digestEmail = serializers.BooleanField(required=False, help_text="Mail the weekly digest")
        persona = serializers.ChoiceField(choices=User.PERSONA_CHOICES, required=False,
                                          help_text="The trading style whose policy the pre-trade gate applies")

        def validate(self, attrs):
            if not attrs:
                raise serializers.ValidationError("Send at least one of coachTone, timezone, digestEmail, persona.")
            return attrs

    @extend_schema(request=InputSerializer, responses={200: UserOutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        user = user_update_preferences(user=request.user, coach_tone=values.get("coachTone"),
                                       timezone=values.get("timezone"), digest_email=values.get("digestEmail"),
                                       persona=values.get("persona"))
        return Response(UserOutputSerializer(user).data)

    @extend_schema(request=InputSerializer, responses={200: UserOutputSerializer})
    def patch(self, request):
        return self.post(request)

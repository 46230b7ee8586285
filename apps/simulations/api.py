"""Simulations REST API: one trade's counterfactuals, a stored simulation, and the rule back-test."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.ratelimits import rate_limit_check

from .services import (
    PENDING,
    backtest_body_clean,
    rules_backtest_run,
    simulation_body_clean,
    simulation_document,
    simulation_request,
)

SIMULATION_RATE = "10/m"


def _rate_limited(request) -> None:
    rate_limit_check(request, group="simulations", key="user", rate=SIMULATION_RATE)


def _simulation_response(document: dict) -> Response:
    return Response(document, status=202 if document["status"] == PENDING else 200)


class SimulationSimpleApi(APIView):
    """The body follows the `simulation-simple` contract (GET /api/contracts/); a body that breaks it is a
    400 whose `fields` name the JSON path of each problem (`$.horizonDays`)."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT, 202: OpenApiTypes.OBJECT},
                   summary="Simulate a trade: what happened vs holding vs waiting for a pullback")
    def post(self, request):
        _rate_limited(request)
        values = simulation_body_clean(data=request.data)
        return _simulation_response(simulation_request(user=request.user, **values))


class SimulationDetailApi(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT, 202: OpenApiTypes.OBJECT},
                   summary="A simulation: its document once done, pending, or its error")
    def get(self, request, simulation_id: str):
        return _simulation_response(simulation_document(user=request.user, simulation_id=simulation_id))


class RulesBacktestApi(APIView):
    """The body follows the `simulation-rules` contract (GET /api/contracts/); 400 `fields` by JSON path."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT},
                   summary="Replay your trades of a period under your rules (or rules you are trying)")
    def post(self, request):
        _rate_limited(request)
        values = backtest_body_clean(data=request.data)
        return Response(rules_backtest_run(user=request.user, **values))

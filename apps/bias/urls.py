from django.urls import path

from . import api, engine_api, positions_api, views

urlpatterns = [
    # pages
    path("trades/", views.trades_page, name="trades"),
    path("positions/", views.positions_page, name="positions"),
    path("trades/<str:trade_id>/", views.trade_detail_page, name="trade-detail"),
    path("coach/", views.coach_page, name="coach"),
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("labels/", views.labels_page, name="labels"),
    path("rules/calibration/", views.calibration_page, name="rules-calibration-page"),
    # REST
    path("api/trades/<str:trade_id>/bias", api.TradeBiasApi.as_view(), name="trade-bias"),
    path("api/trades/<str:trade_id>/chart", api.TradeChartApi.as_view(), name="trade-chart"),
    path("api/bias/trades", api.TradeGridApi.as_view(), name="bias-trade-grid"),
    path("api/positions", positions_api.PositionListApi.as_view(), name="positions-list"),
    path("api/bias/summary", api.BiasSummaryApi.as_view(), name="bias-summary"),
    path("api/rules", api.RuleListApi.as_view(), name="rules"),
    path("api/rules/upsert", api.RuleUpsertApi.as_view(), name="rules-upsert"),
    path("api/rules/calibration", api.RuleCalibrationApi.as_view(), name="rules-calibration"),
    # signed engine API
    path("v1/indicators", engine_api.indicators, name="v1-indicators"),
    path("v1/bias/score", engine_api.bias_score, name="v1-bias-score"),
    path("v1/nlg/reflect", engine_api.nlg_reflect, name="v1-nlg-reflect"),
]

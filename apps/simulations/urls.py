from django.urls import path

from . import api, views

urlpatterns = [
    path("rules/", views.rules_page, name="rules-page"),
    path("api/simulations/simple", api.SimulationSimpleApi.as_view(), name="simulation-simple"),
    path("api/simulations/rules", api.RulesBacktestApi.as_view(), name="simulation-rules"),
    path("api/simulations/<str:simulation_id>", api.SimulationDetailApi.as_view(), name="simulation-detail"),
]

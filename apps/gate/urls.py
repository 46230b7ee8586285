from django.urls import path

from . import api, views

urlpatterns = [
    path("api/contracts/", api.ContractListApi.as_view(), name="api-contracts"),
    path("api/contracts/<str:kind>/<str:name>/v<int:version>", api.ContractDetailApi.as_view(), name="api-contract"),
    path("api/pretrade-intents", api.IntentListApi.as_view(), name="api-intents"),
    path("api/pretrade-intents/<str:intent_id>", api.IntentDetailApi.as_view(), name="api-intent"),
    path("api/pretrade-intents/<str:intent_id>/override", api.OverrideApi.as_view(), name="api-intent-override"),
    path("api/pretrade-intents/<str:intent_id>/tasks/<str:cta_id>", api.IntentTaskApi.as_view(),
         name="api-intent-task"),
    path("api/cooldowns/active", api.CooldownActiveApi.as_view(), name="api-cooldown-active"),
    path("api/personas", api.PersonaListApi.as_view(), name="api-personas"),
    path("intents/", views.intent_history_page, name="intents"),
    path("intents/new", views.intent_new_page, name="intent-new"),
    path("account/persona", views.account_persona, name="account-persona"),
]

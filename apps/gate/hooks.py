"""What the gate plugs into the apps below it (registered in GateConfig.ready)."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.bias.registry import TradesScored, on_trades_scored, planned_stops_provider
from apps.core.jobs import embedded_periodic_register
from apps.trades.hooks import ImportFinished, on_import_finished

from .selectors import loss_streak, planned_stops, user_policy
from .services import breaches_announce, cooldown_for_losses, cooldowns_end_expired, intents_link_trades


def import_finished_link(event: ImportFinished) -> None:
    """Trades an import stored may be the ones the user's intents announced: link them."""
    if event.inserted:
        intents_link_trades(user_id=event.user_id)


def trades_scored_cooldowns(event: TradesScored) -> None:
    """After scoring: announce new rule breaches, and start the cooldown a breach or a losing streak asks for."""
    user = get_user_model().objects.filter(pk=event.user_id).first()
    if user is None:
        return
    policy = user_policy(user=user)
    breaches_announce(user=user, policy=policy, now=timezone.now())
    streak, last_loss = loss_streak(user_id=user.id)
    cooldown_for_losses(user=user, policy=policy, streak=streak, last_loss=last_loss)


def register() -> None:
    on_import_finished(import_finished_link)
    on_trades_scored(trades_scored_cooldowns)
    planned_stops_provider(planned_stops)
    embedded_periodic_register(cooldowns_end_expired)  # beat's gate.cooldowns_end, where there is no beat

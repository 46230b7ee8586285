"""Pre-trade intents, overrides, cooldowns and rule breaches, for export and delete (see apps.core.userdata)."""
from apps.core.userdata import user_data_register

from .models import PretradeIntent
from .selectors import intent_tasks_opened


def intent_opened(row: dict) -> dict:
    """The exported intent carries its friction tasks' notes opened with the owner's data key (never the seal)."""
    intent = PretradeIntent(id=row["id"], user_id=row["user_id"], tasks=row.get("tasks") or [])
    return {**row, "tasks": intent_tasks_opened(intent=intent)}


user_data_register(model="gate.PretradeIntent", transform=intent_opened)
user_data_register(model="gate.Override")
user_data_register(model="gate.Cooldown")
user_data_register(model="gate.RuleBreach")

"""Pre-trade intents, overrides, cooldowns and rule breaches, for export and delete (see apps.core.userdata)."""
from apps.core.userdata import user_data_register

user_data_register(model="gate.PretradeIntent")
user_data_register(model="gate.Override")
user_data_register(model="gate.Cooldown")
user_data_register(model="gate.RuleBreach")

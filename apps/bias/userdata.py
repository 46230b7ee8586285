"""Labels with their evidence, positions, reflections and feedback, rules, disposition figures and scoring
runs, for export and delete (see apps.core.userdata)."""
from apps.core.userdata import user_data_register

user_data_register(model="bias.BiasTag", user_path="trade__user")
user_data_register(model="bias.TradePosition", order_by=("trade_id",))
user_data_register(model="bias.Reflection", order_by=("created_at", "id"))
user_data_register(model="bias.ReflectionFeedback")
user_data_register(model="bias.Rule")
user_data_register(model="bias.DispositionStat")
user_data_register(model="bias.DispositionDay", order_by=("day",))
user_data_register(model="bias.ScoringRun")
user_data_register(model="bias.LabelDay", order_by=("day", "symbol", "label"))

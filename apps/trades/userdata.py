"""Trades, import jobs, uploads, saved column mappings and stored idempotent answers, for export and delete
(see apps.core.userdata)."""
from apps.core.userdata import user_data_register

user_data_register(model="trades.Trade", order_by=("ts", "id"))
user_data_register(model="trades.ImportJob", order_by=("created_at", "id"))
user_data_register(model="trades.ImportUpload", user_path="job__user")
user_data_register(model="trades.ColumnMappingPreset")
user_data_register(model="trades.IdempotencyKey")

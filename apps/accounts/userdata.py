"""The account's own tables, for export and delete (see apps.core.userdata). The password hash and the
session keys and contents are never exported."""
from apps.core.userdata import user_data_register

user_data_register(model="accounts.User", user_path="id", exclude=("password",))
user_data_register(model="accounts.Session", exclude=("session_key", "session_data"))
user_data_register(model="accounts.Audit", order_by=("created_at", "id"))

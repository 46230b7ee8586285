"""The user's outbox events, for export and delete (see apps.core.userdata)."""
from apps.core.userdata import user_data_register

user_data_register(model="events.EventOutbox", order_by=("ts", "id"))

"""Connections (never their sealed secrets), the data key and pending authorizations, for export and delete
(see apps.core.userdata). Before a delete, every connection still holding tokens is revoked at its exchange."""
from apps.core.userdata import user_data_register, user_delete_prepare_register

from .selectors import connection_list
from .services.connections import connection_disconnect

user_data_register(model="brokers.BrokerConnection", exclude=("access_enc", "refresh_enc"))
user_data_register(model="brokers.DataKey", exclude=("wrapped",))
user_data_register(model="brokers.OAuthState", exclude=("state_hash", "session_hash", "verifier_enc"))


@user_delete_prepare_register
def connections_revoke(user) -> None:
    for connection in connection_list(user=user):
        if connection.status != "revoked":
            connection_disconnect(user=user, ref=connection.id)

"""The user's exports (rows and files), for export and delete (see apps.core.userdata)."""
from django.core.files.storage import default_storage

from apps.core.userdata import user_data_register, user_files_register

user_data_register(model="analytics.ExportJob", exclude=("session_hash",))


@user_files_register
def export_files(user) -> list[str]:
    """Export archives live at exports/<user id>/<job id>.zip."""
    folder = f"exports/{user.id}"
    try:
        _dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    return [f"{folder}/{name}" for name in files]
user_data_register(model="analytics.TradeFact")
user_data_register(model="analytics.TradeFactLabel")
user_data_register(model="analytics.DailyRollup")
user_data_register(model="analytics.HourRollup")
user_data_register(model="analytics.LabelRollup")
user_data_register(model="analytics.StreakDay")
user_data_register(model="analytics.QuoteStreak")

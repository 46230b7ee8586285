"""Weekly digests and their archived copies in storage, for export and delete (see apps.core.userdata)."""
from django.core.files.storage import default_storage

from apps.core.userdata import user_data_register, user_files_register

user_data_register(model="digest.Digest", order_by=("period_end", "id"))


@user_files_register
def digest_archives(user) -> list[str]:
    """Archived digests live at digests/<user id>/<week>.json."""
    folder = f"digests/{user.id}"
    try:
        _dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    return [f"{folder}/{name}" for name in files]

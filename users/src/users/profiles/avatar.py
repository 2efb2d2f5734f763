"""The avatar: a user's image, kept by authentication's storage (storage.py) as
``users/<id>/avatar``; sign-up stores it, a profile edit replaces it, the username search reads
it."""

from users.storage import Wording

# What clients read when storage refuses an avatar (400, 413: its own detail, as before) or fails.
AVATAR_WORDING = Wording(unavailable="The authentication service is unavailable")


def avatar_name(user_id: int) -> str:
    return f"users/{user_id}/avatar"

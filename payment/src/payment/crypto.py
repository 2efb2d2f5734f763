"""Wallet private keys are encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256)."""

from cryptography.fernet import Fernet, InvalidToken


class KeyBox:
    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except ValueError as error:
            raise ValueError(
                "the wallet encryption key must be 32 url-safe base64 bytes"
            ) from error

    def seal(self, private_key: bytes) -> bytes:
        return self._fernet.encrypt(private_key)

    def open(self, sealed: bytes) -> bytes:
        try:
            return self._fernet.decrypt(sealed)
        except InvalidToken as error:
            raise RuntimeError("a wallet key does not decrypt with the configured key") from error

"""Customers' data encrypted at rest: AES-256-GCM (``cryptography``'s ``AESGCM``), with the key
the team holds (``TICKETBOT_ENCRYPTION_KEY_FILE`` or ``TICKETBOT_ENCRYPTION_KEY``).

A sealed file is ``MAGIC``, the key's id (the first 8 bytes of its SHA-256), a 12-byte random
nonce and the ciphertext with GCM's tag; a sealed text (an audit store column) is ``PREFIX``
and the same bytes in URL-safe base64. The magic and the key id are the associated data, so a
file cannot be passed off under another key's id. Reading never guesses: data without the
magic is plain (written before encryption was turned on) and read as it is; sealed data with
no key, or a key of another id, or a tag that does not verify, is an ``EncryptionKeyError``
naming the file, and nothing is changed.

The keys are installed once per process (``install``), by the command that read the settings:
the current key seals; every key in the ring opens, so a rotation under way reads both.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EncryptionKeyError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# ``cryptography`` is imported where a key is used: every command reads state files through
# this module, and most installations run with no key.

MAGIC = b"TBSEAL1\n"
PREFIX = "tbseal1:"
KEY_BYTES = 32
_ID = 8
_NONCE = 12
KEY_SETTINGS = "TICKETBOT_ENCRYPTION_KEY_FILE or TICKETBOT_ENCRYPTION_KEY"


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:_ID]


def new_key_text() -> str:
    """A new key as a key file holds it: 32 random bytes in URL-safe base64, one line."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode() + "\n"


def parse_key(text: str, where: str) -> bytes:
    """The key in ``text`` (a key file's content, or the setting's value); ``where`` names it."""
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise EncryptionKeyError(
            f"{where} does not hold a key ticketbot made: 32 bytes in base64 "
            "(`ticketbot privacy keygen FILE` writes one)"
        )
    return key


def read_key_file(path: Path, named_by: str = "TICKETBOT_ENCRYPTION_KEY_FILE") -> bytes:
    """The key in ``path``; ``named_by`` is what gave the path (a setting, or ``privacy rotate
    --to``), so the error sends the reader to what they typed."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise EncryptionKeyError(
            f"the key file {path} ({named_by}) cannot be read: {exc}"
        ) from None
    return parse_key(text, f"the key file {path}")


@dataclass(frozen=True)
class Keyring:
    """The key that seals (``current``) and every key that opens (``current`` first)."""

    current: bytes
    older: tuple[bytes, ...] = ()

    def _opener(self, kid: bytes, where: str) -> AESGCM:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        for key in (self.current, *self.older):
            if key_id(key) == kid:
                return AESGCM(key)
        raise EncryptionKeyError(
            f"{where} is encrypted with another key (id {kid.hex()}) than the one given "
            f"({key_id(self.current).hex()}): set {KEY_SETTINGS} to that key"
        )

    def seal(self, data: bytes) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        kid = key_id(self.current)
        nonce = os.urandom(_NONCE)
        return MAGIC + kid + nonce + AESGCM(self.current).encrypt(nonce, data, MAGIC + kid)

    def open(self, data: bytes, where: str) -> bytes:
        if not data.startswith(MAGIC):
            return data
        from cryptography.exceptions import InvalidTag

        head = len(MAGIC)
        kid, nonce = data[head : head + _ID], data[head + _ID : head + _ID + _NONCE]
        try:
            return self._opener(kid, where).decrypt(nonce, data[head + _ID + _NONCE :], MAGIC + kid)
        except InvalidTag:
            raise EncryptionKeyError(
                f"{where} cannot be decrypted with the key given: the wrong key, or the file "
                "was changed"
            ) from None


_ring: list[Keyring] = []  # the process's keys, once installed (a list: no global statement)


def install(ring: Keyring | None) -> None:
    _ring[:] = [ring] if ring is not None else []


def installed() -> Keyring | None:
    return _ring[0] if _ring else None


def is_sealed(data: bytes) -> bool:
    return data.startswith(MAGIC)


def open_bytes(data: bytes, where: str) -> bytes:
    """``data`` as written: opened when sealed (the key must be installed), else as it is."""
    if not data.startswith(MAGIC):
        return data
    ring = installed()
    if ring is None:
        raise EncryptionKeyError(f"{where} is encrypted and no key was given: set {KEY_SETTINGS}")
    return ring.open(data, where)


def seal_bytes(data: bytes) -> bytes:
    """``data`` sealed with the current key, or as it is when encryption is off."""
    ring = installed()
    return ring.seal(data) if ring is not None else data


def seal_text(text: str) -> str:
    ring = installed()
    if ring is None:
        return text
    return PREFIX + base64.urlsafe_b64encode(ring.seal(text.encode())[len(MAGIC) :]).decode()


def open_text(text: str, where: str) -> str:
    if not text.startswith(PREFIX):
        return text
    try:
        raw = base64.urlsafe_b64decode(text[len(PREFIX) :].encode())
    except (binascii.Error, ValueError):
        raise EncryptionKeyError(f"{where} holds a damaged encrypted value") from None
    return open_bytes(MAGIC + raw, where).decode()


def keyring_from(
    key_file: Path | None, key: str | None, older_files: Sequence[Path] = ()
) -> Keyring | None:
    """The ring the settings name (a key file wins over the key's own setting); None: off."""
    if key_file is not None:
        current = read_key_file(key_file)
    elif key:
        current = parse_key(key, "TICKETBOT_ENCRYPTION_KEY")
    else:
        return None
    return Keyring(current, tuple(read_key_file(p) for p in older_files))


def sealed_with(data: bytes) -> bytes | None:
    """The id of the key ``data`` was sealed with (None: plain)."""
    return data[len(MAGIC) : len(MAGIC) + _ID] if data.startswith(MAGIC) else None


def text_sealed_with(text: str) -> bytes | None:
    if not text.startswith(PREFIX):
        return None
    try:
        return base64.urlsafe_b64decode(text[len(PREFIX) :].encode())[:_ID]
    except (binascii.Error, ValueError):
        return None


def seal_line(line: bytes) -> bytes:
    """One line of a file appended to line by line (serve's journal), sealed as a text (one
    line still, ASCII), or as it is when encryption is off."""
    return seal_text(line.decode()).encode() if installed() is not None else line


def open_line(line: bytes, where: str) -> bytes:
    if not line.startswith(PREFIX.encode()):
        return line
    return open_text(line.decode("ascii", "replace"), where).encode()

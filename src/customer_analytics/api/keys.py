"""API keys: who is calling, as a principal of the analytics views (a role and a user).

Keys are secrets and never live in the repository. The server reads a key file named by the
environment variable CA_API_KEYS: a JSON object mapping the SHA-256 of each key (64 hex digits)
to its principal, e.g. `{"<sha256 hex>": {"role": "SALES_LEADERSHIP", "user": "LEAD_UK"}}`.
Only hashes are stored, so the file does not give the keys away. The role and user are not
checked here: the analytics views decide what they may read (macros/security/access.sql), and a
principal they refuse gets 403 on every data endpoint.

`python -m customer_analytics.api.keys FILE --role ROLE [--user USER]` adds a new random key to
FILE (created 0600) and prints the key once.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

KEYS_ENV = "CA_API_KEYS"
DIGEST = re.compile(r"[0-9a-f]{64}")
# Longer header values are rejected before hashing: no key we issue is near this.
MAX_KEY_LENGTH = 512


@dataclass(frozen=True)
class Principal:
    """Who the views answer: the values of analytics_role and analytics_user (or, on
    Snowflake, the role and user of the connection)."""

    role: str
    user: str = ""


class KeyFileError(ValueError):
    pass


def key_digest(key: str) -> str:
    # surrogateescape: a header can carry any byte; it must hash, never raise.
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


class KeyStore:
    """Hashed keys and their principals; lookups compare every stored hash in constant time."""

    def __init__(self, principals_by_digest: dict[str, Principal]):
        self._entries = list(principals_by_digest.items())

    def __len__(self) -> int:
        return len(self._entries)

    def principal_for(self, key: str) -> Principal | None:
        if not key or len(key) > MAX_KEY_LENGTH:
            return None
        digest = key_digest(key)
        found = None
        # No early exit: the time taken does not tell which stored hash (if any) matched.
        for stored, principal in self._entries:
            if hmac.compare_digest(stored, digest):
                found = principal
        return found


def parse_key_file(text: str) -> dict[str, Principal]:
    """{sha256 hex: Principal} from the key file's JSON; KeyFileError naming what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise KeyFileError(f"not JSON: {error}") from None
    if not isinstance(data, dict):
        raise KeyFileError('expected a JSON object {"<sha256 of key>": {"role": …, "user": …}}')
    parsed = {}
    # Entries are named by their position: a key written in clear by mistake is not echoed.
    for number, (digest, entry) in enumerate(data.items(), start=1):
        if not DIGEST.fullmatch(digest):
            raise KeyFileError(
                f"entry {number}: keys must be SHA-256 digests of the keys, 64 lower-case hex"
            )
        if not isinstance(entry, dict) or not isinstance(entry.get("role"), str):
            raise KeyFileError(f"entry {number}: needs a string 'role'")
        user = entry.get("user") or ""
        if not isinstance(user, str):
            raise KeyFileError(f"entry {number}: 'user' must be a string")
        parsed[digest] = Principal(entry["role"], user)
    return parsed


def load_key_store(path: Path) -> KeyStore:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise KeyFileError(f"cannot read {path}: {error.strerror}") from None
    try:
        return KeyStore(parse_key_file(text))
    except KeyFileError as error:
        raise KeyFileError(f"{path}: {error}") from None


def add_key(path: Path, principal: Principal) -> str:
    """A new random key for `principal`, its hash added to the key file; returns the key."""
    entries = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    key = secrets.token_urlsafe(32)
    entries[key_digest(key)] = {"role": principal.role, "user": principal.user}
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(entries, handle, indent=2)
    return key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Add a new API key to a key file.")
    parser.add_argument("key_file", type=Path)
    parser.add_argument("--role", required=True)
    parser.add_argument("--user", default="")
    args = parser.parse_args(argv)
    try:
        load_key_store(args.key_file) if args.key_file.exists() else None
    except KeyFileError as error:
        print(f"keys: {error}", file=sys.stderr)
        return 1
    print(add_key(args.key_file, Principal(args.role, args.user)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

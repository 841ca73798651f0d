"""Identifier formats the AICall API uses: 24-hex ids for objects, UUIDs for contacts."""

from __future__ import annotations

import os
import time
import uuid


def object_id() -> str:
    """A 24-hex-digit id (like AICall's), time-ordered so indexes stay append-mostly."""
    return int(time.time()).to_bytes(4, "big").hex() + os.urandom(8).hex()


def contact_id() -> str:
    return str(uuid.uuid4())

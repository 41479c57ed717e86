"""The Freshdesk sandbox's skills and companies, as it keeps them (``staff_api`` serves them)."""

from __future__ import annotations

import threading
from typing import Any

FIRST_SKILL_ID = 50_001
FIRST_COMPANY_ID = 60_001


class StaffBook:
    """Skills and companies; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.skills: dict[int, dict[str, Any]] = {}
        self.companies: dict[int, dict[str, Any]] = {}

    def add_skill(self, name: str, stamp: str) -> dict[str, Any]:
        with self._lock:
            for found in self.skills.values():
                if found["name"].casefold() == name.casefold():
                    return dict(found)
            sid = FIRST_SKILL_ID + len(self.skills)
            record = {
                "id": sid,
                "name": name,
                "rank": len(self.skills) + 1,
                "match_type": "any",
                "conditions": [],
                "agents": [],
                "created_at": stamp,
                "updated_at": stamp,
            }
            self.skills[sid] = record
            return dict(record)

    def add_company(self, body: dict[str, Any], stamp: str) -> dict[str, Any]:
        with self._lock:
            cid = FIRST_COMPANY_ID + len(self.companies)
            record: dict[str, Any] = {
                "id": cid,
                "name": str(body.get("name") or f"Company {cid}"),
                "description": None,
                "note": None,
                "domains": [],
                "health_score": None,
                "account_tier": body.get("account_tier"),
                "renewal_date": None,
                "industry": None,
                "custom_fields": dict(body.get("custom_fields") or {}),
                "created_at": stamp,
                "updated_at": stamp,
            }
            self.companies[cid] = record
            return dict(record)

"""Tags on the ServiceNow sandbox's records: ``label`` rows (one per name) and ``label_entry``
rows tying a label to a record (``table``, ``table_key``), as the instance's tagging keeps them."""

from __future__ import annotations

from collections.abc import Sequence

from .store import ServiceNowStore
from .tables import DISPLAY_COLUMN


def add_label(store: ServiceNowStore, table: str, sys_id: str, name: str, user: str) -> None:
    """Tag the record with ``name`` as ``user`` would in the web UI (the label made once)."""
    if name in labels_of(store, table, sys_id):
        return
    label = next((row for row in store.rows("label") if row["name"] == name), None)
    if label is None:
        label = store.insert("label", {"name": name}, user)
    record = store.find(table, sys_id) or {}
    title = record.get(DISPLAY_COLUMN.get(table, "sys_id"), "")
    store.insert(
        "label_entry",
        {"label": label["sys_id"], "table": table, "table_key": sys_id, "title": title},
        user,
    )


def set_labels(
    store: ServiceNowStore, table: str, sys_id: str, names: Sequence[str], user: str
) -> None:
    """Leave the record tagged with exactly ``names``: the other entries removed, as a user
    removing a tag in the web UI deletes its ``label_entry``."""
    labels = {row["sys_id"]: row["name"] for row in store.rows("label")}
    for row in store.rows("label_entry"):
        mine = row["table"] == table and row["table_key"] == sys_id
        if mine and labels.get(row["label"]) not in names:
            store.delete("label_entry", row["sys_id"])
    for name in names:
        add_label(store, table, sys_id, name, user)


def labels_of(store: ServiceNowStore, table: str, sys_id: str) -> list[str]:
    """The names of the record's labels, in the order they were added."""
    names = {row["sys_id"]: row["name"] for row in store.rows("label")}
    return [
        names.get(row["label"], "")
        for row in store.rows("label_entry")
        if row["table"] == table and row["table_key"] == sys_id
    ]

"""Write ``ticket_processor/samples/taxonomy_subcategories.toml``: the default taxonomy plus
subcategories, the intents of the BANKING77 and Bitext rows under the category each maps to.

The cues are made from each subcategory's *name* and a short hand-written list of synonyms, never
from the labelled rows, so ``ticketbot eval --engine rules`` on those rows measures rules a support
lead could have written, not rules fitted to the test. Run it again after editing SUBCATEGORIES::

    python scripts/subcategory_taxonomy.py
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "ticket_processor" / "samples" / "taxonomy_subcategories.toml"

# category -> subcategory -> extra cues (phrases or keywords; "word*" is a prefix).
SUBCATEGORIES: dict[str, dict[str, tuple[str, ...]]] = {
    "account": {
        "create_account": ("open an account", "sign up", "new account", "register"),
        "delete_account": ("close my account", "remove my account", "delete my profile"),
        "edit_account": ("update my account", "change my account", "modify account"),
        "switch_account": ("switch to", "change plan", "upgrade account", "another account"),
        "recover_password": ("forgot my password", "reset password", "lost password", "user key"),
        "registration_problems": ("signup error", "sign-up", "registration", "cannot register"),
        "terminate_account": ("terminate", "cancel my account"),
        "edit_personal_details": ("change my name", "change my address", "personal details"),
        "change_pin": ("new pin", "pin code", "change my pin"),
        "pin_blocked": ("pin blocked", "pin is blocked", "locked pin", "too many attempts"),
        "passcode_forgotten": ("passcode", "forgot my passcode"),
        "lost_or_stolen_phone": ("lost my phone", "phone stolen", "stolen phone", "lost phone"),
        "verify_my_identity": ("verify my identity", "identity verification", "verification"),
        "why_verify_identity": ("why verify", "why do i need to verify", "why identity"),
        "unable_to_verify_identity": ("can't verify", "cannot verify", "verification failed"),
    },
    "billing": {
        "check_payment_methods": ("payment methods", "payment options", "ways to pay"),
        "payment_issue": ("payment problem", "payment issue", "can't pay", "payment failed"),
        "check_invoice": ("check invoice", "see my invoice", "invoice details", "bill"),
        "get_invoice": ("get invoice", "download invoice", "send me the invoice", "copy of bill"),
        "check_cancellation_fee": ("cancellation fee", "early termination", "termination fee"),
        "direct_debit_payment_not_recognised": ("direct debit", "debit i don't recognise"),
        "wrong_exchange_rate_for_cash_withdrawal": ("exchange rate", "cash withdrawal rate"),
        "balance_not_updated_after_bank_transfer": ("balance not updated", "bank transfer"),
        "balance_not_updated_after_cheque_or_cash_deposit": ("cheque", "cash deposit"),
        "top_up_by_card_charge": ("top up fee", "card top up charge", "top-up fee"),
        "top_up_by_bank_transfer_charge": ("bank transfer top up fee", "transfer top up charge"),
        "transfer_fee_charged": ("transfer fee", "charged for transfer", "fee for transfer"),
        "card_payment_wrong_exchange_rate": ("wrong exchange rate", "bad rate", "card rate"),
        "card_payment_fee_charged": ("card payment fee", "fee on card payment", "charged a fee"),
        "declined_card_payment": ("card declined", "payment declined", "declined"),
        "exchange_charge": ("exchange fee", "currency exchange charge", "exchanging"),
        "transaction_charged_twice": ("charged twice", "double charge", "duplicate charge"),
        "cash_withdrawal_not_recognised": (
            "withdrawal i didn't make",
            "don't recognise withdrawal",
        ),
        "wrong_amount_of_cash_received": ("wrong amount", "atm gave", "less cash"),
        "pending_card_payment": ("pending payment", "payment pending", "still pending"),
        "cash_withdrawal_charge": ("withdrawal fee", "atm fee", "charged for withdrawal"),
        "card_payment_not_recognised": ("payment i don't recognise", "unknown payment"),
        "reverted_card_payment": ("reverted", "payment reverted", "payment returned"),
    },
    "how_to": {
        "place_order": ("place an order", "buy", "purchase", "order"),
        "topping_up_by_card": ("top up with card", "add money with card"),
        "apple_pay_or_google_pay": ("apple pay", "google pay"),
        "fiat_currency_support": ("currencies", "fiat", "which currency"),
        "getting_spare_card": ("spare card", "second card", "extra card"),
        "visa_or_mastercard": ("visa", "mastercard"),
        "exchange_via_app": ("exchange in the app", "exchange currency", "convert money"),
        "activate_my_card": ("activate", "activation"),
        "card_linking": ("link my card", "link card", "linking"),
        "exchange_rate": ("exchange rate", "rate for"),
        "top_up_by_cash_or_cheque": ("top up with cash", "top up by cheque"),
        "automatic_top_up": ("auto top up", "automatic top-up", "auto top-up"),
        "supported_cards_and_currencies": ("supported cards", "which cards"),
        "age_limit": ("age limit", "how old", "minimum age"),
        "disposable_card_limits": ("disposable card limit", "disposable"),
        "getting_virtual_card": ("virtual card", "get a virtual card"),
        "verify_top_up": ("verify top up", "verify my top-up"),
        "get_disposable_virtual_card": ("disposable virtual card",),
        "receiving_money": ("receive money", "receiving money", "get paid"),
        "order_physical_card": ("order a card", "physical card"),
        "transfer_into_account": ("transfer into my account", "add money to my account"),
        "get_physical_card": ("get a physical card", "plastic card"),
        "top_up_limits": ("top up limit", "maximum top up"),
    },
    "other": {
        "change_order": ("change my order", "modify order", "edit order", "add to order"),
        "contact_customer_service": ("customer service", "contact you", "phone number"),
        "review": ("review", "feedback", "leave a review", "rate your"),
        "complaint": ("complaint", "complain", "file a complaint"),
        "cancel_order": ("cancel my order", "cancel order", "cancel the order"),
        "newsletter_subscription": ("newsletter", "unsubscribe", "mailing list"),
        "contact_human_agent": ("human", "real person", "speak to an agent", "live agent"),
        "declined_transfer": ("transfer declined", "transfer was declined"),
        "lost_or_stolen_card": ("lost my card", "stolen card", "card stolen"),
        "card_about_to_expire": ("expire", "expiring", "expiry"),
        "top_up_reverted": ("top up reverted", "top-up reversed"),
        "transfer_not_received_by_recipient": ("not received", "recipient didn't get"),
        "card_swallowed": ("swallowed", "atm kept my card", "atm took my card"),
        "pending_cash_withdrawal": ("withdrawal pending", "pending withdrawal"),
        "pending_transfer": ("transfer pending", "pending transfer"),
        "cancel_transfer": ("cancel transfer", "cancel a transfer", "stop transfer"),
        "declined_cash_withdrawal": ("withdrawal declined", "atm declined"),
        "card_acceptance": ("accepted", "where can i use", "accept my card"),
        "atm_support": ("atm", "cash machine"),
        "beneficiary_not_allowed": ("beneficiary", "payee not allowed"),
        "compromised_card": ("compromised", "card details stolen"),
        "pending_top_up": ("top up pending", "pending top-up"),
    },
    "refund": {
        "track_refund": ("track my refund", "refund status", "where is my refund"),
        "get_refund": ("get a refund", "get my money back", "reimburse*"),
        "check_refund_policy": ("refund policy", "money back guarantee", "policy"),
        "refund_not_showing_up": ("refund not showing", "haven't received refund", "not showing"),
        "request_refund": ("request a refund", "ask for a refund", "want a refund"),
    },
    "shipping": {
        "delivery_period": ("how long", "delivery time", "when will it arrive", "days"),
        "track_order": ("track my order", "tracking", "where is my order"),
        "set_up_shipping_address": ("set up shipping address", "add address", "new address"),
        "delivery_options": ("delivery options", "shipping methods", "express"),
        "change_shipping_address": ("change shipping address", "wrong address", "update address"),
        "card_arrival": ("card hasn't arrived", "card arrived", "still waiting for my card"),
        "card_delivery_estimate": ("when will my card", "card delivery", "how long card"),
    },
    "bug": {
        "card_not_working": ("card not working", "card doesn't work", "card stopped working"),
        "virtual_card_not_working": ("virtual card not working", "virtual card doesn't work"),
        "top_up_failed": ("top up failed", "top-up failed", "couldn't top up"),
        "failed_transfer": ("transfer failed", "failed transfer", "transfer didn't go through"),
        "contactless_not_working": ("contactless", "tap to pay"),
    },
}


def _description(name: str) -> str:
    return name.replace("_", " ").capitalize() + "."


def _cues(name: str, extra: tuple[str, ...]) -> tuple[list[str], list[str]]:
    phrases = [name.replace("_", " ")] + [c for c in extra if " " in c]
    keywords = [c for c in extra if " " not in c]
    return keywords, phrases


def _quoted(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def render() -> str:
    base = (ROOT / "ticket_processor" / "default_taxonomy.toml").read_text("utf-8")
    parts = [
        base.rstrip(),
        "",
        "# Subcategories (scripts/subcategory_taxonomy.py wrote them): the intents of the",
        "# BANKING77 and Bitext rows under the category each maps to. Each is a table",
        "# [categories.CATEGORY.sub.NAME] with a description and cues, as a category has.",
    ]
    for category, subs in SUBCATEGORIES.items():
        for name, extra in subs.items():
            keywords, phrases = _cues(name, extra)
            parts += ["", f"[categories.{category}.sub.{name}]"]
            parts.append(f'description = "{_description(name)}"')
            if keywords:
                parts.append(f"keywords = {_quoted(keywords)}")
            parts.append(f"phrases = {_quoted(phrases)}")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), "utf-8")
    count = sum(len(subs) for subs in SUBCATEGORIES.values())
    print(f"wrote {OUT.relative_to(ROOT)}: {count} subcategories")

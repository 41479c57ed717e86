"""A macro written for after an agent acted ("We have cancelled your subscription") never
answers a customer who asked how, on both helpdesks, in send mode with the default thresholds:
it stays a suggestion, and the note says why no reply went out. And what tells a reply that
reports an action done from a how-to (``triage.done_claims``), in the answers' six languages.
"""

from __future__ import annotations

import pytest
from support.answers_desk import create_tickets, public_comments, publish_help_centre
from support.cli import invoke
from support.macros_desk import post_macro

from ticket_processor.helpdesks.sample_replies import sample_replies
from ticket_processor.sandbox.desks import Desk
from ticket_processor.triage.done_claims import reports_action

# Each macro reports its action done; each question only asks how to do it.
DONE = [
    (
        "Subscription cancelled",
        "We have cancelled your subscription as you asked. You will not be charged again and "
        "your workspace stays open until the end of the billing period.",
        "Cancel my subscription",
        "How do I cancel my subscription?",
    ),
    (
        "Account closed",
        "We have closed your account and deleted its projects. Thank you for having been with us.",
        "Close my account",
        "How do I close my account and delete my projects?",
    ),
    (
        "Two-factor turned off",
        "Your two-factor sign-in has been reset. Sign in with your password and set up the "
        "authenticator app again.",
        "Reset two-factor",
        "How do I reset two-factor sign-in on my account?",
    ),
    (
        "Plan upgraded",
        "We have upgraded your workspace to the Business plan. The new seats are ready to use.",
        "Upgrade to Business",
        "How do I upgrade my workspace to the Business plan?",
    ),
    (
        "Plan downgraded",
        "We have downgraded your workspace to the Starter plan from your next invoice.",
        "Downgrade plan",
        "How do I downgrade my workspace to the Starter plan?",
    ),
    (
        "Billing email changed",
        "We've changed the billing email on your account. Invoices now go to the new address.",
        "Billing email",
        "How do I change the billing email where invoices are sent?",
    ),
    (
        "Account unlocked",
        "We have unlocked your account after the failed sign-in attempts. You can sign in again.",
        "Locked account",
        "How do I unlock my account after too many failed sign-in attempts?",
    ),
    (
        "Workspace reactivated",
        "Your workspace has been reactivated with all its boards and members.",
        "Reactivate workspace",
        "How do I reactivate a workspace that was archived?",
    ),
    (
        "Ownership transferred",
        "We have transferred ownership of the workspace to the colleague you named.",
        "Transfer ownership",
        "How do I transfer ownership of a workspace to a colleague?",
    ),
    (
        "Username changed",
        "We have changed your username. Your old profile link now forwards to the new one.",
        "Change username",
        "How do I change my username and profile link?",
    ),
    (
        "Member removed",
        "We have removed the team member from your workspace and freed the seat.",
        "Remove a member",
        "How do I remove a team member from my workspace and free the seat?",
    ),
    (
        "Project restored",
        "We have restored your deleted project with its files and comments.",
        "Restore project",
        "How do I restore a project I deleted by mistake?",
    ),
    (
        "Late fee waived",
        "We have waived the late payment fee on your last invoice.",
        "Late payment fee",
        "How do I get the late payment fee on an invoice waived?",
    ),
    (
        "Replacement shipped",
        "We have shipped a replacement for the damaged scanner. It arrives in three days.",
        "Damaged scanner",
        "How do I get a replacement for a scanner that arrived damaged?",
    ),
    (
        "Shipping address changed",
        "Your shipping address has been updated on the open order.",
        "Shipping address",
        "How do I change the shipping address on an order I placed?",
    ),
    (
        "Invitation resent",
        "We have resent the invitation email to your colleague; it is valid for seven days.",
        "Invitation email",
        "How do I resend an invitation email to a colleague?",
    ),
    (
        "Discount applied",
        "We have applied the discount code to your subscription from the next renewal.",
        "Discount code",
        "How do I apply a discount code to my subscription renewal?",
    ),
    (
        "Subscription paused",
        "We will pause your subscription for three months; you will not be billed meanwhile.",
        "Pause subscription",
        "How do I pause my subscription for a few months?",
    ),
    (
        "Data deleted",
        "Your personal data has been deleted from our systems as you asked.",
        "Delete my data",
        "How do I have my personal data deleted from your systems?",
    ),
]
# The sample account's refund macro ("We have issued your refund today...") is the twentieth.
REFUND = ("Refund for last payment", "How do I get a refund for my last payment?")


@pytest.mark.desk(configure=True)
def test_a_macro_reporting_an_action_done_never_answers_a_how_question(desk: Desk) -> None:
    publish_help_centre(desk)
    replies, _ = sample_replies()
    for reply in replies:
        post_macro(desk.kind, desk, reply.title, reply.text)
    for title, text, _, _ in DONE:
        post_macro(desk.kind, desk, title, text)
    questions = [(s, d) for _, _, s, d in DONE] + [REFUND]
    assert len(questions) == 20
    ids = create_tickets(
        desk, [{"subject": s, "description": d, "kind": "answerable"} for s, d in questions]
    )
    synced = invoke("macros", "sync")
    assert synced.exit_code == 0, synced.output
    # The sample's refund and known-issue macros ("we will update this ticket") and all of DONE.
    assert "2 may answer customers; 21 suggested to agents only" in synced.output
    assert 'reports an action done ("We have issued")' in synced.output

    ran = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert ran.exit_code == 0, ran.output

    stated = [
        (ticket_id, reply)
        for ticket_id in ids
        for reply in public_comments(desk, ticket_id)
        if reports_action(reply) is not None
    ]
    assert stated == []
    held = [i for i in ids if any("reports_action" in n for n in desk.snapshot(i).notes)]
    assert held, "the notes say why the macro was not sent"


@pytest.mark.parametrize(
    "text",
    [
        "We have issued your refund today.",
        "We have cancelled your subscription as you asked.",
        "Your account has been reset.",
        "We will refund the second payment.",
        "Wir haben Ihr Abonnement gekündigt.",
        "Ihr Konto wurde zurückgesetzt.",
        "Nous avons annulé votre abonnement.",
        "Votre remboursement a été effectué.",
        "Hemos cancelado su suscripción.",
        "Su cuenta ha sido restablecida.",
        "Cancelámos a sua assinatura.",
        "A sua conta foi redefinida.",
        "We hebben uw abonnement opgezegd.",
        "Uw wachtwoord is gereset.",
    ],
)
def test_an_action_reported_done_or_promised_is_found(text: str) -> None:
    assert reports_action(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "You can reset your password from the sign-in page: click Forgot password and follow "
        "the link we send you.",
        "To cancel, open Settings, then Billing, and click Cancel subscription.",
        "Refunds go back to the card you paid with within 5 to 10 working days.",
        "Öffnen Sie Einstellungen und klicken Sie auf Abonnement kündigen.",
        "Ouvrez Paramètres, puis Facturation, et cliquez sur Annuler l'abonnement.",
        "Abra Configuración y haga clic en Cancelar suscripción.",
        "Abra Definições e clique em Cancelar assinatura.",
        "Open Instellingen en klik op Abonnement opzeggen.",
    ],
)
def test_a_how_to_is_no_report_of_an_action(text: str) -> None:
    assert reports_action(text) is None

"""ServiceNow's side of ``ticketbot serve``: a business rule that POSTs to it.

One business rule on the ticket table (after insert and update, run async so the agent's form
does not wait): on insert it sends ``created``; on an update whose new journal entry is the
caller's comment, ``reply``; on any other update by someone other than ticketbot's own user,
``updated`` (but not for an agent's work note alone: as on Zendesk and Freshdesk, an internal
note wakes nothing). The body is the shared shape (``{"ticket_id": <number's digits>,
"event": …}``, plus ``table`` and ``sys_id``), built in the rule's script and sent with
``sn_ws.RESTMessageV2``, signed ``X-Ticketbot-Signature: sha256=<hex HMAC-SHA256 of the body>``
with the shared secret (``TICKETBOT_SERVE_SECRET``, kept in a system property rather than in
the script).

``apply`` works against ticketbot's own ServiceNow sandbox through its knob
(``POST /sandbox/webhooks``), so the demo and the tests run the same path; against a real
instance it says to follow the instructions (creating a ``sys_script`` needs the admin role,
which an integration user should not hold).
"""

from __future__ import annotations

from ...common.helpdesk_settings import HelpdeskSettings
from ..webhook_setup import SetupNotPossible, SetupReport
from .kind import ServiceNowSettings
from .wire import TABLE_API, BearerAuth, ServiceNowTransport

RULE_NAME = "ticketbot: notify serve"
SECRET_PROPERTY = "x_ticketbot.serve_secret"  # noqa: S105 - a property's name

SCRIPT = """(function executeRule(current, previous /*null when async*/) {
    var me = '%(user)s';
    if (gs.getUserName() == me) return; // ticketbot's own writes wake nothing
    // An agent's internal note alone asks nothing of ticketbot.
    if (current.operation() == 'update' && current.work_notes.changes()
        && !current.comments.changes()) return;
    var event = current.operation() == 'insert' ? 'created' : 'updated';
    var caller = current.%(customer)s.user_name.toString();
    if (event == 'updated' && current.comments.changes() && gs.getUserName() == caller)
        event = 'reply';
    var digits = current.number.toString().replace(/[^0-9]/g, '');
    var body = JSON.stringify({ticket_id: parseInt(digits, 10), event: event,
        table: current.getTableName(), sys_id: current.getUniqueValue()});
    var secret = gs.getProperty('%(property)s');
    var mac = new GlideCertificateEncryption().generateMac(
        GlideStringUtil.base64Encode(secret), 'HmacSHA256', body);
    var hex = '';
    var raw = GlideStringUtil.base64DecodeAsBytes(mac);
    for (var i = 0; i < raw.length; i++)
        hex += ('0' + (raw[i] & 0xff).toString(16)).slice(-2);
    var request = new sn_ws.RESTMessageV2();
    request.setEndpoint('%(endpoint)s');
    request.setHttpMethod('POST');
    request.setRequestHeader('Content-Type', 'application/json');
    request.setRequestHeader('X-Ticketbot-Signature', 'sha256=' + hex);
    request.setRequestBody(body);
    request.executeAsync();
})(current, previous);"""


class ServiceNowWebhookSetup:
    """``WebhookSetup`` for ServiceNow."""

    chooses_secret = False

    def instructions(self, endpoint: str, *, secret_set: bool) -> str:
        note = (
            ""
            if secret_set
            else "TICKETBOT_SERVE_SECRET is not set: choose a long random value "
            "(`openssl rand -hex 32`) and set it for serve too."
        )
        script = SCRIPT % {
            "user": "<SERVICENOW_USERNAME>",
            "customer": "caller_id (contact on sn_customerservice_case)",
            "property": SECRET_PROPERTY,
            "endpoint": endpoint,
        }
        lines = [
            "ServiceNow: one system property and one business rule (as an admin).",
            *([note] if note else []),
            "",
            f"1. System Properties > New: name {SECRET_PROPERTY}, type password2,",
            "   value: the value of TICKETBOT_SERVE_SECRET.",
            "",
            f'2. System Definition > Business Rules > New: name "{RULE_NAME}",',
            "   table: the SERVICENOW_TABLE (incident), Advanced: on,",
            "   When: async, Insert: on, Update: on; Script:",
            "",
            script,
        ]
        return "\n".join(lines)

    def apply(self, desk: HelpdeskSettings, endpoint: str, secret: str | None) -> SetupReport:
        if not isinstance(desk, ServiceNowSettings):
            raise TypeError("the ServiceNow webhook set-up needs ServiceNow's settings")
        desk.require()
        if not secret:
            raise SetupNotPossible(
                "TICKETBOT_SERVE_SECRET is not set: it is the key the business rule signs "
                "with; set it (for serve too), then run this again"
            )
        password = desk.servicenow_password.get_secret_value() if desk.servicenow_password else ""
        auth: tuple[str, str] | BearerAuth = (desk.servicenow_username or "", password)
        if desk.servicenow_client_id:
            client = desk.servicenow_client_secret
            auth = BearerAuth(
                desk.base_url,
                desk.servicenow_client_id,
                client.get_secret_value() if client else "",
                username=desk.servicenow_username,
                password=password or None,
            )
        http = ServiceNowTransport(desk.base_url, auth=auth)
        try:
            http.request("GET", f"{TABLE_API}/sys_user", params={"sysparm_limit": "1"})
            if http.sandbox_kind != "servicenow":
                raise SetupNotPossible(
                    "ticketbot does not create business rules on a real instance: add the "
                    "property and the rule `ticketbot serve --print-setup` prints"
                )
            rule = {"url": endpoint, "secret": secret, "table": desk.servicenow_table}
            http.request("DELETE", "/sandbox/webhooks", replay_safe=False)
            http.request("POST", "/sandbox/webhooks", json=rule)
        finally:
            http.close()
        return SetupReport(done=[f"business rule {RULE_NAME!r}: set (sandbox knob)"])


SETUP = ServiceNowWebhookSetup()

"""What a mail no customer wrote asks of its reader, read from the words alone. Pure.

Bulk mail and phishing want something a customer writing to a support desk never asks of it:
to be taken off a list, to click or follow a link, to buy at a price, to confirm a password or
card, to act before a deadline, to buy search rankings, or to take part in a transfer of
money. Each such *lure* is one family of words (English and the note's other languages); the
gate counts the families a text shows, never the words, so that one family written five ways
still counts once.

A customer may name one lure ("how do I unsubscribe?", "I clicked the link in your mail"): one
family alone decides nothing (``gate``), and a customer's report of such a mail is judged on
their own words (``reading``).
"""

from __future__ import annotations

import re

_FAMILIES: dict[str, re.Pattern[str]] = {
    # The footer of bulk mail: how to leave the list it was sent to.
    "list": re.compile(
        r"""(?ix)
        \b(?:unsubscribe|opt[\s-]*out|remove\ (?:me|you|yourself)\ from
        | (?:taken|take\ me|be\ removed)\ off
        | (?:to\ be|be|get)\ removed | remove\ your\ (?:e-?mail|address)
        | to\ (?:stop|discontinue)\ (?:receiving|further)
        | no\ longer\ (?:wish|want)\ to\ receive | mailing\ list | no\ more\ (?:offers|mail)
        | abmelden | désinscri\w* | darse\ de\ baja | afmelden | descadastr\w*)
        """
    ),
    # A call to click or visit, as a sender who wants traffic writes it.
    "click": re.compile(
        r"""(?ix)
        \b(?:click\ (?:here|below|the\ link|this\ link|on\ the\ link)
        | (?:visit|check\ out)\ (?:our|my|the)\ (?:web\s*site|site|page|store|shop)
        | (?:order|buy|shop|act|apply|call)\ (?:now|today)
        | follow\ the\ link | klicken\ sie\ (?:hier|auf\ den\ link) | cliquez\ ici | haga\ clic
        | clique\ aqui)
        """
    ),
    # A price or an offer: what is sold, and how cheaply.
    "offer": re.compile(
        r"""(?ix)
        (?:\$\s?\d[\d,.]*\s?(?:usd|dollars|million)?
        | \b\d+\s?%\s?(?:off|discount|free|guarantee|money)
        | \b(?:lowest|best|cheap|low)\ (?:price|prices|cost|rates?)
        | \b(?:free\ (?:trial|gift|bonus|shipping|quote|access|audit|seo\ audit|consultation)
          |money[\s-]back|no\ obligation
          |special\ offer|limited\ (?:time|offer)|discount(?:ed)?\ (?:meds|prices?|software)
          |risk[\s-]free|act\ fast|winner|you\ have\ (?:won|been\ selected)
          |prescription|viagra|cialis|meds\b|pharmacy|mortgage|refinanc\w*
          |stock\ (?:pick|profile|alert)|pills|medications?|xanax|valium|vicodin|phentermine
          |levitra|oem\ software|replica|rolex|lonely\ (?:singles|women|people)|weight\ loss
          |investment\ opportunit\w*|work\ from\ home|earn\ \$?\d|make\ money))
        """
    ),
    # Asks the reader to confirm what lets someone in or pays: a password, a card, an account.
    "credential": re.compile(
        r"""(?ix)
        \b(?:(?:verify|confirm|update|validate|re-?activate|unlock)\ (?:your|the)\ (?:account
          |password|identity|login|details|information|card|billing|payment|credentials)
        | (?:verify|confirm|update|validate|re-?activate|unlock)\ your\ (?:mailbox|e-?mail|bank)
        | (?:account|mailbox|card)\ (?:has\ been|will\ be|is)\ (?:suspended|locked|limited
          |closed|deactivated|blocked)
        | (?:have|has|we've)\ (?:been\ )?temporarily\ (?:limited|restricted|suspended|locked)
        | (?:unusual|suspicious|unauthori[sz]ed)\ (?:log\s?-?in\ |sign[\s-]?in\ )?(?:activit
          (?:y|ies)|attempts?)
        | (?:verify|confirm|validate)\ and\ (?:log\s?-?in|sign\s?-?in|update)
        | (?:e-?mail|webmail|mailbox)\ (?:account\ )?(?:expires|will\ (?:expire|be\ (?:closed
          |deactivated|terminated|suspended)))
        | konto\ wird\ (?:gesperrt|eingeschränkt|deaktiviert)
        | limitations?\ (?:have|has)\ been\ placed\ on\ your | remove\ (?:these|the)\ limitations
        | avoid\ (?:\w+\ ){0,3}suspension | connexion\ (?:suspecte|inhabituelle)
        | (?:bestätigen|verifizieren|aktualisieren)\ sie\ (?:ihr\w*|benutzername|passwort
          |kennwort|zugangsdaten|kreditkart\w*)
        | (?:confirmez|vérifiez|mettez\ à\ jour)\ (?:votre|vos)\ (?:identité|mot\ de\ passe
          |compte|carte|coordonnées)
        | (?:confirme|verifique|actualice)\ (?:su|sus)\ (?:cuenta|identidad|contraseña
          |tarjeta|datos)
        | (?:bevestig|verifieer|controleer)\ (?:uw|je)\ (?:account|gegevens|identiteit|wachtwoord)
        | (?:confirme|verifique|atualize)\ (?:sua|seus|seu)\ (?:conta|identidade|senha|cart[ãa]o
          |dados))
        """
    ),
    # A deadline the reader must beat.
    "deadline": re.compile(
        r"""(?ix)
        \b(?:(?:within|after|in|with)\ (?:24|48|72)\ ?(?:hours|hrs)\b|immediately
        | expires?\ (?:today|soon)
        | last\ chance
        | before\ it'?s\ too\ late|urgent(?:ly)?|act\ now|don'?t\ miss|hurry
        | innerhalb\ von\ 24\ stunden | sous\ 24\ heures | en\ 24\ horas)
        """
    ),
    # Selling a business its own visibility: search rankings, links, sponsored posts.
    "marketing": re.compile(
        r"""(?ix)
        \b(?:seo|link[\s-]?building|back[\s-]?links?|dofollow|guest\ posts?
        | sponsored\ (?:posts?|content|articles?) | (?:google|search)[\s-]?rankings?
        | first\ page\ of\ (?:google|search\ results) | rank(?:s|ing)?\ (?:higher\ )?on\ google
        | (?:increase|boost|double|grow)\ your\ (?:web\s*site\ |organic\ |site\ )?traffic
        | contenido\ patrocinado | publicaci[óo]n\ patrocinada | google-platzierung
        | référencement | article\ sponsorisé | gesponsorde?\ (?:artikel|berichten?))\b
        """
    ),
    # Explicit sexual words: bulk mail sells with them; a support ticket does not use them.
    "adult": re.compile(
        r"(?i)\b(?:porn\w*|xxx|horny|nude|naked|sluts?|whores?|pussy|dicks?|cocks?|blowjob"
        r"|erotic|erection|penis|ejaculat\w*|sexual\ (?:performance|stamina|desire))\b"
    ),
    # A link to a web address in the sender's own words (the spaces allowed where a corpus
    # stores text tokenised: ``http : / / www . example . com``). Not Twitter's ``t.co``: the
    # channel wraps every link of a tweet in it, a customer's screenshot as a news site's
    # headline, so it says nothing of what the sender asks; with it, 54 of 900 customers' tweets
    # to airlines were gated, their link beside the head's word.
    "link": re.compile(
        r"(?i)https?\s?:\s?/\s?/(?!\s?t\s?\.\s?co\s?/)|\bwww\s?\.\s?[a-z0-9-]+\s?\.\s?[a-z]{2,}\b"
    ),
    # A transfer of money the reader is to take part in: advance-fee fraud, a gift-card request.
    "transfer": re.compile(
        r"""(?ix)
        \b(?:transfer\ (?:of\ )?(?:the\ )?(?:funds|sum|money)|beneficiary|next\ of\ kin
        | (?:gift|itunes|steam)\ cards?|wire\ (?:transfer|the)|bank\ account\ details
        | confidential\ (?:business|transaction)|inheritance|barrister|consignment)
        """
    ),
}


# A customer who says their ticket can wait names no deadline: "not urgent at all", "no rush",
# "keine Eile". Nor does an out-of-office reply that says whom to ask "for urgent matters" (an
# urgency of the reader's, not a deadline set for them). These words are taken out before the
# families are read, so the deadline family finds only an urgency the text asserts ("urgent:
# reply within 24 hours").
_NOT_URGENT = re.compile(
    r"""(?ix)
    \b(?:(?:for|with|in\ (?:case\ of\ )?)\ (?:any\ )?urgent
      \ (?:matters?|enquiries|inquiries|issues|requests|questions|cases|concerns)
    | in\ (?:case\ of\ )?(?:an\ )?(?:urgency|emergency) | if\ (?:it\ is\ |it'?s\ )?urgent
    | in\ dringenden\ f(?:ä|ae)llen | pour\ toute\ urgence | en\ cas\ d'urgence
    | para\ asuntos\ urgentes | en\ caso\ de\ urgencia | voor\ dringende\ zaken
    | (?:not|isn'?t|is\ not|nothing|none\ of\ (?:this|it)\ is)
      \ (?:very\ |that\ |too\ |so\ |really\ )?urgent\w*
    | no\ (?:rush|hurry|urgency) | not\ in\ (?:a|any)\ (?:rush|hurry)
    | no\ need\ to\ (?:rush|hurry) | whenever\ you\ can
    | nicht\ (?:so\ |sehr\ )?(?:dringend|eilig) | keine\ eile | eilt\ nicht
    | pas\ (?:très\ |si\ )?urgent\w* | rien\ d'urgent | sans\ urgence
    | no\ (?:es\ )?(?:muy\ )?urgente | sin\ prisa | ninguna\ prisa
    | non\ (?:è\ )?urgente | nessuna\ fretta
    | niet\ (?:zo\ )?dringend | geen\ haast
    | não\ (?:é\ )?urgente | sem\ pressa)
    """
)


def _as_written(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` without its leading ``(?i)``: every letter in it is lower-case, so on a
    lower-cased text it finds what ``pattern`` finds on the text."""
    flags = _LEADING_FLAGS.match(pattern.pattern)
    if flags is None or "i" not in flags.group(1):
        raise ValueError(f"a lure family's pattern opens with (?i): {pattern.pattern[:40]}")
    rest = flags.group(1).replace("i", "")
    return re.compile((f"(?{rest})" if rest else "") + pattern.pattern[flags.end() :])


_LEADING_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")
_LOWERED = {name: _as_written(pattern) for name, pattern in _FAMILIES.items()}
# Where lower-casing and the regex engine's case-blind matching part: a capital I with a dot
# lower-cases to two characters, a dotless i and a long s match "i" and "s" only case-blind.
_CASE_APART = re.compile("[\u0130\u0131\u017f]")


def lure_families(text: str) -> frozenset[str]:
    """The lure families ``text`` shows (``list``, ``click``, ``offer``, ``credential``,
    ``deadline``, ``marketing``, ``adult``, ``link``, ``transfer``). A negated urgency ("not
    urgent", "no rush", "keine Eile") is no deadline.

    Searched in the lower-cased text with the patterns as written: case-blind matching
    compares every letter of forty alternatives folded, at every word, and cost the spam
    gate's reading more than twice as much for the same families
    (``tests/spam/test_lures_lowered.py``)."""
    if _CASE_APART.search(text):
        text = _NOT_URGENT.sub(" ", text)
        return frozenset(name for name, pattern in _FAMILIES.items() if pattern.search(text))
    lowered = _NOT_URGENT.sub(" ", text.lower())
    return frozenset(name for name, pattern in _LOWERED.items() if pattern.search(lowered))

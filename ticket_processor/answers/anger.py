"""Anger, not every negative word: what keeps a bot's answer away from a hostile customer.

A customer who writes "it still doesn't work, what am I doing wrong?" is unhappy and asks an
ordinary question; the engines label such mail ``negative`` (the learned model even labels
"I forgot my password" so), and refusing every negative label refused most plain questions of
a help centre. An angry customer must never get a bot's answer, so the guard reads anger
itself, in the languages the replies are written in (en, de, fr, es, nl, pt, it):

- ``angry``: the words of a complaint or an insult ("unacceptable", "a joke", "Frechheit",
  "vergonzoso"), a threat to leave, to sue or to dispute the charge ("I will cancel unless",
  "my lawyer", "chargeback"), writing again about the same thing ("third time I write",
  "nobody answers"), shouting (three or more '!' in a message that thanks nobody, a run of
  words in capitals);
- ``heated``: what makes an engine's ``negative`` label strong enough to refuse — "!!", "?!",
  a shouted word of five or more capitals. "Still doesn't work?" is not heated; "Still
  doesn't work?!" from a customer the engine reads as negative is.

Folded text (lower case, no accents: ``kb.text.fold``) is matched, except for capitals.
"""

from __future__ import annotations

import re

from ..kb.text import fold

_COMPLAINT = re.compile(
    r"\b(?:"
    # en: complaint and insult
    # Words a calm customer also writes are taken only as a complaint: "is this e-mail a scam?",
    # "sorry for the stupid question", "garbage collection", "the worst case" are not anger.
    r"unacceptable|ridiculous|outrageous|disgusting|disgraceful|disgrace|appalling|atrocious|"
    r"furious|livid|(?:this is|it's|what) a (?:total |complete )?scam|scammers?|rip[- ]?off|"
    r"useless|pathetic|fed up|sick (?:and tired )?of|incompetent|"
    r"worst (?:\w+ )?(?:service|app|software|company|experience|support|ever)|"
    r"(?:is|are|was|what) a (?:joke|farce|disgrace)|"
    r"(?:is|are|was) (?:total |complete |absolute )?(?:garbage|rubbish|crap)(?! collect)|crappy|"
    r"shit|shitty|bullshit|wtf|damn|damned|bloody|what the hell|thanks for nothing|had enough|"
    r"is (?:any|some)(?:one|body) (?:reading|there|listening)|f+u?ck(?:ing)?|idiots|morons|"
    r"you (?:idiots?|morons?|clowns)|stupid (?:app|software|system|company|service|bot|site)|"
    r"clowns|shameful|shame on you|insulting|horrible service|terrible service|awful service|"
    r"never again|neveragain|lostacustomer|"
    # de
    r"unverschamt|frechheit|inakzeptabel|skandal(?:os)?|zumutung|abzocke|betrug|betruger|"
    r"sauerei|scheiss?e?|lacherlich|katastrophal|wutend|stinksauer|danke fur nichts|nase voll|"
    # fr
    r"inadmissible|scandaleux|inacceptable|honteux|honte|lamentable|arnaque|escroc(?:s|querie)?|"
    r"ridicule|furieux|furieuse|en colere|c'?est nul|foutage|merci pour rien|j'?en ai marre|"
    # es
    r"inaceptable|vergonzoso|verguenza|indignante|estafa|estafadores|pesimo|penoso|"
    r"hart[oa] de|furios[oa]|una burla|gracias por nada|"
    # nl
    r"onaanvaardbaar|belachelijk|schandalig|schande|waardeloos|oplichting|oplichters|woedend|"
    r"spuugzat|ik ben het zat|"
    # pt
    r"inaceitavel|absurdo|ridiculo|vergonhoso|vergonha|pessimo|palhacada|"
    # it
    r"inaccettabile|vergognoso|vergogna|ridicolo|truffa|truffatori|furibondo"
    r")\b"
)
_THREAT = re.compile(
    r"\b(?:"
    # en: leave, sue, dispute, review
    r"lawyers?|attorney|legal action|sue you|suing|small claims|chargeback|dispute the charge|"
    r"report you|consumer protection|trading standards|better business bureau|"
    r"(?:bad|negative|1[- ]star|one[- ]star) review|take my business elsewhere|"
    r"(?:i will|i'll|i am going to|i'm going to|i am|i'm) (?:cancel\w*|leav\w*|switch\w*) "
    r"(?:\w+ ){0,3}(?:unless|if|immediately|for good|to (?:a |your )?competitor)|"
    # de
    r"anwalt|rechtliche schritte|verbraucherzentrale|"
    # fr
    r"avocat|poursuites|action en justice|"
    # es
    r"abogados?|demandar(?:los|les)?|"
    # nl
    r"advocaat|juridische stappen|"
    # pt
    r"advogados?|vou processar|"
    # it
    r"avvocato|vi denuncio"
    r")\b"
)
_AGAIN = re.compile(
    r"\b(?:"
    # en: the same thing written about again, and nobody answering
    r"(?:second|third|fourth|fifth|2nd|3rd|4th|5th|umpteenth|nth) time (?:i|i'm|i am|i've|"
    r"i have|that i|writing|asking|contacting|emailing)|"
    r"(?:how many|so many) times|again and again|"
    r"(?:still|yet) no (?:answer|reply|response)|"
    r"(?:no ?one|nobody) (?:answers|replies|responds|gets back|helps|has (?:answered|replied))|"
    r"ignoring (?:me|my)|"
    r"(?:written|emailed|called|contacted|asked) (?:you )?(?:\d+|several|many|multiple|three|"
    r"four|five) times|"
    # de
    r"zum (?:dritten|vierten|x-ten|wiederholten) mal|(?:das|ein) (?:dritte|vierte|x-te) mal|"
    r"niemand (?:antwortet|meldet sich)|"
    # fr
    r"(?:troisieme|quatrieme|enieme|nieme) fois|personne ne (?:me )?repond|"
    r"toujours (?:pas|aucune) de reponse|"
    # es
    r"(?:tercera|cuarta|enesima) vez|nadie (?:me )?(?:responde|contesta)|"
    # nl
    r"(?:derde|vierde) keer|niemand (?:reageert|antwoordt)|"
    # pt
    r"(?:terceira|quarta) vez|ninguem (?:me )?responde|"
    # it
    r"(?:terza|quarta) volta|nessuno (?:mi )?risponde"
    r")\b"
)
# A thank-you's or a delighted customer's exclamation marks ("Thank you so much!!!") are not
# shouting, unless the praise is negated ("not happy!!!").
_PRAISE = (
    r"(?:thank|thanks|thx|danke|merci|gracias|bedankt|obrigad[oa]|grazie|amazing|awesome|"
    r"excellent|wonderful|fantastic|perfect|love|happy|great|best|cool|favou?rite)"
)
_THANKS = re.compile(rf"\b{_PRAISE}\b")
_NEGATED_PRAISE = re.compile(rf"\b(?:not|never|no|nicht|pas|niet|nao|non)\s+(?:\w+\s+)?{_PRAISE}\b")
# An exclamation mark, not markup's ("<!--", "![image]").
_BANG = re.compile(r"(?<!<)!(?![\[-])")
_SHOUTED_RUN = re.compile(r"\b[A-Z]{4,}(?:\s+[A-Z]{2,}){2,}")
_SHOUTED_WORD = re.compile(r"\b[A-Z]{5,}\b")
_HEATED = re.compile(r"!!|\?!|!\?")


def angry(text: str) -> bool:
    """The words of a complaint, an insult or a threat, writing again unanswered, or shouting."""
    folded = fold(text)
    if _COMPLAINT.search(folded) or _THREAT.search(folded) or _AGAIN.search(folded):
        return True
    pleased = bool(_THANKS.search(folded)) and not _NEGATED_PRAISE.search(folded)
    if _SHOUTED_RUN.search(text) and not pleased:
        return True
    return len(_BANG.findall(text)) >= 3 and not pleased


def heated(text: str) -> bool:
    """ "!!", "?!" or a shouted word: what makes an engine's negative label a strong one."""
    return bool(_HEATED.search(text) or _SHOUTED_WORD.search(text))

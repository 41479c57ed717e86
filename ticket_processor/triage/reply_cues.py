"""The cue lists the rules engine of ``reply_kind`` reads a reply with, in English, German,
French, Spanish, Dutch and Portuguese, and how sure they make it that a reply is automatic.

Each list is matched on the folded text (``fold``: lower case, accents removed). What the
verdict makes of them is ``reply_kind.rules_verdict``'s.
"""

from __future__ import annotations

import unicodedata

from ..common.patterns import LazyPattern


def _cues(*words: str) -> LazyPattern:
    # Compiled on the first reply read: a run with no reply to read (an empty run, most
    # cron runs) compiles none of these lists.
    return LazyPattern(r"(?:^|\b)(?:" + "|".join(words) + r")(?:\b|$)")


# Matched on the folded text (lower case, accents removed: "réglé" reads "regle").
_AUTO_STRONG = _cues(
    r"auto(?:matic|matically|mated)?[- ]?(?:reply|response|answer|generated|message)",
    r"autoreply",
    r"this is an automated",
    r"out of (?:the )?office",
    r"ooo",
    r"mailer-daemon",
    r"undeliverable",
    r"undelivered mail",
    r"delivery (?:status notification|has failed|failure|failed|incomplete)",
    r"mail delivery (?:failed|subsystem|system)",
    r"could not be delivered",
    r"returned mail",
    r"message not delivered",
    r"abwesenheits?(?:notiz|meldung|nachricht)",
    r"automatische (?:antwort|nachricht|ruckmeldung|abwesenheitsnotiz)",
    r"unzustellbar",
    r"nicht zugestellt",
    r"reponse automatique",
    r"message automatique",
    r"absente? du bureau",
    r"hors du bureau",
    r"non distribuable",
    r"n'a pas pu etre (?:remis|distribue)",
    r"respuesta automatica",
    r"mensaje automatico",
    r"fuera de la oficina",
    r"no se (?:ha )?pud(?:o|ieron) entregar",
    r"automatisch(?:e)? (?:antwoord|bericht)",
    r"niet op kantoor",
    r"resposta automatica",
    r"mensagem automatica",
    r"fora do escritorio",
    r"(?:address|adresse|direccion|e-mail-adresse) (?:not found|introuvable|wurde nicht gefunden)",
    r"no se encontro la direccion",
    r"zustellung fehlgeschlagen",
    r"error de entrega",
    r"mensaje no entregado",
    r"echec de la remise",
    r"n'a pas ete distribue",
    r"(?:mailbox|address|adresse|direccion|e-mail address) (?:is |n'est |ya )?"
    r"(?:no longer|plus|no se) (?:in use|used|monitored|utilisee|utiliza)",
    r"(?:this mailbox|diese adresse|cette adresse|esta direccion) (?:is|wird|n'est|ya)",
    r"(?:is|are) not monitored",
    r"(?:do not|please do not|don't) reply to this (?:e-?mail|message)",
    r"nicht auf diese (?:e-?mail|nachricht)",
    r"ne pas repondre a (?:cet|ce) (?:e-?mail|message|courriel)",
    r"no responda a este (?:correo|mensaje)",
    r"(?:i have|i've) left the company",
    r"(?:ich habe|habe) das unternehmen verlassen",
    r"j'ai quitte (?:l'entreprise|la societe)",
    r"ya no trabajo en",
    r"(?:acknowledg(?:e)?ment|confirmation) (?:of receipt|that we (?:have )?received)",
    r"(?:eingangsbestatigung|empfangsbestatigung|accuse de reception|acuse de recibo"
    r"|confirmacion de recepcion|ontvangstbevestiging|confirmacao de recebimento)",
    r"(?:inbox|mailbox|postfach|boite de reception|buzon|caixa de entrada|mailbox) (?:\w+ ){0,3}"
    r"(?:is full|ist voll|est pleine|esta lleno|esta cheia|is vol)",
    r"(?:could not|couldn't|wasn't|was not|has not been|konnte nicht|n'a pas pu etre|no se pudo"
    r"|nao pode ser|kon niet worden) (?:be )?(?:delivered|zugestellt|remis|distribue|entregad[oa]"
    r"|entregue|bezorgd)",
    r"(?:rejected|blocked) by the (?:mail|recipient's) server",
    r"(?:zustellungsverzogerung|retard de remise|retraso en la entrega|delivery (?:is )?delayed)",
    r"(?:not monitored|nicht uberwacht|n'est pas consultee|no se revisa|nao e monitorad[oa]"
    r"|wordt niet gelezen)",
    r"(?:no longer (?:work|with)|nicht mehr (?:bei|fur)|ne travaille plus|ya no trabajo"
    r"|nao trabalho mais|werk niet meer)",
    r"generated automatically|automatically generated|automatisch generiert\w*"
    r"|genere automatiquement|generado automaticamente|gerada automaticamente",
    r"(?:message|nachricht|mensaje|mensagem|bericht) (?:\w+ )?(?:automatique|automatisch\w*"
    r"|automatico|automatica)",
    r"until further notice",
    r"delivery to (?:\w+ ){0,4}(?:failed|has failed)",
    r"failed permanently",
    r"(?:address|user|recipient) unknown|unknown (?:user|recipient|address)",
    r"(?:adresse|destinataire) inconnue?|destinatario desconocido|empfanger unbekannt",
    r"(?:pas pu etre|konnte nicht) (?:delivre|remis|zugestellt)",
    r"(?:unattended|not attended|no esta atendido|nicht besetzt|non surveillee?)",
    r"(?:does not|doesn't|do not) accept (?:incoming )?(?:mail|e-?mails?|messages)",
    r"no-?reply",
    r"(?:address|adresse|direccion|account|cuenta|konto|e-?mail|endereco)\b.{0,60}"
    r"(?:does not exist|doesn't exist|n'existe pas|no existe|existiert nicht|bestaat niet"
    r"|nao existe)",
    r"automatisch (?:gegenereerd|verzonden|verstuurd)",
    r"(?:resposta|respuesta|reponse) automatica?e?",
)
_AUTO_WEAK = _cues(
    r"(?:i am|i'm|i will be|currently) (?:away|absent|on (?:leave|vacation|holiday|annual leave"
    r"|parental leave|maternity leave|sick leave|a business trip))",
    r"on (?:annual|parental|maternity|paternity|sick) leave",
    r"limited (?:access to|availability)",
    r"(?:no|without) access to (?:my )?e-?mail",
    r"back (?:in the office )?on",
    r"return(?:ing)? on",
    r"until (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d)",
    r"(?:urgent|pressing) (?:matters|issues|requests|enquiries|inquiries)",
    r"in (?:my|the) absence",
    r"(?:we|i) (?:have )?received your (?:message|e-?mail|request|ticket)",
    r"will (?:respond|reply|get back to you|answer)",
    r"ticket (?:number|#)",
    r"urlaub",
    r"abwesend",
    r"nicht im buro",
    r"ausser haus",
    r"wieder (?:erreichbar|im buro|da)",
    r"in dringenden fallen",
    r"vertretung",
    r"en conges?",
    r"absente?",
    r"de retour le",
    r"en cas d'urgence",
    r"je serai",
    r"de vacaciones",
    r"ausente",
    r"estare",
    r"regresare",
    r"asuntos urgentes",
    r"met vakantie",
    r"afwezig",
    r"ben (?:weer|terug)",
    r"de ferias",
    r"estarei",
    r"retorno",
    r"(?:away|off) (?:from (?:the|my) (?:office|desk) |work )?until",
    r"abwesend bis",
    r"absente? jusqu",
    r"ausente hasta",
    r"(?:maternity|paternity|parental|sick) leave",
    r"elternzeit",
    r"krankgeschrieben",
    r"(?:conge|arret) (?:maternite|maladie|parental)",
    r"baja (?:por maternidad|medica|por paternidad)",
    r"(?:not|nicht|pas|no) (?:\w+ )?(?:forwarded|weitergeleitet|transfere|reenviad[oa])",
    r"keine weiterleitung",
    r"pas de transfert",
    r"sin reenvio",
    r"(?:office|buro|bureaux?|oficina) (?:is |ist |sont |esta )?(?:\w+ ){0,4}"
    r"(?:closed|geschlossen|fermes?|cerrada)",
    r"en vacances",
    r"de vacaciones",
    r"de retour (?:au bureau )?le",
    r"wieder da",
    r"(?:de|en) vuelta",
    r"(?:limited|eingeschrankt|limite|limitado) (?:access|erreichbar|a mes|al correo)",
    r"acces limite",
    r"acceso limitado",
    r"nur eingeschrankt",
    r"will (?:answer|respond to) your (?:e-?mail|message)",
    r"(?:public|bank) holiday",
    r"feiertag\w*",
    r"jour ferie",
    r"festivo",
    r"responderemos",
    r"nous vous repondrons",
    r"wir melden uns",
    r"(?:vuelvo|regreso|volvere)",
    r"(?:until|till|bis(?: zum| einschliesslich)?|jusqu'?(?:au|a)|hasta(?: el)?|tot|ate) "
    r"(?:\w+ ){0,2}"
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april"
    r"|may|june|july|august|september|october|november|december|montag|dienstag|mittwoch"
    r"|donnerstag|freitag|samstag|sonntag|januar|februar|marz|juni|juli|oktober|dezember"
    r"|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|janvier|fevrier|mars|avril|mai|juin"
    r"|juillet|aout|septembre|octobre|novembre|decembre|lunes|martes|miercoles|jueves|viernes"
    r"|sabado|domingo|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre"
    r"|noviembre|diciembre|\d)",
    r"beantworte (?:ihre|deine) (?:nachricht|e-?mail)",
    r"vous repondrai",
    r"le respondere",
    r"(?:ticket ?(?:number|nummer)|numero) \d+",
    r"(?:registrada|enregistree|erfasst|created|has been created)",
    r"(?:vacation|holidays?|urlaub|conges|vacances|vacaciones|ferias|vakantie|betriebsurlaub)",
    # "right away", "straight away", "far away": a customer's words, not an absence.
    r"(?:(?<!right )(?<!straight )(?<!far )(?<!go )away|abwesend|absent|ausente|afwezig|offline"
    r"|out sick|krank|malade|enfermo|doente|ziek)",
    r"(?:training course|schulung|formation|formacion|treinamento|cursus)",
    r"(?:closed|geschlossen|fermee?s?|cerrad[oa]s?|fechad[oa]s?|gesloten) (?:\w+ ){0,3}"
    r"(?:until|bis|jusqu|hasta|ate|tot)",
    r"(?:respond|reply|answer|antworte|repondrai|respondere|responderei|antwoord) (?:\w+ ){0,4}"
    r"(?:tomorrow|morgen|demain|manana|amanha|on my return|when i(?:'m| am) back)",
    r"(?:de retour|wieder da|wieder im|volto|vuelvo|weer terug|ben (?:\w+ )?terug|back on)",
    r"festive season",
    r"beperkt bereikbaar",
)
GRATITUDE = _cues(
    r"thanks?",
    r"thank you",
    r"thx",
    r"ty",
    r"many thanks",
    r"appreciated?",
    r"cheers",
    r"danke(?:schon)?",
    r"(?:vielen|herzlichen|besten|tausend) (?:\w+ )?dank",
    r"merci",
    r"gracias",
    r"bedankt",
    r"dank je",
    r"dank u",
    r"obrigad[oa]",
    r"valeu",
)
RESOLVED = _cues(
    r"(?:works|working|worked) (?:now|again|fine|perfectly|great)",
    r"(?:it|that|this|everything|all) (?:works|worked|is working)",
    r"(?:it's|it is|is|now|are) working(?: again| now| fine)?",
    r"(?:works|working) (?:again|now|fine)",
    r"(?:pueden|puede|podeis) cerrar\w*",
    r"(?:podem|pode) fechar\w*",
    r"(?:mag|kunt|kan) (?:\w+ ){0,2}sluiten",
    r"(?:that's|that is|c'est|das ist|eso es|isso e) (?:all|tout|alles|todo|tudo)"
    r"(?: (?:i|we) needed| ce qu'il me fallait)?",
    r"(?:need|needed|brauche|besoin|necesito|preciso) (?:\w+ ){0,2}(?:nothing|nichts|rien|nada)"
    r"(?: else| d'autre| mas)?",
    r"mehr brauche ich nicht",
    r"nothing else (?:needed|required)",
    r"(?:can|kann|peux|puedo|posso|kan) (?:\w+ ){0,2}(?:log ?in|sign in|access|anmelden|connecter"
    r"|iniciar sesion|entrar|inloggen)(?: again| now| wieder| de nouveau| ya| de novo| weer)?",
    r"lauft (?:wieder|jetzt)",
    r"(?:happy|glad|ok|okay|fine) (?:for you )?to close",
    r"(?:ticket|case|request|issue|incidencia|dossier|chamado|anfrage|fall) (?:\w+ ){0,2}"
    r"(?:kann|can|may|darf|puede|pueden|peut|pode) (?:\w+ ){0,2}(?:geschlossen|closed|cerrad[oa]"
    r"|fermee?|fechad[oa]|gesloten)",
    r"(?:all|i'm all|we're all|i am all) set",
    r"(?:hat|habe) (?:alles )?(?:\w+ )?(?:geklappt|funktioniert)",
    r"(?:refund|replacement|parcel|package|invoice|credit note|paket|lieferung|gutschrift|colis"
    r"|remboursement|paquete|reembolso|pacote) (?:\w+ ){0,2}(?:received|arrived|came|erhalten"
    r"|angekommen|recu|arrive|recibido|llego|recebido|chegou)",
    r"helemaal goed",
    r"alles werkt",
    r"(?:tudo|todo) funcionando(?: de novo)?",
    r"(?:konnen|konnt) (?:sie |ihr )?(?:\w+ ){0,2}schliessen",
    r"(?:vous )?pouvez (?:\w+ ){0,2}(?:fermer|cloturer)",
    r"(?:thanks|thank you) again",
    r"(?:no|keine|plus de|no tengo|no hay|sin|geen) (?:\w+ )?"
    r"(?:further|more|weiteren|mehr|mas|de)? ?(?:questions?|fragen|question|preguntas|vragen)",
    r"was it",
    r"quand meme",
    r"(?:solved|resolved|fixed|sorted)(?: it| the (?:issue|problem))?",
    r"all (?:good|set|sorted|fine)",
    r"that did (?:it|the trick)",
    r"did the trick",
    r"problem (?:is )?gone",
    r"no (?:further|more) (?:questions|issues|problems)",
    r"(?:you can|feel free to|please|go ahead and) close",
    r"close (?:the|this|my) (?:ticket|case|request)",
    r"got it",
    r"perfect",
    r"great",
    r"awesome",
    r"funktioniert (?:jetzt|wieder|wunderbar|einwandfrei|prima)",
    r"(?:es|das|jetzt) (?:klappt|geht)",
    r"klappt",
    r"gelost",
    r"erledigt",
    r"ca (?:marche|fonctionne)",
    r"(?:fonctionne|marche) (?:maintenant|a nouveau|de nouveau|parfaitement|tres bien)",
    r"(?:regle|resolu)",
    r"c'est bon",
    r"parfait",
    r"(?:ya )?funciona(?: ya| ahora| de nuevo| perfectamente| bien)",
    r"(?:resuelto|solucionado|arreglado)",
    r"todo (?:bien|correcto|perfecto)",
    r"perfecto",
    r"werkt (?:nu|weer|prima)",
    r"opgelost",
    r"funciona (?:agora|de novo|perfeitamente)",
    r"resolvid[oa]",
    r"tudo certo",
)
MORE = _cues(
    r"but",
    r"however",
    r"still",
    r"unfortunately",
    r"again",
    r"(?:third|3rd|second|fourth) time",
    r"(?:troisieme|deuxieme) fois",
    r"(?:dritte|zweite)s? mal",
    r"(?:tercera|segunda) vez",
    r"(?:nobody|no one|noone|niemand|personne|nadie|nobody has)",
    r"cancel\w*",
    r"resilie\w*",
    r"kundig\w*",
    r"(?:darme|doy) de baja",
    r"merci de",
    r"(?:could|can|would) you",
    r"(?:konnen|konnten|wurden) sie",
    r"(?:pourriez|pouvez)[- ]vous",
    r"(?:podrian|pueden|puede|podria)s?",
    r"n'\w+ pas",
    r"(?:not|n't|never) (?:work|working|worked|fixed|resolved|solved|received|arrived|helped)",
    r"(?:doesn't|does not|didn't|did not|don't|can't|cannot|won't|isn't|wasn't|haven't)",
    r"error",
    r"(?:erro|fehler\w*|erreur|fout\w*|foutcode)",
    r"(?:asap|urgent\w*|dringend\w*|urgente?s?|spoed)",
    r"(?:need|brauchen|besoin|necesitamos|necesito|precisamos|nodig) (?:\w+ ){0,3}"
    r"(?:today|heute|aujourd'hui|hoy|hoje|vandaag|now|jetzt|maintenant|ahora|agora|nu)",
    r"(?:would|should|sollte|wurde|devrait|deberia|zou)",
    r"il faut",
    r"please",
    r"keep me (?:posted|updated|informed)",
    r"block\w*",
    r"(?:where|how|what|which|why|when) (?:do|does|can|could|is|are|should|will|would|did) ",
    r"(?:wo|wie|was|warum|wann) (?:kann|muss|soll|finde|ist|sind) ",
    r"(?:ou|comment|pourquoi|quand) (?:puis|dois|faut|est|peut)",
    r"(?:donde|como|por que|cuando) (?:puedo|debo|hay|esta|se)",
    r"though",
    r"par contre",
    r"en revanche",
    r"corrupt\w*|corrompu\w*|beschadigt|danado|corrupto",
    r"another",
    r"one more",
    r"also",
    r"in advance",
    r"for nothing",
    r"when will",
    r"how (?:do|can|long)",
    r"why",
    r"please (?:check|help|advise|fix|send|let me know|refund|confirm)",
    r"aber",
    r"jedoch",
    r"leider",
    r"immer noch",
    r"noch (?:nicht|immer)",
    r"nicht",
    r"kein(?:e|en)?",
    r"im voraus",
    r"wann",
    r"mais",
    r"cependant",
    r"toujours",
    r"malheureusement",
    r"ne (?:\w+ ){0,2}(?:pas|plus|jamais)",
    r"d'avance",
    r"quand",
    r"pero",
    r"sin embargo",
    r"todavia",
    r"aun",
    r"sigue",
    r"no (?:funciona|puedo|he|me|llega|recib)",
    r"de antemano",
    r"cuando",
    r"maar",
    r"helaas",
    r"nog (?:steeds|altijd|niet)",
    r"niet",
    r"alvast",
    r"porem",
    r"ainda",
    r"infelizmente",
    r"nao",
)


# A customer's problem, which no automatic message describes.
_PROBLEM = _cues(
    r"(?:error|fehler\w*|erreur|erro|fout\w*|broken|kaputt|crash\w*|fails?|failed|failing"
    r"|refund|erstattung|remboursement|reembolso|charged|belastet|debite|cobrado|invoice is wrong"
    r"|doesn't|does not|don't|can't|cannot|funktioniert nicht|ne fonctionne|no funciona)"
)
# Said in passing, not a negation of the fix: "no worries, it works now".
SHRUG = LazyPattern(
    r"\b(?:no (?:worries|problem|stress)|kein problem|pas de (?:souci|probleme)|no hay problema"
    r"|sin problema|geen probleem|sem problema)\b"
)
NEGATED = LazyPattern(
    r"(?:\bnot|n't|\bnever|\bnobody|\bnicht|\bpas|\bno\b|\bsin|\bniet|\bnao|\bkein\w*)\W+"
    r"(?:\w+\W+){0,1}(?:work|fix|solv|resolv|sort|funktion|klapp|geloest|gelost|marche|fonctionn"
    r"|regle|resolu|funcion|soluciona|resuelt|arregl|werkt|opgelost)"
)


def fold(text: str) -> str:
    folded = text.casefold()
    if folded.isascii():  # most messages: nothing to decompose or drop, the same text
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# What an automatic message talks about, in four kinds: being away, a time or a return, the
# mail itself (a message, a mailbox, an address no longer active), and when it will be answered.
# Two kinds together, with nothing that reads like a problem, make an automatic message.
_AWAY = _cues(
    # "Out" is someone's absence ("I am out", "out of the office"), not "reaching out" or
    # "find out"; "leave" is a leave ("on leave"), not a flight leaving; "right away" is soon.
    r"(?:(?<!right )(?<!straight )(?<!far )away|absent|absente|abwesend|ausente|afwezig"
    r"|(?:am|'m|are|'re|be|been|currently) out|out of (?:the )?office|out (?:until|till|sick)"
    r"|offline|travel\w*|on (?:the )?road"
    r"|conference|trip|deplacement|viaje|reise|dienstreise|messe|salon|feria|vacation|holidays?"
    r"|urlaub|conges?|vacances|vacaciones|ferias|vakantie|on (?:\w+ )?leave|leave (?:until|till)"
    r"|elternzeit|krank|sick|malade"
    r"|enfermo|ziek|fiestas|holiday period|feiertage|fetes de fin d'annee|flight|vol|flug|vuelo"
    r"|voo|geschaftsreise|verlof|licenca|licencia|permiso)",
    r"(?:nicht|not|pas|no|niet) (?:\w+ )?(?:erreichbar|reachable|joignable|localizable|disponible"
    r"|available|bereikbaar)",
)
_WHEN = _cues(
    # "back" of a return ("back on Monday"), not a flight back from somewhere or a call back.
    r"(?:until|till|bis|jusqu'?\w*|hasta|ate|tot|zuruck|retour|regreso|vuelta|return\w*"
    r"|(?<!call )(?<!calling )(?<!called )back(?! (?:from|to|home|up))"
    r"|this week|diese woche|cette semaine|esta semana|deze week)",
    r"(?:from|vom|du|del|van|de) \d{1,2}\.? (?:\w+ )?(?:to|bis|au|al|tot|a) \d{1,2}",
    r"ab (?:dem |den )?(?:montag|dienstag|mittwoch|donnerstag|freitag|\d)",
)
_MAIL = _cues(
    r"(?:e-?mails?|mail|messages?|nachrichte?n?|messagerie|courriels?|correos?|mensajes?"
    r"|mensagem|mailbox|postfach|inbox|buzon|address|adresse|direccion|cuenta de correo)"
)
_LATER = _cues(
    r"(?:will|shall|'ll) (?:\w+ ){0,3}(?:reply|respond|answer|get back|be slow|be delayed)",
    r"replies will",
    r"(?:won't|will not) (?:be able to )?(?:check|read|access|answer|respond)",
    r"(?:response|reply) time",
    r"(?:traiterai|repondrai|repondrons|reviendrai|contestare|contestaremos|respondere|responderemos"
    r"|beantworte|antworte|melde mich|melden uns|answer)",
    r"(?:no longer|nicht mehr|n'est plus|ya no (?:esta|es)|niet meer|nao (?:esta|e) mais) "
    r"(?:\w+ )?(?:active|aktiv|activa?|actief|ativ[oa]|in use)",
    r"(?:no|keinen|sans|sin|geen|sem) (?:\w+ )?(?:access|zugriff|acces|acceso|toegang|acesso)",
)


# Where an out-of-office sends the reader who cannot wait: "if your matter is urgent and you
# can't wait, call ...", "need help sooner? write to ...". Its "can't" and its "?" are the
# stand-in's condition, not a problem of the writer's: they are read past before the problem
# words veto an automatic verdict, so such a message is not judged new work.
_STAND_IN = LazyPattern(
    r"(?:^|\b)(?:if|in case|should|falls|wenn|sollten|si|en cas|en caso|als|indien|caso|se)\b"
    r"[^.!?\n]{0,100}\b(?:urgent\w*|dringend\w*|urgen\w*|spoed\w*|immediate\w*|sooner|asap"
    r"|sofort\w*|wait|warten|attendre|esperar|wachten)\b[^.!?\n]{0,100}[.!?\n]?"
    r"|(?:^|\b)(?:need|require|want)\w* (?:\w+ ){0,3}(?:sooner|urgently|immediately|before then)\?"
)


def automatic_certainty(folded: str, words: int) -> float:
    """How sure the text is an automatic message (0: it is not one)."""
    if _AUTO_STRONG.search(folded):
        return 0.95
    weak = len(_AUTO_WEAK.findall(folded))
    own = _STAND_IN.sub(" ", folded)  # the writer's own words, a stand-in's condition aside
    if "?" in own or _PROBLEM.search(own):
        return 0.8 if weak >= 3 else 0.0
    kinds = sum(bool(p.search(folded)) for p in (_AWAY, _WHEN, _MAIL, _LATER))
    if weak >= 2 or (kinds >= 2 and (_AWAY.search(folded) or _LATER.search(folded))):
        return 0.8
    return 0.6 if weak == 1 and words <= 8 else 0.0

"""What a ticket needs of the agent who answers it, and the team's file that says the rest.

A ticket's skills come from what ticketbot read in it, never from a guess about the customer:

- its language (the triage's), by its English name ("Portuguese"): needed when the helpdesk
  routes by it, a routing attribute named ``Language`` or a skill named after the language,
  with no configuration;
- its category's skill, from the team's skills file (``TICKETBOT_SKILLS``, ``skills.toml``);
- its customer's tier, from the organisation's field (or tag) the file names: a tier the file
  lists as VIP is assigned first. Never inferred from the ticket's text.

The file::

    [categories]            # category -> the skill an agent needs for it
    billing = "Billing"
    technical = "Technical"

    [tier]
    field = "tier"          # the organisation's field (or, without one, its tags)
    vip = ["vip", "enterprise"]

    [agents]
    groups = ["Billing", "Support"]   # the groups ticketbot assigns in (unset: every group)

Each skill named is checked against the helpdesk's own skills at start-up (``check``): a name
it does not have is a warning with the nearest it has, as a misspelt setting is.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..common.atomic import read_config_bytes
from ..errors import ConfigError
from ..helpdesks.staffing import Organisation, SkillCatalogue

LANGUAGE_ATTRIBUTE = "Language"

# ISO 639-1 -> the language's English name, as a team names its language skills: every
# language the triage's script reading names and every one Lingua reads (``language.py``).
LANGUAGE_NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "pl": "Polish", "sv": "Swedish", "da": "Danish",
    "no": "Norwegian", "fi": "Finnish", "ru": "Russian", "uk": "Ukrainian", "zh": "Chinese",
    "ja": "Japanese", "ko": "Korean", "ar": "Arabic", "he": "Hebrew", "tr": "Turkish",
    "el": "Greek", "cs": "Czech", "hi": "Hindi", "ro": "Romanian", "hu": "Hungarian",
    "vi": "Vietnamese", "af": "Afrikaans", "sq": "Albanian", "az": "Azerbaijani",
    "eu": "Basque", "bs": "Bosnian", "ca": "Catalan", "hr": "Croatian", "eo": "Esperanto",
    "et": "Estonian", "is": "Icelandic", "id": "Indonesian", "ga": "Irish", "la": "Latin",
    "lv": "Latvian", "lt": "Lithuanian", "ms": "Malay", "mi": "Maori", "nn": "Nynorsk",
    "sk": "Slovak", "sl": "Slovenian", "so": "Somali", "sw": "Swahili", "tl": "Tagalog",
    "cy": "Welsh", "yo": "Yoruba", "zu": "Zulu", "xh": "Xhosa", "bg": "Bulgarian",
    "mk": "Macedonian", "sr": "Serbian", "be": "Belarusian", "kk": "Kazakh", "mn": "Mongolian",
    "fa": "Persian", "ur": "Urdu", "th": "Thai", "hy": "Armenian", "ka": "Georgian",
    "km": "Khmer", "lo": "Lao", "si": "Sinhala", "ta": "Tamil", "te": "Telugu", "kn": "Kannada",
    "ml": "Malayalam", "gu": "Gujarati", "pa": "Punjabi",
}  # fmt: skip
# Other English names a team may give a language's skill.
_OTHER_NAMES = {
    "no": ("Norwegian Bokmål", "Bokmål", "Bokmal"), "nn": ("Norwegian Nynorsk",),
    "sl": ("Slovene",), "tl": ("Filipino",), "ms": ("Malaysian",), "fa": ("Farsi",),
}  # fmt: skip


@dataclass(frozen=True)
class SkillPolicy:
    """The team's skills file, read."""

    categories: Mapping[str, str] = field(default_factory=dict)
    tier_field: str = "tier"
    vip_tiers: frozenset[str] = frozenset({"vip"})
    groups: tuple[str, ...] = ()  # empty: every group

    def language_skill(self, code: str, catalogue: SkillCatalogue) -> str | None:
        """The helpdesk's skill for the language of ISO code ``code``, when it routes by it."""
        name = LANGUAGE_NAMES.get(code)
        if name is None:
            return None
        names = {n.casefold() for n in (name, *_OTHER_NAMES.get(code, ()))}
        attributed = catalogue.of(LANGUAGE_ATTRIBUTE)
        pool = attributed if attributed else catalogue.names()
        return next((s for s in pool if s.casefold() in names), None)

    def languages(self, catalogue: SkillCatalogue) -> list[str]:
        """The ISO codes of the languages the helpdesk has a skill for."""
        return [code for code in LANGUAGE_NAMES if self.language_skill(code, catalogue)]

    def needs(self, language: str, category: str, catalogue: SkillCatalogue) -> tuple[str, ...]:
        """Every skill the ticket needs, the language's first."""
        found = [self.language_skill(language, catalogue), self.categories.get(category)]
        return tuple(dict.fromkeys(s for s in found if s))

    def is_vip(self, organisation: Organisation | None) -> bool:
        if organisation is None:
            return False
        wanted = self.tier_field.casefold()
        value = next((v for k, v in organisation.fields.items() if k.casefold() == wanted), None)
        if value is not None:
            return value.casefold() in self.vip_tiers
        return any(tag.casefold() in self.vip_tiers for tag in organisation.tags)

    def check(self, catalogue: SkillCatalogue) -> list[str]:
        """A warning for each skill the file names that the helpdesk does not have."""
        have = {name.casefold(): name for name in catalogue.names()}
        warnings = []
        for category, skill in sorted(self.categories.items()):
            if skill.casefold() in have:
                continue
            near = difflib.get_close_matches(skill.casefold(), list(have), n=1, cutoff=0.6)
            hint = f"; did you mean {have[near[0]]!r}?" if near else ""
            warnings.append(
                f"TICKETBOT_SKILLS: category {category!r} needs skill {skill!r}, "
                f"which the helpdesk does not have{hint}"
            )
        return warnings


def read_policy(path: Path | None) -> SkillPolicy:
    """The skills file at ``path`` (None: no file, languages only); a ``ConfigError`` naming
    ``TICKETBOT_SKILLS`` when it cannot be read or says something it should not."""
    if path is None:
        return SkillPolicy()
    try:
        data = tomllib.loads(read_config_bytes(path).decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"TICKETBOT_SKILLS: cannot read {path}: {exc}") from None
    categories = data.get("categories", {})
    tier = data.get("tier", {})
    agents = data.get("agents", {})
    ok = (
        isinstance(categories, dict)
        and all(isinstance(v, str) and v.strip() for v in categories.values())
        and isinstance(tier, dict)
        and isinstance(tier.get("field", "tier"), str)
        and isinstance(tier.get("vip", []), list)
        and isinstance(agents, dict)
        and isinstance(agents.get("groups", []), list)
    )
    if not ok:
        raise ConfigError(
            f"TICKETBOT_SKILLS: {path} must have [categories] of skill names, [tier] with "
            "`field` and a `vip` list, and [agents] with a `groups` list (see the assignment "
            "how-to)"
        )
    return SkillPolicy(
        categories={str(k): str(v).strip() for k, v in categories.items()},
        tier_field=str(tier.get("field", "tier")),
        vip_tiers=frozenset(str(v).casefold() for v in tier.get("vip", ["vip"])),
        groups=tuple(str(g) for g in agents.get("groups", [])),
    )

"""How a second record of the same client differs from the first.

Every extra record of an entity gets one to three variations of the kinds real CRMs accumulate
(typos, legal-form spelling, nicknames, re-typed phones and addresses, blanked fields, ...). A
variation that makes a strong identifier unrecognisable (a blanked or changed e-mail, a missing tax
id, ...) is allowed once per record and never below two identifiers: records must stay matchable,
because the matcher is later held to a pairwise F1 of 0.99 against this truth.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import vocab
from .addresses import retype_address
from .geography import Country, Phone

Record = dict[str, str]


@dataclass(frozen=True)
class Context:
    """What a variation may need to know about the entity behind the record."""

    is_institution: bool
    first_name: str
    last_name: str
    phone: Phone
    country: Country


def _typo(text: str, u: np.ndarray) -> str:
    """One keyboard slip: swapped neighbours, a dropped, a wrong or a doubled letter."""
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 4:
        return text
    pos = letters[1 + int(u[0] * (len(letters) - 1))]
    kind = int(u[1] * 4)
    if kind == 0 and pos + 1 < len(text) and text[pos + 1].isalpha():
        return text[:pos] + text[pos + 1] + text[pos] + text[pos + 2 :]
    if kind == 1:
        return text[:pos] + text[pos + 1 :]
    if kind == 2:
        letter = "abcdefghijklmnopqrstuvwxyz"[int(u[2] * 26)]
        letter = letter.upper() if text[pos].isupper() else letter
        return text[:pos] + letter + text[pos + 1 :]
    return text[: pos + 1] + text[pos] + text[pos + 1 :]


def _legal_form(record: Record, ctx: Context, u: np.ndarray) -> Record:
    name = record["client_name"]
    options = []
    for long, short in vocab.LEGAL_FORM_SWAPS:
        for old, new in ((long, short), (short, long)):
            pattern = re.escape(old) if old.startswith(" ") else rf"(?<!\w){re.escape(old)}(?!\w)"
            if re.search(pattern, name):
                options.append(re.sub(pattern, new, name, count=1))
    return {"client_name": options[int(u[0] * len(options))]} if options else {}


def _name_order(record: Record, ctx: Context, u: np.ndarray) -> Record:
    first, last = ctx.first_name, ctx.last_name
    return {"client_name": f"{last}, {first}" if u[0] < 0.6 else f"{last} {first}"}


def _nickname(record: Record, ctx: Context, u: np.ndarray) -> Record:
    nick = vocab.NICKNAMES.get(ctx.first_name)
    if not nick or ctx.first_name not in record["client_name"]:
        return {}
    return {"client_name": record["client_name"].replace(ctx.first_name, nick, 1)}


def _changed_email(record: Record, ctx: Context, u: np.ndarray) -> Record:
    """Another mailbox of the same client: a different role, provider or local part."""
    local, _, domain = record["email"].partition("@")
    if ctx.is_institution:
        if u[0] < 0.5:
            roles = [r for r in vocab.ROLE_MAILBOXES if r != local]
            return {"email": f"{roles[int(u[1] * len(roles))]}@{domain}"}
        stem, _, _ = domain.partition(".")
        tld = "com" if not domain.endswith(".com") else ctx.country.tld
        return {"email": f"{local}@{stem}.{tld}"}
    providers = [p for p in vocab.EMAIL_PROVIDERS[ctx.country.language] if p != domain]
    if u[0] < 0.5 and providers:
        return {"email": f"{local}@{providers[int(u[1] * len(providers))]}"}
    return {"email": f"{local}{10 + int(u[1] * 89)}@{domain}"}


def _postcode_format(record: Record, ctx: Context, u: np.ndarray) -> Record:
    code = record["postcode"]
    options = [code.replace(" ", ""), code.replace("-", "")]
    if re.fullmatch(r"[A-Z0-9]{5,7}", code) and not code.isdigit():
        options.append(f"{code[:-3]} {code[-3:]}")
    if any(ch.isalpha() for ch in code):
        options.append(code.lower())
    options = [o for o in options if o != code]
    return {"postcode": options[int(u[0] * len(options))]} if options else {}


def _country_format(record: Record, ctx: Context, u: np.ndarray) -> Record:
    name = ctx.country.name
    return {"country": (name.upper(), name.lower(), ctx.country.iso2)[int(u[0] * 3)]}


def _blank(field: str) -> Callable[[Record, Context, np.ndarray], Record]:
    return lambda record, ctx, u: {field: ""} if record[field] else {}


@dataclass(frozen=True)
class Variation:
    name: str
    weight: float
    breaks: str | None  # strong identifier it makes unrecognisable
    apply: Callable[[Record, Context, np.ndarray], Record]
    who: str = "any"  # "institution", "individual" or "any"


VARIATIONS = (
    Variation("name_typo", 3.0, None, lambda r, c, u: {"client_name": _typo(r["client_name"], u)}),
    Variation("legal_form", 2.0, None, _legal_form, "institution"),
    Variation(
        "upper_case_name", 1.0, None, lambda r, c, u: {"client_name": r["client_name"].upper()}
    ),
    Variation("name_order", 1.5, None, _name_order, "individual"),
    Variation("nickname", 2.0, None, _nickname, "individual"),
    Variation("missing_email", 0.8, "email", _blank("email")),
    Variation("missing_phone", 0.8, "phone", _blank("phone")),
    Variation("missing_address", 0.5, "address", _blank("address_line")),
    Variation("missing_postcode", 0.5, "address", _blank("postcode")),
    Variation("missing_tax_id", 0.8, "tax_id", _blank("tax_id"), "institution"),
    Variation(
        "phone_format",
        2.0,
        None,
        lambda r, c, u: {"phone": (v := c.phone.variants())[int(u[0] * len(v))]},
    ),
    Variation(
        "address_format",
        1.5,
        None,
        lambda r, c, u: {"address_line": retype_address(r["address_line"], int(u[0] * 97))},
    ),
    Variation("postcode_format", 1.0, None, _postcode_format),
    Variation("changed_email", 1.0, "email", _changed_email),
    Variation("country_format", 1.0, None, _country_format),
)
_WEIGHTS = np.array([v.weight for v in VARIATIONS])


def strong_identifiers(record: Record, is_institution: bool) -> set[str]:
    """Strong identifiers present on a canonical record (date of birth is deliberately not one).

    Dates of birth may later be corrupted by an injected defect, so people must stay matchable on
    e-mail, phone and address alone.
    """
    present = {
        "email": bool(record["email"]),
        "phone": bool(record["phone"]),
        "address": bool(record["address_line"]),
        "tax_id": is_institution and bool(record["tax_id"]),
    }
    return {k for k, ok in present.items() if ok}


def vary_record(record: Record, ctx: Context, rng: np.random.Generator) -> list[str]:
    """Apply 1-3 variations to record in place, losing at most one strong identifier.

    Variations are tried in a weighted random order (Efraimidis-Spirakis keys); a variation that
    does not apply, changes nothing, or would leave fewer than two identifiers is skipped.
    """
    wanted = 1 + int(rng.choice(3, p=[0.45, 0.35, 0.2]))
    order = np.argsort(-(rng.random(len(VARIATIONS)) ** (1.0 / _WEIGHTS)))
    intact = strong_identifiers(record, ctx.is_institution)
    present = len(intact)
    kind = "institution" if ctx.is_institution else "individual"
    applied: list[str] = []
    for idx in order.tolist():
        variation = VARIATIONS[idx]
        if variation.who not in ("any", kind):
            continue
        # At most one identifier lost per record, so any two records of an entity still share
        # two (institutions) or one plus the date of birth (people).
        if variation.breaks in intact and (len(intact) < present or len(intact) <= 2):
            continue
        changes = variation.apply(record, ctx, rng.random(3))
        # Skip no-ops, and never re-fill a field that an earlier variation blanked.
        if not changes or any(record[k] in ("", v) for k, v in changes.items()):
            continue
        record.update(changes)
        applied.append(variation.name)
        intact.discard(variation.breaks or "")
        if len(applied) == wanted:
            break
    return applied

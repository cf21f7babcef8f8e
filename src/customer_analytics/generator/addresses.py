"""Street addresses in each country's own shape, and the ways clerks re-type them.

"12 Harbour Road", "Lindenstraße 12", "12 Rue de la Paix", "Via Roma 12" and "ul. Długa 12" put the
house number in different places; a matcher that only knows one shape would be tested on nothing.
"""

from __future__ import annotations

import re

import numpy as np

# fmt: off
_EN_NAMES = (
    "Harbour", "High", "Station", "Church", "Mill", "Park", "Victoria", "Queen", "King", "Bridge",
    "Market", "Castle", "Chapel", "Albert", "Princes", "Manor", "Orchard", "Willow", "Oak", "Elm",
    "Cedar", "Maple", "Meadow", "River", "Hill", "Green", "North", "South", "West", "East",
    "Riverside", "Broad", "New", "Old", "Forest", "Lake", "Spring", "Grove", "Cherry", "Beech",
    "Ash", "Wellington", "Nelson", "York", "Windsor", "Cambridge", "Oxford", "Regent", "Abbey",
    "Canal", "Quarry", "Priory", "Mount", "Mulberry", "Hawthorn",
)
_EN_TYPES = (
    "Road", "Street", "Avenue", "Lane", "Drive", "Place", "Way", "Court", "Close", "Square",
    "Crescent", "Terrace", "Gardens",
)

# style: (template, first-part vocabulary, second-part vocabulary)
_STYLES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "de": ("{a}{b} {n}", (
        "Linden", "Bahnhof", "Haupt", "Schiller", "Goethe", "Garten", "Berg", "Kirch", "Schul",
        "Wald", "Rosen", "Mühlen", "Königs", "Friedrich", "Markt", "Burg", "Brunnen", "Sonnen"),
        ("straße", "weg", "allee", "gasse", "platz", "ring")),
    "fr": ("{n} {a} {b}", ("Rue", "Avenue", "Boulevard", "Place", "Allée", "Quai"), (
        "de la Paix", "Victor Hugo", "du Général Leclerc", "des Lilas", "Saint-Honoré",
        "de la République", "Jean Jaurès", "Pasteur", "de la Gare", "du Château", "des Écoles",
        "Émile Zola", "Voltaire", "de Verdun", "Gambetta", "Foch")),
    "es": ("{a} {b} {n}", ("Calle", "Avenida", "Paseo", "Plaza"), (
        "Mayor", "de Alcalá", "Gran Vía", "de la Castellana", "del Prado", "de Serrano",
        "de Gràcia", "Colón", "de la Constitución", "Real", "San Vicente", "de Andalucía")),
    "it": ("{a} {b} {n}", ("Via", "Viale", "Piazza", "Corso"), (
        "Roma", "Garibaldi", "Dante Alighieri", "Giuseppe Verdi", "Mazzini", "Cavour",
        "Vittorio Emanuele II", "della Repubblica", "dei Mille", "San Francesco", "Nazionale")),
    "pt": ("{a} {b} {n}", ("Rua", "Avenida", "Praça", "Travessa"), (
        "Augusta", "da Liberdade", "de Santa Catarina", "do Comércio", "das Flores",
        "Dom Pedro II", "Paulista", "da Boavista", "Garrett", "Sá da Bandeira", "São João")),
    "nl": ("{a}{b} {n}", (
        "Keizers", "Prinsen", "Heren", "Kalver", "Stations", "Molen", "Kerk", "Dorps", "Lange ",
        "Oude ", "Nieuwe "), ("gracht", "straat", "weg", "laan", "plein")),
    "se": ("{a}{b} {n}", ("Stor", "Drottning", "Kungs", "Vasa", "Göt", "Linné", "Sve", "Ham"),
           ("gatan", "vägen")),
    "no": ("{a}{b} {n}", ("Stor", "Kirke", "Torg", "Strand", "Bogstad", "Dronning"),
           ("gata", "gate", "veien")),
    "dk": ("{a}{b} {n}", ("Vesterbro", "Nørrebro", "Øster", "Søndre", "Bred", "Al", "Strand"),
           ("gade", "vej")),
    "pl": ("ul. {a}{b} {n}", (
        "Marszałkowska", "Piotrkowska", "Długa", "Floriańska", "Świętokrzyska", "Grunwaldzka",
        "Mickiewicza", "Kościuszki"), ("",)),
    "jp": ("{n}-{m}-{k} {a}{b}", (
        "Marunouchi", "Shibuya", "Ginza", "Umeda", "Namba", "Sakae", "Minatomirai", "Roppongi"),
        ("",)),
}

# Long and short forms a clerk may swap; applied in either direction when re-typing an address.
ABBREVIATIONS = (
    ("Road", "Rd"), ("Street", "St."), ("Avenue", "Ave"), ("Lane", "Ln"), ("Drive", "Dr."),
    ("Place", "Pl."), ("Court", "Ct."), ("Square", "Sq."), ("Crescent", "Cres."),
    ("Terrace", "Tce"), ("Gardens", "Gdns"), ("straße", "str."), ("straße", "strasse"),
    ("Boulevard", "Bd"), ("Rue", "R."), ("Calle", "C/"), ("Avenida", "Avda."),
    ("Piazza", "P.zza"), ("Corso", "C.so"), ("Viale", "V.le"), ("Praça", "Pç."),
    ("Travessa", "Tv."), ("gracht", "gr."), ("straat", "str."), ("gatan", "g."),
    ("vägen", "v."), ("gate", "gt."), ("veien", "vn."), ("gade", "g."), ("ul. ", "ulica "),
)
# fmt: on


def make_address(style: str, draws: np.ndarray, for_person: bool) -> str:
    """An address line in the country's style from a row of pre-drawn integers."""
    number = 1 + int(draws[0]) % 180
    if style in _STYLES:
        template, firsts, seconds = _STYLES[style]
        return template.format(
            a=firsts[int(draws[1]) % len(firsts)],
            b=seconds[int(draws[2]) % len(seconds)],
            n=number,
            m=1 + int(draws[3]) % 9,
            k=1 + int(draws[4]) % 30,
        )
    name = _EN_NAMES[int(draws[1]) % len(_EN_NAMES)]
    line = f"{number} {name} {_EN_TYPES[int(draws[2]) % len(_EN_TYPES)]}"
    if int(draws[5]) % 10 == 0:  # one in ten sits in a unit or flat: a comma that needs quoting
        line = f"{'Flat' if for_person else 'Unit'} {1 + int(draws[4]) % 40}, {line}"
    return line


def abbreviation_swaps(address: str) -> list[str]:
    """Every single long<->short swap that applies to the address."""
    out = []
    for long, short in ABBREVIATIONS:
        for old, new in ((long, short), (short, long)):
            pattern = re.escape(old) + (r"(?!\w)" if old[-1].isalnum() else "")
            if old[0].isupper():
                pattern = r"(?<![\w.])" + pattern
            if re.search(pattern, address):
                out.append(re.sub(pattern, new, address, count=1))
    return [a for a in out if a != address]


def retype_address(address: str, choice: int) -> str:
    """The address as another clerk typed it: abbreviated or expanded, re-cased or re-spaced."""
    options = abbreviation_swaps(address)
    options += [address.upper(), address.lower(), address.replace(" ", "  ", 1), f" {address} "]
    if re.match(r"^\d+ ", address):  # French habit: "12, rue de la Paix"
        options.append(re.sub(r"^(\d+) ", r"\1, ", address))
    options = [o for o in options if o != address]
    return options[choice % len(options)]

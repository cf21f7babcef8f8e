"""Countries as the data sees them: cities, phone plans, postcode and tax-id formats, legal forms.

Formats are modelled per country (not one global pattern) because the later fuzzy matcher and the
staging layer must cope with what real CRMs hold: "+44 20 7946 0123" next to "(212) 555-0123",
"SW1A 1AA" next to "75008", "GB123456789" next to "CHE-123.456.789".

Pattern language used by postcodes and tax ids: '#' a digit, '@' an upper-case letter, 'X' a letter
or digit (the Eircode alphabet); any other character is copied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class City:
    name: str
    area: str  # dialling area code without the trunk prefix ("" where numbers have no area)
    postcode_prefixes: tuple[str, ...]
    state: str = ""


@dataclass(frozen=True)
class Country:
    name: str  # canonical English name, exactly as the reference seed spells it
    iso2: str
    weight: float  # share of entities, in percent (renormalised)
    calling_code: str
    trunk: str  # national trunk prefix ("0"), dropped in international format
    groups: tuple[int, ...]  # digit groups of the subscriber number
    postcode_pattern: str  # appended to a city prefix; "" means the country has no postcodes
    tax_pattern: str
    tld: str
    style: str  # address style, see addresses.py
    language: str  # personal-name pool, see vocab.py
    legal_forms: tuple[str, ...]
    cities: tuple[City, ...]


def _c(name, area, prefixes, state=""):
    return City(name, area, tuple(prefixes.split()) or ("",), state)


# fmt: off
# Country(name, iso2, weight %, calling code, trunk, subscriber groups, postcode pattern,
#         tax-id pattern, tld, address style, name language, legal forms,
#         cities: _c(name, area code, postcode prefixes[, state]))
COUNTRIES: tuple[Country, ...] = (
    Country("United Kingdom", "GB", 45, "44", "0", (4, 4), " #@@", "GB#########", "co.uk",
            "en", "en", ("Ltd", "Limited", "PLC", "LLP", "Company"), (
                _c("London", "20", "SW1A EC2A N1 E14 W1D SE1 NW1"),
                _c("Manchester", "161", "M1 M3 M4"), _c("Birmingham", "121", "B1 B3 B5"),
                _c("Leeds", "113", "LS1 LS2"), _c("Glasgow", "141", "G1 G2"),
                _c("Bristol", "117", "BS1 BS8"), _c("Edinburgh", "131", "EH1 EH2"),
                _c("Liverpool", "151", "L1 L3"))),
    Country("Germany", "DE", 8, "49", "0", (4, 4), "###", "DE#########", "de", "de", "de",
            ("GmbH", "AG", "GmbH & Co. KG", "KG"), (
                _c("Berlin", "30", "10 12"), _c("München", "89", "80 81"),
                _c("Hamburg", "40", "20 22"), _c("Frankfurt am Main", "69", "60"),
                _c("Köln", "221", "50"), _c("Düsseldorf", "211", "40"))),
    Country("France", "FR", 8, "33", "0", (2, 2, 2, 2), "#", "FR###########", "fr", "fr", "fr",
            ("SA", "SARL", "SAS"), (
                _c("Paris", "1", "7500 7501"), _c("Lyon", "4", "6900"),
                _c("Marseille", "4", "1300 1301"), _c("Toulouse", "5", "3100"),
                _c("Lille", "3", "5900"), _c("Bordeaux", "5", "3300"))),
    Country("Netherlands", "NL", 4, "31", "0", (3, 4), "## @@", "NL#########B##", "nl", "nl",
            "nl", ("B.V.", "N.V."), (
                _c("Amsterdam", "20", "10"), _c("Rotterdam", "10", "30"),
                _c("Utrecht", "30", "35"), _c("Den Haag", "70", "25"),
                _c("Eindhoven", "40", "56"))),
    Country("Spain", "ES", 4, "34", "", (3, 2, 2), "##", "ES@########", "es", "es", "es",
            ("S.L.", "S.A."), (
                _c("Madrid", "91", "280"), _c("Barcelona", "93", "080"),
                _c("Valencia", "96", "460"), _c("Sevilla", "95", "410"),
                _c("Málaga", "95", "290"), _c("Bilbao", "94", "480"))),
    Country("Italy", "IT", 4, "39", "", (4, 4), "##", "IT###########", "it", "it", "it",
            ("S.p.A.", "S.r.l."), (
                _c("Roma", "06", "001"), _c("Milano", "02", "201"),
                _c("Napoli", "081", "801"), _c("Torino", "011", "101"),
                _c("Firenze", "055", "501"), _c("Bologna", "051", "401"))),
    Country("Ireland", "IE", 3, "353", "0", (3, 4), " XXXX", "IE#######@", "ie", "en", "en",
            ("Ltd", "Limited", "DAC"), (
                _c("Dublin", "1", "D02 D04 D08"), _c("Cork", "21", "T12"),
                _c("Galway", "91", "H91"), _c("Limerick", "61", "V94"))),
    Country("Belgium", "BE", 2, "32", "0", (3, 2, 2), "##", "BE0#########", "be", "fr", "fr",
            ("NV", "SA", "BV", "SRL"), (
                _c("Bruxelles", "2", "10"), _c("Antwerpen", "3", "20"),
                _c("Gent", "9", "90"), _c("Liège", "4", "40"))),
    Country("Switzerland", "CH", 2, "41", "0", (3, 2, 2), "##", "CHE-###.###.###", "ch", "de",
            "de", ("AG", "GmbH", "SA", "Sàrl"), (
                _c("Zürich", "44", "80"), _c("Genève", "22", "12"), _c("Basel", "61", "40"),
                _c("Bern", "31", "30"), _c("Lausanne", "21", "10"))),
    Country("Sweden", "SE", 2, "46", "0", (3, 2, 2), "# ##", "SE##########01", "se", "se",
            "nordic", ("AB", "HB"), (
                _c("Stockholm", "8", "11"), _c("Göteborg", "31", "41"),
                _c("Malmö", "40", "21"), _c("Uppsala", "18", "75"))),
    Country("Norway", "NO", 1.5, "47", "", (2, 2, 2, 2), "##", "NO#########MVA", "no", "no",
            "nordic", ("AS", "ASA"), (
                _c("Oslo", "", "01 02"), _c("Bergen", "", "50"),
                _c("Trondheim", "", "70"), _c("Stavanger", "", "40"))),
    Country("Denmark", "DK", 1.5, "45", "", (2, 2, 2, 2), "###", "DK########", "dk", "dk",
            "nordic", ("A/S", "ApS"), (
                _c("København", "", "1"), _c("Aarhus", "", "8"),
                _c("Odense", "", "5"), _c("Aalborg", "", "9"))),
    Country("Poland", "PL", 1.5, "48", "", (3, 2, 2), "#-###", "PL##########", "pl", "pl", "pl",
            ("Sp. z o.o.", "S.A."), (
                _c("Warszawa", "22", "0"), _c("Kraków", "12", "3"), _c("Wrocław", "71", "5"),
                _c("Gdańsk", "58", "8"), _c("Poznań", "61", "6"))),
    Country("Portugal", "PT", 1.5, "351", "", (3, 4), "##-###", "PT#########", "pt", "pt",
            "pt", ("Lda.", "S.A."), (
                _c("Lisboa", "21", "10 11"), _c("Porto", "22", "40 41"),
                _c("Braga", "253", "47"), _c("Coimbra", "239", "30"))),
    Country("United States", "US", 5, "1", "", (3, 4), "##", "##-#######", "com", "en", "en",
            ("Inc.", "Incorporated", "LLC", "Corp.", "Corporation", "Company"), (
                _c("New York", "212", "100", "NY"), _c("Los Angeles", "213", "900", "CA"),
                _c("Chicago", "312", "606", "IL"), _c("Boston", "617", "021", "MA"),
                _c("Seattle", "206", "981", "WA"), _c("Austin", "512", "787", "TX"),
                _c("Miami", "305", "331", "FL"))),
    Country("Canada", "CA", 1.5, "1", "", (3, 4), "#@ #@#", "#########RT0001", "ca", "en",
            "en", ("Inc.", "Ltd.", "Corp.", "Limited", "Incorporated"), (
                _c("Toronto", "416", "M", "ON"), _c("Vancouver", "604", "V", "BC"),
                _c("Montréal", "514", "H", "QC"), _c("Calgary", "403", "T", "AB"),
                _c("Ottawa", "613", "K", "ON"))),
    Country("Australia", "AU", 2, "61", "0", (4, 4), "##", "## ### ### ###", "com.au", "en",
            "en", ("Pty Ltd", "Limited"), (
                _c("Sydney", "2", "20", "NSW"), _c("Melbourne", "3", "30", "VIC"),
                _c("Brisbane", "7", "40", "QLD"), _c("Perth", "8", "60", "WA"),
                _c("Adelaide", "8", "50", "SA"))),
    Country("Japan", "JP", 1, "81", "0", (4, 4), "#-####", "T#############", "co.jp", "jp",
            "jp", ("K.K.", "Co., Ltd.", "G.K."), (
                _c("Tokyo", "3", "10"), _c("Osaka", "6", "53"),
                _c("Yokohama", "45", "22"), _c("Nagoya", "52", "46"))),
    Country("Singapore", "SG", 1, "65", "", (4, 4), "####", "20#######@", "com.sg", "en", "en",
            ("Pte. Ltd.", "Pte Ltd"), (_c("Singapore", "", "01 04 23 52"),)),
    Country("United Arab Emirates", "AE", 0.5, "971", "0", (3, 4), "", "100##########03",
            "ae", "en", "en", ("LLC", "FZE", "FZ-LLC"), (
                _c("Dubai", "4", ""), _c("Abu Dhabi", "2", ""), _c("Sharjah", "6", ""))),
    Country("South Africa", "ZA", 0.5, "27", "0", (3, 4), "##", "4#########", "co.za", "en",
            "en", ("(Pty) Ltd", "Ltd"), (
                _c("Johannesburg", "11", "20"), _c("Cape Town", "21", "80"),
                _c("Durban", "31", "40"), _c("Pretoria", "12", "00"))),
    Country("Brazil", "BR", 0.5, "55", "0", (4, 4), "###-###", "##.###.###/0001-##", "com.br",
            "pt", "pt", ("Ltda.", "S.A."), (
                _c("São Paulo", "11", "01 04"), _c("Rio de Janeiro", "21", "20 22"),
                _c("Brasília", "61", "70"), _c("Belo Horizonte", "31", "30"))),
)
# fmt: on

COUNTRY_WEIGHTS = np.array([c.weight for c in COUNTRIES]) / sum(c.weight for c in COUNTRIES)

_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_EIRCODE = "ACDEFHKNPRTVWXY0123456789"


def fill_pattern(pattern: str, draws: np.ndarray) -> str:
    """Fill '#', '@' and 'X' placeholders from a row of pre-drawn random integers.

    Pre-drawing keeps the per-entity Python loop free of generator calls, which dominate otherwise.
    """
    out = []
    for i, ch in enumerate(pattern):
        alphabet = {"#": _DIGITS, "@": _LETTERS, "X": _EIRCODE}.get(ch)
        out.append(ch if alphabet is None else alphabet[int(draws[i]) % len(alphabet)])
    return "".join(out)


@dataclass(frozen=True)
class Phone:
    """A phone number kept in parts so the same number can be written the many ways CRMs do."""

    calling_code: str
    trunk: str
    area: str
    groups: tuple[str, ...]

    def international(self) -> str:
        return " ".join(p for p in (f"+{self.calling_code}", self.area, *self.groups) if p)

    def variants(self) -> list[str]:
        """Other spellings of the same number; all end in its national significant digits."""
        cc, area, groups = self.calling_code, self.area, self.groups
        head, tail, spaced = groups[0], "".join(groups[1:]), " ".join(groups)
        local = self.trunk + area  # dialled within the country before the subscriber number
        dashed = "-".join(p for p in (f"+{cc}", area, *groups) if p)
        if cc == "1":  # North American numbering plan
            forms = [f"({area}) {head}-{tail}", f"{area}-{head}-{tail}", area + head + tail, dashed]
        elif area:
            forms = [f"({local}) {head}-{tail}", f"{local} {spaced}", local + head + tail, dashed,
                     f"00{cc} {area} {spaced}"]  # fmt: skip
        else:
            digits = head + tail
            forms = [digits, f"{digits[:4]} {digits[4:]}", dashed, f"00{cc} {spaced}"]
        return [f for f in forms if f != self.international()]


def draw_phone(country: Country, city: City, value: int) -> Phone:
    """A phone number for a city from one random integer (its leading digit is never 0).

    Three-digit areas (Leeds 113, Köln 221) leave one digit less for the subscriber.
    """
    sizes = (3, 4) if len(city.area) == 3 and country.groups == (4, 4) else country.groups
    width = sum(sizes)
    low = 2 * 10 ** (width - 1)
    digits = str(low + value % (10**width - low))
    groups, start = [], 0
    for size in sizes:
        groups.append(digits[start : start + size])
        start += size
    return Phone(country.calling_code, country.trunk, city.area, tuple(groups))

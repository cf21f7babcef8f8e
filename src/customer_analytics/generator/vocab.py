"""Word lists: people's names per language, nicknames, industries, legal forms, product words.

Static data only; the rules that combine it live in names.py and products.py.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _list(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split(",") if w.strip())


# Syllable parts for invented but pronounceable words: "Valtora", "Brenwick", "Kestford".
ONSETS = _words("b br c cr d dr f fl g gr h j k kr l m n p pr r s st t tr v w z th bl sk sh")
VOWELS = _words("a e i o u a e o ai ea ou y")
MIDDLES = _words("l n r v m d st nd lt rw nw sk th br nt rl ll ss ck rn x lv")
SOFT_MIDDLES = _words("l n r m d v s t")  # before an ending that starts with a consonant
WORD_ENDINGS = _words(
    "a ora ia ex on wick ton ford dale ley more well stone gate field by ix ant ara en is ane "
    "ero ium ova ello ard ette ar us"
)
SURNAME_ENDINGS = _words(
    "ton ford ley wick field by more well stone dale ham worth son er man en ard ing er croft"
)
# Real words that company founders like; mixed with invented ones.
BRAND_WORDS = _words(
    "Kestrel Marlow Beacon Summit Meridian Northgate Bluebell Harbour Foxglove Juniper Lantern "
    "Oakridge Pinnacle Quarry Riverside Saffron Thistle Willow Anchor Bramble Cobalt Falcon "
    "Granite "
    "Heron Ivy Larkspur Magnolia Nimbus Orchid Pebble Quill Rowan Sparrow Tamarind Umber Vantage "
    "Wren Zephyr Acorn Birch Cedar Drift Ember Fern Glade Hollow Indigo Jasper Kingfisher Linden"
)

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": _words(
        "William Robert Elizabeth Katherine Michael James Richard Margaret Jonathan Alexander "
        "Christopher Jennifer Thomas Daniel Patricia Stephen Joseph Edward Benjamin Samuel Matthew "
        "Nicholas Anthony Andrew Charles Timothy Jessica Rebecca Victoria Susan Deborah Catherine "
        "Kimberly Samantha Joshua Zachary Gregory Jacob Frederick Henry Abigail Alexandra "
        "Christine Oliver George Harry Jack Noah Leo Oscar Emily Olivia Amelia Isla Ava Sophie "
        "Grace Lily Hannah Lucy Ella Chloe Sarah Laura Emma Rachel Helen Claire Fiona Zoë Renée "
        "Siân Seán Niamh Aoife Priya Aisha Mohammed Ravi Wei Mei Kwame Thabo Naledi Liam Ethan "
        "Mason Madison Megan Ian Gareth Rhys Dylan Ewan Callum Hamish Eilidh Graham Duncan Angus "
        "Kirsty Paul Peter Mark David John Mary Anne Ruth Joanne Karen Simon Adam Nathaniel"
    ),
    "de": _words(
        "Lukas Jürgen Jörg Günter Käthe Björn Sören Maximilian Felix Jonas Leonie Lena Anna "
        "Johannes Wolfgang Friedrich Ursula Monika Sabine Stefan Andreas Matthias Katrin Dörte Uwe "
        "Heike Klaus Claudia Tobias Günther"
    ),
    "fr": _words(
        "Éloïse François Zoé Hélène Jérôme Chloé Amélie Léa Théo Gaël Noël Inès Loïc Maëlle "
        "Céline Mathieu Julien Camille Antoine Nicolas Pierre Marie Sophie Louis Hugo Manon "
        "Clément Aurélie Benoît Anaïs"
    ),
    "es": _words(
        "José María Sofía Lucía Martín Hugo Mateo Alejandro Francisco Javier Álvaro Carmen Pilar "
        "Ana Isabel Jesús Manuel Raúl Inés Íñigo Begoña Nuria Sergio Pablo Adrián Elena Marta "
        "Cristina Andrés Víctor"
    ),
    "pt": _words(
        "João José António Gonçalo Tomás Duarte Inês Beatriz Leonor Mariana Matilde Rafael "
        "Rodrigo Guilherme Luís Sebastião Conceição Fátima Lúcia Ana Pedro Miguel Thiago Gabriel "
        "Larissa Letícia Júlia Vitória Caio Otávio"
    ),
    "it": _words(
        "Giuseppe Giovanni Alessandro Francesco Lorenzo Leonardo Matteo Andrea Marco Luca Giulia "
        "Chiara Francesca Sofia Aurora Martina Niccolò Elisa Federica Paola Roberto Stefano Davide "
        "Simone Alessia Ilaria Sara Valentina Tommaso Nicolò"
    ),
    "nl": _words(
        "Daan Sem Finn Lucas Levi Bram Sanne Emma Julia Tess Anouk Femke Joost Pieter Jan Kees "
        "Maarten Sven Thijs Ruud Eline Lotte Noor Iris Floor Wouter Gijs Mees Roos Jeroen"
    ),
    "nordic": _words(
        "Søren Bjørn Åsa Märta Lars Anders Erik Johan Nils Sven Ingrid Astrid Sigrid Freja Maja "
        "Elsa Oskar Magnus Henrik Kristian Mette Signe Linnéa Björn Göran Jörgen Øystein Ståle "
        "Tove Ragnhild"
    ),
    "pl": _words(
        "Łukasz Zofia Wojciech Małgorzata Jakub Kacper Szymon Jan Piotr Krzysztof Tomasz Paweł "
        "Michał Agnieszka Katarzyna Anna Magdalena Joanna Ewa Barbara Grzegorz Marek Mateusz "
        "Bartłomiej Aleksandra Natalia Weronika Jadwiga Stanisław Zbigniew"
    ),
    "jp": _words(
        "Haruto Yui Sota Yuto Hina Aoi Ren Sakura Riku Yuna Kenji Takeshi Hiroshi Akiko Yuki "
        "Naoko Daisuke Kaito Mei Emi"
    ),
}

SURNAMES: dict[str, tuple[str, ...]] = {
    "en": _list(
        "Smith, Jones, Williams, Taylor, Brown, Davies, Evans, Wilson, Thomas, Johnson, Roberts, "
        "Robinson, Thompson, Wright, Walker, White, Edwards, Hughes, Green, Hall, Lewis, Harris, "
        "Clarke, Patel, Jackson, Wood, Turner, Martin, Cooper, Hill, Ward, Morris, Moore, Clark, "
        "Lee, King, Baker, Harrison, Morgan, Allen, Scott, Phillips, Watson, Davis, Parker, Price, "
        "Bennett, Young, Griffiths, Mitchell, Kelly, Cook, Carter, Richardson, Bailey, Collins, "
        "Bell, Shaw, Murphy, Miller, Cox, Richards, Khan, Marshall, Anderson, Simpson, Ellis, "
        "Adams, Singh, Begum, Wilkinson, Foster, Chapman, Powell, Webb, Rogers, Gray, Mason, Ali, "
        "Hunt, Hussain, Campbell, Matthews, Owen, Palmer, Holmes, Mills, Barnes, Knight, Lloyd, "
        "Butler, Russell, Barker, Fisher, Stevens, Jenkins, O'Brien, O'Connor, McDonald, MacLeod, "
        "Ó Súilleabháin, Nguyen, Chen, Okafor, Mensah, Van der Merwe"
    ),
    "de": _list(
        "Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, Hoffmann, "
        "Schäfer, Koch, Bauer, Richter, Klein, Wolf, Schröder, Neumann, Schwarz, Zimmermann, "
        "Braun, Krüger, Hofmann, Hartmann, Lange, Schmitt, Werner, Krause, Köhler, Weiß, Groß, "
        "Jäger, Böhm, Lehmann"
    ),
    "fr": _list(
        "Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, Simon, "
        "Laurent, Lefèvre, Michel, Garcia, David, Bertrand, Roux, Vincent, Fournier, Morel, "
        "Girard, André, Lefebvre, Mercier, Dupont, Lambert, Bonnet, Gauthier, Chevalier, Lemaître, "
        "Béranger"
    ),
    "es": _list(
        "García, Fernández, González, Rodríguez, López, Martínez, Sánchez, Pérez, Gómez, Martín, "
        "Jiménez, Ruiz, Hernández, Díaz, Moreno, Muñoz, Álvarez, Romero, Alonso, Gutiérrez, "
        "Navarro, Torres, Domínguez, Vázquez, Ramos, Gil, Ramírez, Serrano, Blanco, Núñez, Ibáñez, "
        "Peña"
    ),
    "pt": _list(
        "Silva, Santos, Ferreira, Pereira, Oliveira, Costa, Rodrigues, Martins, Jesus, Sousa, "
        "Fernandes, Gonçalves, Gomes, Lopes, Marques, Alves, Almeida, Ribeiro, Pinto, Carvalho, "
        "Teixeira, Moreira, Correia, Mendes, Nunes, Soares, Vieira, Monteiro, Cardoso, Araújo, "
        "Magalhães, Simões"
    ),
    "it": _list(
        "Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, Bruno, "
        "Gallo, Conti, De Luca, Mancini, Costa, Giordano, Rizzo, Lombardi, Moretti, Barbieri, "
        "Fontana, Santoro, Mariani, Rinaldi, Caruso, Ferrara, Galli, Martini, Leone, D'Angelo, "
        "Fabbri"
    ),
    "nl": _list(
        "de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Janssen, Visser, Smit, "
        "Meijer, de Boer, Mulder, de Groot, Bos, Vos, Peters, Hendriks, van Leeuwen, Dekker, "
        "Brouwer, de Wit, Dijkstra, Smits, de Graaf, van der Meer, van der Linden, Kok, Jacobs, "
        "de Haan, Vermeulen"
    ),
    "nordic": _list(
        "Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsson, Persson, Svensson, "
        "Gustafsson, Hansen, Johansen, Olsen, Larsen, Andersen, Pedersen, Nielsen, Kristiansen, "
        "Jensen, Nørgaard, Sørensen, Møller, Østergaard, Åberg, Löfgren, Ström, Bäckström, Dahl, "
        "Lindqvist, Berg"
    ),
    "pl": _list(
        "Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Kamiński, Lewandowski, Zieliński, "
        "Szymański, Woźniak, Dąbrowski, Kozłowski, Jankowski, Mazur, Kwiatkowski, Krawczyk, "
        "Piotrowski, Grabowski, Nowakowski, Pawłowski, Michalski, Król, Wieczorek, Jabłoński, "
        "Wróbel, Nowicki, Majewski, Olszewski, Stępień, Jaworski"
    ),
    "jp": _list(
        "Sato, Suzuki, Takahashi, Tanaka, Watanabe, Ito, Yamamoto, Nakamura, Kobayashi, Kato, "
        "Yoshida, Yamada, Sasaki, Yamaguchi, Matsumoto, Inoue, Kimura, Hayashi, Shimizu, Saito"
    ),
}
# Two surnames are the norm in Spain and Portugal; elsewhere a second one makes a double-barrel.
SURNAME_JOINER = {"es": " ", "pt": " "}

NICKNAMES = {
    "William": "Bill",
    "Robert": "Bob",
    "Elizabeth": "Liz",
    "Katherine": "Kate",
    "Michael": "Mike",
    "James": "Jim",
    "Richard": "Dick",
    "Margaret": "Peggy",
    "Jonathan": "Jon",
    "Alexander": "Alex",
    "Christopher": "Chris",
    "Jennifer": "Jen",
    "Thomas": "Tom",
    "Daniel": "Dan",
    "Patricia": "Pat",
    "Stephen": "Steve",
    "Joseph": "Joe",
    "Edward": "Ed",
    "Benjamin": "Ben",
    "Samuel": "Sam",
    "Matthew": "Matt",
    "Nicholas": "Nick",
    "Anthony": "Tony",
    "Andrew": "Andy",
    "Charles": "Charlie",
    "Timothy": "Tim",
    "Jessica": "Jess",
    "Rebecca": "Becky",
    "Victoria": "Vicky",
    "Susan": "Sue",
    "Deborah": "Debbie",
    "Catherine": "Cathy",
    "Kimberly": "Kim",
    "Samantha": "Sam",
    "Joshua": "Josh",
    "Zachary": "Zach",
    "Gregory": "Greg",
    "Jacob": "Jake",
    "Frederick": "Fred",
    "Henry": "Harry",
    "Abigail": "Abby",
    "Alexandra": "Alex",
    "Christine": "Chris",
    "Nathaniel": "Nate",
    "José": "Pepe",
    "Francisco": "Paco",
    "Giuseppe": "Beppe",
    "Alessandro": "Sandro",
    "Johannes": "Hannes",
    "Friedrich": "Fritz",
    "Maximilian": "Max",
    "Wolfgang": "Wolf",
    "Aleksandra": "Ola",
    "Małgorzata": "Gosia",
}

EMAIL_PROVIDERS: dict[str, tuple[str, ...]] = {
    "en": _words("gmail.com outlook.com yahoo.com hotmail.com icloud.com btinternet.com aol.com"),
    "de": _words("gmx.de web.de t-online.de gmail.com outlook.com"),
    "fr": _words("orange.fr free.fr laposte.net gmail.com outlook.fr"),
    "es": _words("gmail.com hotmail.es yahoo.es outlook.es"),
    "pt": _words("sapo.pt uol.com.br gmail.com hotmail.com"),
    "it": _words("libero.it virgilio.it gmail.com alice.it"),
    "nl": _words("ziggo.nl kpnmail.nl gmail.com outlook.com"),
    "nordic": _words("telia.com online.no gmail.com outlook.com"),
    "pl": _words("wp.pl onet.pl o2.pl gmail.com"),
    "jp": _words("yahoo.co.jp docomo.ne.jp gmail.com icloud.com"),
}
ROLE_MAILBOXES = _words("accounts info sales orders purchasing office contact finance hello")

INDUSTRIES = (
    "Retail",
    "Wholesale",
    "Hospitality",
    "Manufacturing",
    "Logistics",
    "Healthcare",
    "Education",
    "Financial Services",
    "Technology",
    "Construction",
    "Media",
    "Public Sector",
)
INDUSTRY_WEIGHTS = (0.2, 0.15, 0.1, 0.08, 0.06, 0.06, 0.06, 0.06, 0.08, 0.05, 0.05, 0.05)
INDUSTRY_NOUNS = (
    _words("Stores Retail Emporium Trading Outlet Boutique"),
    _words("Wholesale Supplies Distribution Trading Imports Merchants"),
    _words("Hotels Hospitality Catering Inns Restaurants Events"),
    _words("Manufacturing Industries Engineering Works Fabrication Components"),
    _words("Logistics Freight Shipping Transport Haulage Couriers"),
    _words("Health Healthcare Medical Clinics Pharma Care"),
    _words("Academy Education Learning College Schools Institute"),
    _words("Capital Finance Holdings Investments Partners Advisory"),
    _words("Technologies Systems Digital Software Labs Networks"),
    _words("Construction Builders Developments Contractors Homes Building"),
    _words("Media Studios Publishing Productions Creative Communications"),
    _words("Trust Foundation Services Agency Council Authority"),
)
# Long and short legal forms that records of one company swap between.
LEGAL_FORM_SWAPS = (
    ("Incorporated", "Inc."),
    ("Limited", "Ltd"),
    ("Corporation", "Corp."),
    ("Company", "Co."),
    (" and ", " & "),
)

PRODUCT_CATEGORIES = (
    "Home Decor",
    "Kitchen",
    "Stationery",
    "Toys",
    "Garden",
    "Gifts",
    "Lighting",
    "Party",
    "Bags",
    "Jewellery",
)
PRODUCT_CATEGORY_WEIGHTS = (0.2, 0.14, 0.1, 0.08, 0.07, 0.1, 0.1, 0.09, 0.07, 0.05)
CATEGORY_MEDIAN_PRICE = (3.75, 2.95, 1.25, 2.10, 4.95, 1.65, 3.75, 1.45, 1.95, 2.50)
PRODUCT_ITEMS = (
    _list(
        "HANGING HEART T-LIGHT HOLDER, PHOTO FRAME, WALL SIGN, CUSHION COVER, DOORMAT, "
        "WALL CLOCK, MIRROR, DOORSTOP, COAT HANGER, HOT WATER BOTTLE, BIRDCAGE DECORATION"
    ),
    _list(
        "CAKESTAND 3 TIER, TEA TOWEL, MUG, LUNCH BOX, JAM MAKING SET, BAKING SET, "
        "TEACUP AND SAUCER, CAKE TINS, RECIPE BOX, APRON, OVEN GLOVE, MILK JUG, SUGAR BOWL"
    ),
    _list(
        "NOTEBOOK, PENCIL SET, WRAPPING PAPER, GREETING CARD, STICKER SHEET, ENVELOPE SET, "
        "GIFT TAGS, MEMO BOARD, ADDRESS BOOK, DIARY, BOOKMARK"
    ),
    _list(
        "SKIPPING ROPE, SPINNING TOP, JIGSAW PUZZLE, DOLLS HOUSE, TOY CAR, RAG DOLL, "
        "BUILDING BLOCKS, PLAYING CARDS, SNAKES AND LADDERS, TEDDY BEAR, KNITTING SET"
    ),
    _list(
        "PLANT POT, BIRD HOUSE, WATERING CAN, GARDEN SIGN, SEED TIN, HERB MARKER, "
        "BIRD FEEDER, PLANTER, TRUG, GARDEN GLOVES, WIND CHIME"
    ),
    _list(
        "GIFT BOX, KEYRING, FRIDGE MAGNET, TRINKET BOX, PHOTO ALBUM, SOAP DISH, PURSE, "
        "COMPACT MIRROR, LUGGAGE TAG, PASSPORT COVER, HAND WARMER, MONEY BOX"
    ),
    _list(
        "LANTERN, FAIRY LIGHTS, STAR LIGHT, CANDLE, T-LIGHT HOLDER, NIGHT LIGHT, TABLE LAMP, "
        "LAMPSHADE, LIGHT GARLAND, CANDLESTICK, TEALIGHTS, LED BALLOON LIGHT"
    ),
    _list(
        "PARTY BUNTING, PAPER CHAIN KIT, NAPKINS, PAPER CUPS, BALLOONS, PAPER PLATES, "
        "PARTY BAGS, CAKE CASES, CONFETTI, PARTY HATS, STRAWS"
    ),
    _list(
        "JUMBO BAG, SHOPPER BAG, LUNCH BAG, TOTE BAG, CHARLOTTE BAG, SHOULDER BAG, WASH BAG, "
        "BACKPACK, STORAGE BAG, RECYCLED BAG, BEACH BAG"
    ),
    _list(
        "NECKLACE, EARRINGS, BRACELET, RING, BROOCH, HAIR CLIP, HAIR SLIDE, PENDANT, BANGLE, "
        "CHARM, TIARA"
    ),
)
PRODUCT_STYLES = _list(
    "VINTAGE, RETRO, REGENCY, ANTIQUE, FRENCH, SWEETHEART, SPOTTY, STRIPED, FLORAL, RUSTIC, "
    "CHRISTMAS, PAISLEY, WOODEN, GLASS, ENAMEL, ZINC, DOILY, SKULL, GINGHAM, POLKADOT, HEART, "
    "STAR, "
    "BIRD, OWL, ROSE, DAISY, PARISIENNE, SCANDINAVIAN, SPACEBOY, DOLLY GIRL, WOODLAND, JUNGLE, "
    "CIRCUS, ALPHABET, LOVE, HOME SWEET HOME, BAROQUE, VICTORIAN, ORIENTAL, PANTRY"
)
PRODUCT_COLOURS = _words(
    "WHITE RED PINK BLUE GREEN IVORY CREAM BLACK SILVER GOLD PURPLE ORANGE YELLOW PASTEL TURQUOISE"
)
PRODUCT_SIZES = (" LARGE", " SMALL", " MINI", " JUMBO")

# Codes that are not merchandise, as the Online Retail data set has them: (code, description,
# list price, share of non-product lines).
NON_PRODUCT_CODES = (
    ("POST", "POSTAGE", 18.00, 0.42),
    ("DOT", "DOTCOM POSTAGE", 6.95, 0.14),
    ("M", "Manual", 2.50, 0.12),
    ("BANK CHARGES", "Bank Charges", 15.00, 0.04),
    ("AMAZONFEE", "AMAZON FEE", 7.50, 0.03),
    ("C2", "CARRIAGE", 50.00, 0.06),
    ("CRUK", "CRUK Commission", 1.60, 0.03),
    ("D", "Discount", 5.00, 0.05),
    ("S", "SAMPLES", 1.00, 0.03),
    ("PADS", "PADS TO MATCH ALL CUSHIONS", 0.01, 0.02),
    ("gift_0001_10", "Dotcomgiftshop Gift Voucher £10.00", 10.00, 0.03),
    ("gift_0001_20", "Dotcomgiftshop Gift Voucher £20.00", 20.00, 0.03),
)
# Non-product codes whose amount is keyed by hand, so it varies line by line.
VARIABLE_PRICE_CODES = ("M", "BANK CHARGES", "AMAZONFEE", "CRUK", "D", "S", "DOT")

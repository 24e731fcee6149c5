"""The pages in Dutch (the default: the network is Flemish), French and English.

The reader's language is ``?lang=`` if given, else the first of nl, fr, en their browser
accepts (Accept-Language, with q-values), else Dutch. `Words` says the pages' own text in
that language (`TEXT`, below) and, through `kringloop.queries.words`, the words of the loop
verdict and the matchmaking; templates call it as ``t("key", name=value)``. Labels from the
graph are picked in the page's language first (`label_order`).

Every text a page shows is in these catalogues or comes from the data; a test renders each
page in Dutch and looks for the English forms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from kringloop.queries import words as verdict_words
from kringloop.queries.words import DEFAULT, LANGUAGES, Forms, column

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "NOTHING",
    "TEXT",
    "Words",
    "column",
    "page_languages",
]

#: What a page shows for a value that is not known (an en dash).
NOTHING = "\u2013"
#: The languages' own names, for the switch on every page (names, not translated).
LANGUAGE_NAMES = {"nl": "Nederlands", "fr": "Français", "en": "English"}

#: The pages' own text, in en / nl / fr.
TEXT: dict[str, Forms] = {
    # the frame of every page
    "site.tagline": (
        "knowledge graph for circular procurement",
        "kennisgraaf voor circulair aankopen",
        "graphe de connaissances pour les achats circulaires",
    ),
    "nav.label": ("Main menu", "Hoofdmenu", "Menu principal"),
    "nav.find": ("Find a chain", "Zoek een keten", "Chercher une chaîne"),
    "nav.loops": ("Loops", "Kringlopen", "Boucles"),
    "nav.gaps": ("Gaps", "Hiaten", "Lacunes"),
    "nav.organisations": ("Organisations", "Organisaties", "Organisations"),
    "nav.sparql": ("SPARQL", "SPARQL", "SPARQL"),
    "nav.queries": ("Named queries", "Kant-en-klare vragen", "Requêtes prêtes"),
    "nav.ontology": ("Ontology", "Ontologie", "Ontologie"),
    "nav.api": ("API", "API", "API"),
    "nav.language": ("Language", "Taal", "Langue"),
    "skip": ("Skip to the content", "Naar de inhoud", "Aller au contenu"),
    "footer.fictional": (
        'Organisations in the demo data whose names contain "Example" are fictional.',
        'Organisaties in de demogegevens met "Example" in hun naam zijn fictief.',
        "Les organisations des données de démonstration dont le nom contient « Example » sont "
        "fictives.",
    ),
    "footer.data": ("The data as linked data", "De gegevens als linked data", "Les données liées"),
    # the landing page
    "landing.title": (
        "kringloop: a knowledge graph for circular procurement",
        "kringloop: een kennisgraaf voor circulair aankopen",
        "kringloop : un graphe de connaissances pour les achats circulaires",
    ),
    "landing.lead": (
        "Who offers a product on lease, as a service or refurbished, who takes it back after "
        "use, and does the product or its material really return to a producer? kringloop "
        "answers for buyers and for the networks that help them, and says why.",
        "Wie biedt een product aan in lease, als dienst of opgeknapt, wie neemt het terug na "
        "gebruik, en keert het product of zijn materiaal echt terug naar een producent? "
        "kringloop antwoordt voor aankopers en voor de netwerken die hen helpen, en zegt "
        "waarom.",
        "Qui propose un produit en location, en service ou reconditionné, qui le reprend après "
        "usage, et le produit ou sa matière revient-il vraiment chez un producteur ? kringloop "
        "répond aux acheteurs et aux réseaux qui les aident, et dit pourquoi.",
    ),
    "landing.origin": (
        "It grew out of the Flemish learning network on circular procurement (2017-2019).",
        "Het groeide uit het Lerend Netwerk Circulair Aankopen (2017-2019).",
        "Il est né du réseau d'apprentissage flamand sur les achats circulaires (2017-2019).",
    ),
    "landing.do": ("What you can do", "Wat u kunt doen", "Ce que vous pouvez faire"),
    "landing.find.title": (
        "Find a closed-loop chain",
        "Zoek een gesloten kringloop",
        "Trouver une boucle fermée",
    ),
    "landing.find.text": (
        "For a purchase: suppliers near you, their business model and price, who takes the "
        "product back, and whether the loop closes.",
        "Voor een aankoop: leveranciers in uw buurt, hun bedrijfsmodel en prijs, wie het "
        "product terugneemt, en of de kringloop sluit.",
        "Pour un achat : les fournisseurs proches, leur modèle d'affaires et leur prix, qui "
        "reprend le produit, et si la boucle se ferme.",
    ),
    "landing.find.example": (
        "For example: office chairs near Hasselt, on lease",
        "Bijvoorbeeld: bureaustoelen bij Hasselt, in leasing",
        "Par exemple : chaises de bureau près de Hasselt, en location",
    ),
    "landing.loops.title": (
        "See the loops and gaps",
        "Bekijk kringlopen en hiaten",
        "Voir les boucles et les lacunes",
    ),
    "landing.loops.text": (
        "Per category and region: closed, promised and open loops, the missing roles and who "
        "could fill them.",
        "Per categorie en regio: gesloten, beloofde en open kringlopen, de ontbrekende rollen "
        "en wie ze kan invullen.",
        "Par catégorie et par région : boucles fermées, promises et ouvertes, les rôles "
        "manquants et qui pourrait les tenir.",
    ),
    "landing.orgs.title": (
        "Explore an organisation",
        "Verken een organisatie",
        "Explorer une organisation",
    ),
    "landing.orgs.text": (
        "Who plays which role, for which product, where; and each organisation's "
        "neighbourhood in the graph.",
        "Wie speelt welke rol, voor welk product, waar; en de buurt van elke organisatie in de "
        "graaf.",
        "Qui joue quel rôle, pour quel produit, où ; et le voisinage de chaque organisation "
        "dans le graphe.",
    ),
    "landing.sparql.title": (
        "Query with SPARQL",
        "Bevraag met SPARQL",
        "Interroger en SPARQL",
    ),
    "landing.sparql.text": (
        "The SPARQL editor, the named queries with their parameters, the ontology and the API.",
        "De SPARQL-editor, de kant-en-klare vragen met hun parameters, de ontologie en de API.",
        "L'éditeur SPARQL, les requêtes prêtes avec leurs paramètres, l'ontologie et l'API.",
    ),
    "landing.holds": ("What the graph holds", "Wat de graaf bevat", "Ce que contient le graphe"),
    "landing.graph": ("graph", "graaf", "graphe"),
    "landing.triples": ("triples", "triples", "triplets"),
    "landing.total": ("total", "totaal", "total"),
    "landing.empty": ("The store is empty.", "De opslag is leeg.", "Le stockage est vide."),
    # the SPARQL editor
    "editor.title": ("SPARQL editor", "SPARQL-editor", "Éditeur SPARQL"),
    "editor.text": (
        "The data sits in one named graph per source; the editor asks for the union of all "
        "graphs as the default graph. Each named query opens in its own tab with example "
        "values. The share button makes a link that opens this query again.",
        "De gegevens staan in één benoemde graaf per bron; de editor vraagt de unie van alle "
        "grafen als standaardgraaf. Elke kant-en-klare vraag opent in een eigen tabblad met "
        "voorbeeldwaarden. De deelknop maakt een link die deze vraag opnieuw opent.",
        "Les données sont dans un graphe nommé par source ; l'éditeur demande l'union de tous "
        "les graphes comme graphe par défaut. Chaque requête prête s'ouvre dans son onglet avec "
        "des valeurs d'exemple. Le bouton de partage crée un lien qui rouvre cette requête.",
    ),
    "editor.overview": ("Overview", "Overzicht", "Aperçu"),
    "editor.overview.comment": (
        "What each graph holds: classes and how many instances they have.",
        "Wat elke graaf bevat: klassen en hoeveel instanties ze hebben.",
        "Ce que contient chaque graphe : les classes et leur nombre d'instances.",
    ),
    "editor.endpoint-field": ("SPARQL endpoint", "SPARQL-eindpunt", "Point d'accès SPARQL"),
    "editor.query": ("SPARQL query", "SPARQL-vraag", "Requête SPARQL"),
    "editor.add-tab": ("Add a tab", "Tabblad toevoegen", "Ajouter un onglet"),
    "editor.endpoint": (
        "The SPARQL 1.1 endpoint",
        "Het SPARQL 1.1-eindpunt",
        "Le point d'accès SPARQL 1.1",
    ),
    # the request form
    "find.title": (
        "Find a closed-loop chain",
        "Zoek een gesloten kringloop",
        "Trouver une boucle fermée",
    ),
    "find.lead": (
        "Say what you need and where. kringloop looks for suppliers and for the partners who "
        "take the product back, and judges for each chain whether the loop closes.",
        "Zeg wat u nodig hebt en waar. kringloop zoekt leveranciers en de partners die het "
        "product terugnemen, en oordeelt voor elke keten of de kringloop sluit.",
        "Dites ce dont vous avez besoin et où. kringloop cherche les fournisseurs et les "
        "partenaires qui reprennent le produit, et juge pour chaque chaîne si la boucle se "
        "ferme.",
    ),
    "find.request": ("Your request", "Uw vraag", "Votre demande"),
    "find.change": ("Change the request", "Vraag aanpassen", "Modifier la demande"),
    "field.what": ("Product", "Product", "Produit"),
    "field.what.hint": (
        "a product type, a CPV code or a description, e.g. office chairs or 39112000",
        "een producttype, een CPV-code of een omschrijving, bv. bureaustoelen of 39112000",
        "un type de produit, un code CPV ou une description, p. ex. chaises de bureau ou 39112000",
    ),
    "field.near": ("Place or postcode", "Plaats of postcode", "Lieu ou code postal"),
    "field.within_km": ("Radius (km)", "Straal (km)", "Rayon (km)"),
    "field.quantity": ("Quantity", "Hoeveelheid", "Quantité"),
    "field.unit": ("Unit", "Eenheid", "Unité"),
    "field.needed_by": ("Needed from", "Nodig vanaf", "Nécessaire à partir du"),
    "field.period_months": (
        "Period of use (months)",
        "Gebruiksperiode (maanden)",
        "Période d'utilisation (mois)",
    ),
    "field.business_models": ("Business models", "Bedrijfsmodellen", "Modèles d'affaires"),
    "field.business_models.hint": (
        "none ticked: every business model",
        "niets aangevinkt: elk bedrijfsmodel",
        "rien de coché : tous les modèles d'affaires",
    ),
    "field.strategies": (
        "Strategies the loop must include",
        "Strategieën die de kringloop moet bevatten",
        "Stratégies que la boucle doit inclure",
    ),
    "field.strategies.hint": (
        "the 10R ladder: a lower rank keeps more value",
        "de 10R-ladder: een lagere trede behoudt meer waarde",
        "l'échelle 10R : un rang plus bas garde plus de valeur",
    ),
    "field.certifications": (
        "Required certifications",
        "Vereiste certificeringen",
        "Certifications exigées",
    ),
    "field.advanced": ("Advanced", "Geavanceerd", "Avancé"),
    "field.partial": (
        "Offers for part of the quantity are welcome",
        "Aanbiedingen voor een deel van de hoeveelheid zijn welkom",
        "Les offres pour une partie de la quantité sont bienvenues",
    ),
    "field.include_open": (
        "Also show chains whose loop does not close",
        "Toon ook ketens waarvan de kringloop niet sluit",
        "Montrer aussi les chaînes dont la boucle ne se ferme pas",
    ),
    "field.network_surplus": (
        "Also consider other organisations' internal surplus",
        "Houd ook rekening met interne overschotten van andere organisaties",
        "Tenir compte aussi des surplus internes d'autres organisations",
    ),
    "field.requester": (
        "Requesting organisation (IRI)",
        "Aanvragende organisatie (IRI)",
        "Organisation demandeuse (IRI)",
    ),
    "field.requester.hint": (
        "its own internal stock comes first",
        "haar eigen interne voorraad komt eerst",
        "son propre stock interne passe en premier",
    ),
    "field.need": ("Need", "Behoefte", "Besoin"),
    "field.need.hint": (
        "Matched as the need says; what you fill in below takes its place.",
        "Gezocht zoals de behoefte het zegt; wat u hieronder invult, komt in de plaats.",
        "Cherché comme le besoin l'indique ; ce que vous remplissez ci-dessous le remplace.",
    ),
    "field.lat": ("Latitude", "Breedtegraad", "Latitude"),
    "field.long": ("Longitude", "Lengtegraad", "Longitude"),
    "field.where.hint": (
        "instead of a place: coordinates of the place of use",
        "in plaats van een plaats: coördinaten van de plaats van gebruik",
        "au lieu d'un lieu : les coordonnées du lieu d'utilisation",
    ),
    "field.max_r_rank": (
        "Highest acceptable rank on the ladder",
        "Hoogste aanvaardbare trede op de ladder",
        "Rang le plus haut acceptable sur l'échelle",
    ),
    "field.any": ("any", "om het even", "peu importe"),
    "field.rank_by": ("Order", "Volgorde", "Ordre"),
    "field.rank_by.tier": (
        "closed loops first, then promised, then open",
        "eerst gesloten kringlopen, dan beloofde, dan open",
        "d'abord les boucles fermées, puis promises, puis ouvertes",
    ),
    "field.rank_by.score": ("by score alone", "enkel op score", "par score seulement"),
    "field.tco_years": (
        "Cost horizon (years)",
        "Kostenhorizon (jaren)",
        "Horizon des coûts (années)",
    ),
    "field.top_k": ("How many chains", "Hoeveel ketens", "Combien de chaînes"),
    "field.weights": (
        "Weights of the score",
        "Gewichten van de score",
        "Poids du score",
    ),
    "field.weights.hint": (
        "0 leaves a component out; at least one must be above 0",
        "0 laat een onderdeel weg; minstens één moet boven 0 liggen",
        "0 écarte un critère ; au moins un doit dépasser 0",
    ),
    "field.rank_overrides": (
        "Ranks of the strategies",
        "Treden van de strategieën",
        "Rangs des stratégies",
    ),
    "field.rank_overrides.hint": (
        "empty: the rank of the code list",
        "leeg: de trede van de codelijst",
        "vide : le rang de la liste de codes",
    ),
    "field.submit": ("Search", "Zoeken", "Chercher"),
    "field.fix": (
        "The request cannot be made yet: see the marked fields.",
        "De vraag kan nog niet gesteld worden: zie de aangeduide velden.",
        "La demande ne peut pas encore être faite : voyez les champs signalés.",
    ),
    "unit.piece": ("pieces", "stuks", "pièces"),
    "unit.kg": ("kilograms", "kilogram", "kilogrammes"),
    # field errors
    "error.number": (
        "give a number, e.g. 40 or 12,5",
        "geef een getal, bv. 40 of 12,5",
        "donnez un nombre, p. ex. 40 ou 12,5",
    ),
    "error.integer": (
        "give a whole number",
        "geef een geheel getal",
        "donnez un nombre entier",
    ),
    "error.date": (
        "give a date as YYYY-MM-DD",
        "geef een datum als JJJJ-MM-DD",
        "donnez une date au format AAAA-MM-JJ",
    ),
    "error.boolean": ("give 1 or 0", "geef 1 of 0", "donnez 1 ou 0"),
    "error.greater": (
        "must be more than {gt}",
        "moet groter zijn dan {gt}",
        "doit être supérieur à {gt}",
    ),
    "error.min": (
        "must be at least {ge}",
        "moet minstens {ge} zijn",
        "doit valoir au moins {ge}",
    ),
    "error.less": (
        "must be less than {lt}",
        "moet kleiner zijn dan {lt}",
        "doit être inférieur à {lt}",
    ),
    "error.max": (
        "may be at most {le}",
        "mag hoogstens {le} zijn",
        "peut valoir au plus {le}",
    ),
    "error.too-long": (
        "may have at most {max_length} characters",
        "mag hoogstens {max_length} tekens hebben",
        "peut compter au plus {max_length} caractères",
    ),
    "error.too-many": (
        "at most {max_length} may be chosen",
        "er mogen hoogstens {max_length} gekozen worden",
        "on peut en choisir au plus {max_length}",
    ),
    "error.required": ("say what you need", "zeg wat u nodig hebt", "dites ce qu'il vous faut"),
    "error.where": (
        "say where: a place or postcode (or coordinates, or a requesting organisation)",
        "zeg waar: een plaats of postcode (of coördinaten, of een aanvragende organisatie)",
        "dites où : un lieu ou un code postal (ou des coordonnées, ou une organisation demandeuse)",
    ),
    "error.latlong": (
        "give both latitude and longitude, or neither",
        "geef breedte- én lengtegraad, of geen van beide",
        "donnez la latitude et la longitude, ou aucune des deux",
    ),
    "error.weights": (
        "at least one weight must be above 0, or every score is 0",
        "minstens één gewicht moet boven 0 liggen, anders is elke score 0",
        "au moins un poids doit dépasser 0, sinon chaque score vaut 0",
    ),
    "error.iri": (
        "give the organisation's IRI, starting with https://",
        "geef de IRI van de organisatie, beginnend met https://",
        "donnez l'IRI de l'organisation, commençant par https://",
    ),
    "error.choice": (
        "choose one of the options",
        "kies een van de opties",
        "choisissez une option",
    ),
    "error.invalid": (
        "this value is not valid",
        "deze waarde is ongeldig",
        "cette valeur n'est pas valable",
    ),
    "error.unknown": (
        "this page takes no parameter {name}: leave it out",
        "deze pagina kent geen parameter {name}: laat hem weg",
        "cette page ne connaît pas le paramètre {name} : retirez-le",
    ),
    # names that do not resolve
    "resolve.noun.what": ("product", "product", "produit"),
    "resolve.noun.near": ("place", "plaats", "lieu"),
    "resolve.noun.business_models": ("business model", "bedrijfsmodel", "modèle d'affaires"),
    "resolve.noun.strategies": ("strategy", "strategie", "stratégie"),
    "resolve.noun.certifications": ("certification", "certificering", "certification"),
    "resolve.noun.rank_overrides": ("strategy", "strategie", "stratégie"),
    "resolve.noun.requester": ("organisation", "organisatie", "organisation"),
    "resolve.noun.category": ("category", "categorie", "catégorie"),
    "resolve.noun.region": ("region", "regio", "région"),
    "resolve.noun.role": ("role", "rol", "rôle"),
    "resolve.noun.need": ("need", "behoefte", "besoin"),
    "resolve.noun.other": ("value", "waarde", "valeur"),
    "resolve.unknown": (
        "kringloop does not know “{value}” as a {noun}.",
        "kringloop kent “{value}” niet als {noun}.",
        "kringloop ne connaît pas « {value} » comme {noun}.",
    ),
    "resolve.ambiguous": (
        "“{value}” names more than one {noun}: choose one.",
        "“{value}” noemt meer dan één {noun}: kies er een.",
        "« {value} » désigne plus d'un {noun} : choisissez-en un.",
    ),
    "resolve.missing": (
        "kringloop cannot find the {noun} asked for.",
        "kringloop vindt de gevraagde {noun} niet.",
        "kringloop ne trouve pas la valeur demandée ({noun}).",
    ),
    "resolve.suggest": ("Did you mean:", "Bedoelde u:", "Vouliez-vous dire :"),
    "resolve.spelling": (
        "Check the spelling, or choose from the list while typing.",
        "Controleer de spelling, of kies uit de lijst tijdens het typen.",
        "Vérifiez l'orthographe, ou choisissez dans la liste en tapant.",
    ),
    # the result
    "result.title": (
        "Chains for {product} near {place}",
        "Ketens voor {product} bij {place}",
        "Chaînes pour {product} près de {place}",
    ),
    "result.summary.one": (
        "1 chain within {km} km: {closed} closed, {promised} promised, {open} open.",
        "1 keten binnen {km} km: {closed} gesloten, {promised} beloofd, {open} open.",
        "1 chaîne dans un rayon de {km} km : {closed} fermée, {promised} promise, {open} ouverte.",
    ),
    "result.summary.other": (
        "{n} chains within {km} km: {closed} closed, {promised} promised, {open} open.",
        "{n} ketens binnen {km} km: {closed} gesloten, {promised} beloofd, {open} open.",
        "{n} chaînes dans un rayon de {km} km : {closed} fermées, {promised} promises, {open} "
        "ouvertes.",
    ),
    "result.considered.one": (
        "1 offer of this product was judged.",
        "1 aanbieding van dit product werd beoordeeld.",
        "1 offre de ce produit a été jugée.",
    ),
    "result.considered.other": (
        "{n} offers of this product were judged.",
        "{n} aanbiedingen van dit product werden beoordeeld.",
        "{n} offres de ce produit ont été jugées.",
    ),
    "result.url": (
        "The address of this page is the request: bookmark it, share it or attach it to the "
        "tender file.",
        "Het adres van deze pagina is de vraag: bewaar het als bladwijzer, deel het of voeg het "
        "bij het aanbestedingsdossier.",
        "L'adresse de cette page est la demande : ajoutez-la aux favoris, partagez-la ou "
        "joignez-la au dossier d'appel d'offres.",
    ),
    "result.graph": (
        "See the chains as a graph",
        "Bekijk de ketens als graaf",
        "Voir les chaînes en graphe",
    ),
    "result.reuse": (
        "Internal reuse first",
        "Eerst intern hergebruik",
        "D'abord le réemploi interne",
    ),
    "result.reuse.text": (
        "Do you need to buy at all? Internal stock and the network's surplus come first.",
        "Moet u wel aankopen? Interne voorraad en overschotten in het netwerk gaan voor.",
        "Faut-il vraiment acheter ? Le stock interne et les surplus du réseau passent d'abord.",
    ),
    "result.chains": ("Chains", "Ketens", "Chaînes"),
    "result.none": ("No chain found.", "Geen keten gevonden.", "Aucune chaîne trouvée."),
    "result.funnel": (
        "Which filter removed how many offers:",
        "Welke filter hoeveel aanbiedingen wegnam:",
        "Quel filtre a écarté combien d'offres :",
    ),
    "result.ways-out": ("Ways out", "Uitwegen", "Pistes"),
    "way.within_km": (
        "Search again within {km} km",
        "Zoek opnieuw binnen {km} km",
        "Chercher à nouveau dans un rayon de {km} km",
    ),
    "way.business_models": (
        "Search again with every business model",
        "Zoek opnieuw met elk bedrijfsmodel",
        "Chercher à nouveau avec tous les modèles d'affaires",
    ),
    "way.certifications": (
        "Search again without required certifications",
        "Zoek opnieuw zonder vereiste certificeringen",
        "Chercher à nouveau sans certification exigée",
    ),
    "way.strategies": (
        "Search again without required strategies",
        "Zoek opnieuw zonder vereiste strategieën",
        "Chercher à nouveau sans stratégie exigée",
    ),
    "way.max_r_rank": (
        "Search again without a highest rank",
        "Zoek opnieuw zonder hoogste trede",
        "Chercher à nouveau sans rang maximal",
    ),
    "way.partial": (
        "Search again, partial quantities allowed",
        "Zoek opnieuw, gedeeltelijke hoeveelheden toegestaan",
        "Chercher à nouveau, quantités partielles admises",
    ),
    "way.needed_by": (
        "Search again without a start date",
        "Zoek opnieuw zonder begindatum",
        "Chercher à nouveau sans date de début",
    ),
    "way.quantity": (
        "Search again without a quantity",
        "Zoek opnieuw zonder hoeveelheid",
        "Chercher à nouveau sans quantité",
    ),
    "way.include_open": (
        "Search again, open loops shown too",
        "Zoek opnieuw, ook open kringlopen",
        "Chercher à nouveau, boucles ouvertes comprises",
    ),
    "result.best-change": (
        "None of these loops closes yet, but {change}.",
        "Geen van deze kringlopen sluit al, maar {change}.",
        "Aucune de ces boucles ne se ferme encore, mais {change}.",
    ),
    # a chain
    "chain.heading": ("{rank}. {supplier}", "{rank}. {supplier}", "{rank}. {supplier}"),
    "chain.offer": ("Offer", "Aanbod", "Offre"),
    "chain.distance": ("Distance", "Afstand", "Distance"),
    "chain.business_model": ("Business model", "Bedrijfsmodel", "Modèle d'affaires"),
    "chain.strategy": (
        "Strategy of the way back",
        "Strategie van de weg terug",
        "Stratégie du retour",
    ),
    "chain.strategy.rank": (
        "{strategy}, rank {rank} on the 10R ladder",
        "{strategy}, trede {rank} op de 10R-ladder",
        "{strategy}, rang {rank} sur l'échelle 10R",
    ),
    "chain.strategy.none": (
        "none: the loop does not close",
        "geen: de kringloop sluit niet",
        "aucune : la boucle ne se ferme pas",
    ),
    "chain.price": ("Price", "Prijs", "Prix"),
    "chain.price.unit": ("{price} per piece", "{price} per stuk", "{price} par pièce"),
    "chain.price.month": ("{price} a month", "{price} per maand", "{price} par mois"),
    "chain.price.term": (
        "for {months} months",
        "gedurende {months} maanden",
        "pendant {months} mois",
    ),
    "chain.price.unknown": ("not known", "niet gekend", "inconnu"),
    "chain.tco": (
        "Cost per piece over {years} years",
        "Kost per stuk over {years} jaar",
        "Coût par pièce sur {years} ans",
    ),
    "chain.partners": ("Partners", "Partners", "Partenaires"),
    "chain.partners.count.one": (
        "1 organisation",
        "1 organisatie",
        "1 organisation",
    ),
    "chain.partners.count.other": (
        "{n} organisations, supplier and buyer included",
        "{n} organisaties, leverancier en koper inbegrepen",
        "{n} organisations, fournisseur et acheteur compris",
    ),
    "chain.partial": ("Quantity", "Hoeveelheid", "Quantité"),
    "chain.partial.text": (
        "covers part of the quantity",
        "dekt een deel van de hoeveelheid",
        "couvre une partie de la quantité",
    ),
    "chain.shortfall": (
        "the processor lacks capacity for {n} a year",
        "de verwerker heeft {n} per jaar te weinig capaciteit",
        "il manque au transformateur une capacité de {n} par an",
    ),
    "chain.way": ("The chain step by step", "De keten stap voor stap", "La chaîne pas à pas"),
    "chain.ring": ("The loop as a ring", "De kringloop als ring", "La boucle en anneau"),
    "chain.ring.label": (
        "The loop of chain {rank} as a ring: {steps}",
        "De kringloop van keten {rank} als ring: {steps}",
        "La boucle de la chaîne {rank} en anneau : {steps}",
    ),
    "chain.score": ("Score {score}", "Score {score}", "Score {score}"),
    "chain.score.caption": (
        "How the score is made: each component's raw value, its weight and what it adds",
        "Hoe de score tot stand komt: de ruwe waarde van elk onderdeel, zijn gewicht en wat "
        "het bijdraagt",
        "Comment le score se compose : la valeur brute de chaque critère, son poids et ce "
        "qu'il apporte",
    ),
    "chain.component": ("component", "onderdeel", "critère"),
    "chain.raw": ("raw value", "ruwe waarde", "valeur brute"),
    "chain.weight": ("weight", "gewicht", "poids"),
    "chain.contribution": ("contribution", "bijdrage", "contribution"),
    "chain.diversity": (
        "{factor} \u00d7 for diversity: an earlier chain has the same supplier",
        "{factor} \u00d7 voor diversiteit: een eerdere keten heeft dezelfde leverancier",
        "{factor} \u00d7 pour la diversité : une chaîne précédente a le même fournisseur",
    ),
    "chain.missing": ("Missing role", "Ontbrekende rol", "Rôle manquant"),
    "chain.why": ("Why", "Waarom", "Pourquoi"),
    "chain.closers": (
        "Who would close the loop",
        "Wie de kringloop zou sluiten",
        "Qui fermerait la boucle",
    ),
    "chain.closer.radius": ("serves within", "bedient binnen", "dessert dans un rayon de"),
    "chain.closer.organisation": ("organisation", "organisatie", "organisation"),
    "chain.closer.role": ("role", "rol", "rôle"),
    "chain.closer.distance": ("distance", "afstand", "distance"),
    "chain.notes": ("Notes", "Opmerkingen", "Remarques"),
    "chain.evidence": (
        "What this chain rests on",
        "Waarop deze keten steunt",
        "Sur quoi repose cette chaîne",
    ),
    "chain.graph": ("as a graph", "als graaf", "en graphe"),
    "step.supplier": (
        "delivers through the offer {offer}",
        "levert via het aanbod {offer}",
        "livre par l'offre {offer}",
    ),
    "step.supplier.described": (
        "delivers: {offer}",
        "levert: {offer}",
        "livre\u202f: {offer}",
    ),
    "step.buyer": ("uses the product", "gebruikt het product", "utilise le produit"),
    "step.process": ("{process} through {offer}", "{process} via {offer}", "{process} par {offer}"),
    "step.flow": (
        "receives {what} back from {source}",
        "krijgt {what} terug van {source}",
        "reçoit {what} en retour de {source}",
    ),
    "step.sources": (
        "buys from the producer again: the loop is round",
        "koopt opnieuw bij de producent: de kringloop is rond",
        "rachète au producteur : la boucle est bouclée",
    ),
    "step.back": (
        "gets it back: the loop is round",
        "krijgt het terug: de kringloop is rond",
        "le récupère : la boucle est bouclée",
    ),
    "chain.score.name": ("Score", "Score", "Score"),
    "step.km": ("{km} km from you", "{km} km van u", "à {km} km de vous"),
    "km": ("{km} km", "{km} km", "{km} km"),
    "yes": ("yes", "ja", "oui"),
    "no": ("no", "nee", "non"),
    # saving
    "save.title": ("Save this match", "Deze match bewaren", "Enregistrer cette correspondance"),
    "save.text": (
        "A saved match is kept as a record with its provenance, at an address of its own. "
        "Saving needs the service's write token: it is sent only to this server, in the "
        "Authorization header, never in an address.",
        "Een bewaarde match wordt bijgehouden als record met zijn herkomst, op een eigen "
        "adres. Bewaren vraagt de schrijfsleutel van de dienst: die gaat enkel naar deze "
        "server, in de Authorization-header, nooit in een adres.",
        "Une correspondance enregistrée est gardée comme fiche avec sa provenance, à une "
        "adresse propre. L'enregistrement demande la clé d'écriture du service : elle n'est "
        "envoyée qu'à ce serveur, dans l'en-tête Authorization, jamais dans une adresse.",
    ),
    "save.token": ("Write token", "Schrijfsleutel", "Clé d'écriture"),
    "save.button": ("Save", "Bewaren", "Enregistrer"),
    "save.busy": ("Saving…", "Bezig met bewaren…", "Enregistrement…"),
    "save.denied": (
        "The token is missing or wrong: nothing was saved.",
        "De sleutel ontbreekt of klopt niet: er werd niets bewaard.",
        "La clé manque ou est fausse : rien n'a été enregistré.",
    ),
    "save.failed": (
        "Saving failed: the server answered {status}.",
        "Bewaren mislukte: de server antwoordde {status}.",
        "L'enregistrement a échoué : le serveur a répondu {status}.",
    ),
    "save.script": (
        "Saving needs JavaScript; without it, POST the request to /match with save: true.",
        "Bewaren vraagt JavaScript; zonder kunt u de vraag met save: true naar /match posten.",
        "L'enregistrement demande JavaScript ; sans lui, envoyez la demande à /match avec "
        "save: true.",
    ),
    "save.readonly": (
        "This service is read-only: matches cannot be saved here.",
        "Deze dienst is alleen-lezen: matches kunnen hier niet bewaard worden.",
        "Ce service est en lecture seule : les correspondances ne peuvent pas être "
        "enregistrées ici.",
    ),
    # a stored match
    "stored.title": ("Saved match {id}", "Bewaarde match {id}", "Correspondance enregistrée {id}"),
    "stored.provenance": ("Provenance", "Herkomst", "Provenance"),
    "stored.generated": ("Made on", "Gemaakt op", "Faite le"),
    "stored.by": ("Made by", "Gemaakt door", "Faite par"),
    "stored.record": ("Record", "Record", "Fiche"),
    "stored.need": ("Request", "Vraag", "Demande"),
    "stored.product": ("Product", "Product", "Produit"),
    "stored.quantity": ("Quantity", "Hoeveelheid", "Quantité"),
    "stored.place": ("Place of use", "Plaats van gebruik", "Lieu d'utilisation"),
    "stored.within": ("Radius", "Straal", "Rayon"),
    "stored.needed_by": ("Needed from", "Nodig vanaf", "Nécessaire à partir du"),
    "stored.json": (
        "As JSON: the same address with Accept: application/json.",
        "Als JSON: hetzelfde adres met Accept: application/json.",
        "En JSON : la même adresse avec Accept: application/json.",
    ),
    "stored.reuse": (
        "internal reuse {rank}",
        "intern hergebruik {rank}",
        "réemploi interne {rank}",
    ),
    "stored.chain": ("chain {rank}", "keten {rank}", "chaîne {rank}"),
    # loops and gaps
    "loops.title": (
        "Loops per category and region",
        "Kringlopen per categorie en regio",
        "Boucles par catégorie et par région",
    ),
    "loops.lead": (
        "For every offer on the market today, judged at its own site within {km} km: does its "
        "loop close, is take-back only promised, or is it open?",
        "Voor elk aanbod dat vandaag op de markt is, beoordeeld op zijn eigen vestiging binnen "
        "{km} km: sluit de kringloop, is terugname enkel beloofd, of is hij open?",
        "Pour chaque offre sur le marché aujourd'hui, jugée à son propre site dans un rayon de "
        "{km} km : sa boucle se ferme-t-elle, la reprise n'est-elle que promise, ou est-elle "
        "ouverte ?",
    ),
    "loops.filters": ("Filters", "Filters", "Filtres"),
    "loops.category": ("Category", "Categorie", "Catégorie"),
    "loops.category.hint": (
        "a product type or a CPV code: a code counts every product type under it",
        "een producttype of een CPV-code: een code telt elk producttype eronder",
        "un type de produit ou un code CPV : un code compte chaque type de produit en dessous",
    ),
    "loops.region": ("Region", "Regio", "Région"),
    "loops.all": ("all", "alle", "toutes"),
    "loops.show": ("Show", "Toon", "Afficher"),
    "loops.totals": (
        "{closed} closed, {promised} promised, {open} open",
        "{closed} gesloten, {promised} beloofd, {open} open",
        "{closed} fermée(s), {promised} promise(s), {open} ouverte(s)",
    ),
    "loops.chart": (
        "Loops per category: closed, promised and open",
        "Kringlopen per categorie: gesloten, beloofd en open",
        "Boucles par catégorie : fermées, promises et ouvertes",
    ),
    "loops.table": (
        "Per category and region",
        "Per categorie en regio",
        "Par catégorie et par région",
    ),
    "loops.partners": ("partners", "partners", "partenaires"),
    "loops.csv": ("Download as CSV", "Download als CSV", "Télécharger en CSV"),
    "loops.graph": ("See as a graph", "Bekijk als graaf", "Voir en graphe"),
    "loops.gaps-link": ("See the gaps", "Bekijk de hiaten", "Voir les lacunes"),
    "loops.none": (
        "No offer on the market in this category and region.",
        "Geen aanbod op de markt in deze categorie en regio.",
        "Aucune offre sur le marché dans cette catégorie et cette région.",
    ),
    "loops.demand": ("Demand", "Vraag", "Demande"),
    "loops.demand.text": (
        "What buyers asked for (their needs, tender lots imported from eForms notices among "
        "them) and whether a closed loop within their distance serves it: the demand no loop "
        "can serve comes first.",
        "Wat kopers vroegen (hun behoeften, waaronder percelen uit ingelezen "
        "eForms-aankondigingen) en of een gesloten kringloop binnen hun afstand die bedient: de "
        "vraag die geen kringloop kan bedienen staat eerst.",
        "Ce que les acheteurs ont demandé (leurs besoins, dont les lots d'avis eForms importés) "
        "et si une boucle fermée à leur distance y répond : la demande qu'aucune boucle ne peut "
        "servir vient en premier.",
    ),
    "loops.demand.more": ("and {n} more", "en nog {n}", "et {n} autres"),
    "loops.demand.totals": (
        "{needs} need(s), of which {unserved} without a closed loop.",
        "{needs} behoefte(n), waarvan {unserved} zonder gesloten kringloop.",
        "{needs} besoin(s), dont {unserved} sans boucle fermée.",
    ),
    "loops.demand.table": (
        "Needs per category and region",
        "Behoeften per categorie en regio",
        "Besoins par catégorie et région",
    ),
    "loops.demand.needs": ("needs", "behoeften", "besoins"),
    "loops.demand.lots": ("tender lots", "percelen", "lots"),
    "loops.demand.circular": (
        "lots for the circular economy",
        "percelen voor de circulaire economie",
        "lots pour l'économie circulaire",
    ),
    "loops.demand.served": ("served", "bediend", "servis"),
    "loops.demand.unserved": ("no loop", "geen kringloop", "aucune boucle"),
    "loops.demand.unlocated": ("place unknown", "plaats onbekend", "lieu inconnu"),
    "loops.demand.buyers": ("buyers", "kopers", "acheteurs"),
    "loops.demand.csv": (
        "Download the demand as CSV",
        "Download de vraag als CSV",
        "Télécharger la demande en CSV",
    ),
    "loops.bottlenecks": ("Bottlenecks", "Knelpunten", "Goulets d'étranglement"),
    "loops.bottlenecks.text": (
        "Partners many loops depend on, and those that alone close the loops of a category in "
        "a region.",
        "Partners waarvan veel kringlopen afhangen, en zij die als enige de kringlopen van een "
        "categorie in een regio sluiten.",
        "Les partenaires dont dépendent beaucoup de boucles, et ceux qui seuls ferment les "
        "boucles d'une catégorie dans une région.",
    ),
    "loops.loops": ("loops", "kringlopen", "boucles"),
    "loops.sole": ("only closer for", "enige sluiter voor", "seul à fermer"),
    "loops.articulation": (
        "removing it splits the network",
        "zonder haar valt het netwerk uiteen",
        "sans elle le réseau se scinde",
    ),
    "loops.in": ("{category} in {region}", "{category} in {region}", "{category} en {region}"),
    "gaps.title": (
        "Gaps: loops that do not close",
        "Hiaten: kringlopen die niet sluiten",
        "Lacunes : les boucles qui ne se ferment pas",
    ),
    "gaps.lead": (
        "Each offer whose loop does not close, with its supplier, the missing role and the "
        "nearest organisations that would close it; needs without a closed loop; processors "
        "whose flows lead nowhere.",
        "Elk aanbod waarvan de kringloop niet sluit, met zijn leverancier, de ontbrekende rol "
        "en de dichtstbijzijnde organisaties die hem zouden sluiten; behoeften zonder gesloten "
        "kringloop; verwerkers van wie de stromen nergens heen leiden.",
        "Chaque offre dont la boucle ne se ferme pas, avec son fournisseur, le rôle manquant et "
        "les organisations les plus proches qui la fermeraient ; les besoins sans boucle "
        "fermée ; les transformateurs dont les flux ne mènent nulle part.",
    ),
    "gaps.count.one": ("1 gap", "1 hiaat", "1 lacune"),
    "gaps.count.other": ("{n} gaps", "{n} hiaten", "{n} lacunes"),
    "gaps.none": ("No gap here.", "Geen hiaat hier.", "Aucune lacune ici."),
    "gaps.shown": (
        "Gaps {first} to {last} of {n}; the CSV holds them all.",
        "Hiaten {first} tot {last} van {n}; de CSV bevat ze allemaal.",
        "Lacunes {first} à {last} sur {n} ; le CSV les contient toutes.",
    ),
    "gaps.earlier": ("Previous gaps", "Vorige hiaten", "Lacunes précédentes"),
    "gaps.later": ("Next gaps", "Volgende hiaten", "Lacunes suivantes"),
    "gaps.kind.supply": ("offer", "aanbod", "offre"),
    "gaps.kind.need": ("need", "behoefte", "besoin"),
    "gaps.kind.processor": ("processor", "verwerker", "transformateur"),
    "gaps.what": ("What", "Wat", "Quoi"),
    "gaps.supplier": ("Supplier", "Leverancier", "Fournisseur"),
    "gaps.status": ("Status", "Status", "Statut"),
    "gaps.missing": ("Missing role", "Ontbrekende rol", "Rôle manquant"),
    "gaps.why": ("Why", "Waarom", "Pourquoi"),
    "gaps.candidates": (
        "Nearest who would close it",
        "Dichtstbijzijnde die hem zouden sluiten",
        "Les plus proches qui la fermeraient",
    ),
    "gaps.change": ("Change", "Wijziging", "Modification"),
    "gaps.category": ("{category}, {region}", "{category}, {region}", "{category}, {region}"),
    "gaps.radius": ("serves within {km} km", "bedient binnen {km} km", "dessert dans {km} km"),
    "gaps.find": (
        "Find chains for this product here",
        "Zoek ketens voor dit product hier",
        "Chercher des chaînes pour ce produit ici",
    ),
    # organisations
    "orgs.title": ("Organisations", "Organisaties", "Organisations"),
    "orgs.lead": (
        "Who plays which role for which product type, and where. One organisation can play "
        "several roles.",
        "Wie welke rol speelt voor welk producttype, en waar. Eén organisatie kan meerdere "
        "rollen spelen.",
        "Qui joue quel rôle pour quel type de produit, et où. Une organisation peut jouer "
        "plusieurs rôles.",
    ),
    "orgs.role": ("Role", "Rol", "Rôle"),
    "orgs.name": ("Name", "Naam", "Nom"),
    "orgs.roles": ("Roles", "Rollen", "Rôles"),
    "orgs.products": ("Product types", "Producttypes", "Types de produit"),
    "orgs.places": ("Place", "Plaats", "Lieu"),
    "orgs.graph": ("Neighbourhood", "Buurt", "Voisinage"),
    "orgs.graph.link": ("graph", "graaf", "graphe"),
    "orgs.count.one": ("1 organisation", "1 organisatie", "1 organisation"),
    "orgs.count.other": ("{n} organisations", "{n} organisaties", "{n} organisations"),
    # error pages
    "error.title.400": (
        "This request cannot be answered",
        "Deze vraag kan niet beantwoord worden",
        "Cette demande ne peut pas recevoir de réponse",
    ),
    "error.title.401": (
        "A write token is needed",
        "Een schrijfsleutel is nodig",
        "Une clé d'écriture est nécessaire",
    ),
    "error.title.403": ("Not allowed", "Niet toegestaan", "Non autorisé"),
    "error.title.404": ("Not found", "Niet gevonden", "Introuvable"),
    "error.title.405": ("Not possible here", "Hier niet mogelijk", "Impossible ici"),
    "error.title.406": ("Not in this format", "Niet in dit formaat", "Pas dans ce format"),
    "error.title.413": ("Too large", "Te groot", "Trop volumineux"),
    "error.title.415": ("Not in this format", "Niet in dit formaat", "Pas dans ce format"),
    "error.title.422": ("Not understood", "Niet begrepen", "Pas compris"),
    "error.title.503": ("Busy, try again", "Even bezet, probeer opnieuw", "Occupé, réessayez"),
    "error.title.504": ("This took too long", "Dit duurde te lang", "Cela a pris trop de temps"),
    "error.title.500": ("Something went wrong", "Er ging iets mis", "Une erreur s'est produite"),
    "error.text.400": (
        "The request is not complete or not well formed.",
        "De vraag is niet volledig of niet goed gevormd.",
        "La demande est incomplète ou mal formée.",
    ),
    "error.text.401": (
        "Changing data needs the service's write token, sent as a bearer token.",
        "Gegevens wijzigen vraagt de schrijfsleutel van de dienst, als bearer-token.",
        "Modifier des données demande la clé d'écriture du service, envoyée comme jeton bearer.",
    ),
    "error.text.403": (
        "The token is wrong, or this service is read-only.",
        "De sleutel klopt niet, of deze dienst is alleen-lezen.",
        "La clé est fausse, ou ce service est en lecture seule.",
    ),
    "error.text.404": (
        "There is nothing at this address.",
        "Op dit adres staat niets.",
        "Il n'y a rien à cette adresse.",
    ),
    "error.text.405": (
        "This address does not answer this kind of request; the pages are reached by a link.",
        "Dit adres beantwoordt dit soort vraag niet; de pagina's bereikt u via een link.",
        "Cette adresse ne répond pas à ce type de demande ; les pages s'atteignent par un lien.",
    ),
    "error.text.406": (
        "The answer cannot be given in the format asked for.",
        "Het antwoord kan niet gegeven worden in het gevraagde formaat.",
        "La réponse ne peut pas être donnée dans le format demandé.",
    ),
    "error.text.413": (
        "What was sent is larger than the service accepts.",
        "Wat verstuurd werd, is groter dan de dienst aanvaardt.",
        "Ce qui a été envoyé dépasse ce que le service accepte.",
    ),
    "error.text.415": (
        "What was sent is in a format this address does not read.",
        "Wat verstuurd werd, is in een formaat dat dit adres niet leest.",
        "Ce qui a été envoyé est dans un format que cette adresse ne lit pas.",
    ),
    "error.text.422": (
        "A value of the request is not understood.",
        "Een waarde van de vraag werd niet begrepen.",
        "Une valeur de la demande n'est pas comprise.",
    ),
    "error.text.503": (
        "The service is answering many requests at once. Try again in a few seconds.",
        "De dienst beantwoordt veel vragen tegelijk. Probeer het over enkele seconden opnieuw.",
        "Le service répond à beaucoup de demandes à la fois. Réessayez dans quelques secondes.",
    ),
    "error.text.504": (
        "The question was stopped at the time limit. Narrow it down: a smaller radius, or a "
        "more specific product.",
        "De vraag werd gestopt bij de tijdslimiet. Maak ze kleiner: een kleinere straal, of "
        "een specifieker product.",
        "La demande a été arrêtée à la limite de temps. Resserrez-la : un rayon plus petit, ou "
        "un produit plus précis.",
    ),
    "error.text.500": (
        "This is a fault in kringloop, not in your request.",
        "Dit is een fout in kringloop, niet in uw vraag.",
        "C'est une erreur de kringloop, pas de votre demande.",
    ),
    "error.details": ("Technical details", "Technische details", "Détails techniques"),
    "error.home": ("To the start page", "Naar de startpagina", "Vers la page d'accueil"),
    "error.form": ("To the search form", "Naar het zoekformulier", "Vers le formulaire"),
    "error.viz": (
        "A graph page needs a request: make one with the search form.",
        "Een graafpagina heeft een vraag nodig: stel er een met het zoekformulier.",
        "Une page de graphe a besoin d'une demande : faites-en une avec le formulaire.",
    ),
    "notfound.iri": (
        "The knowledge graph says nothing about",
        "De kennisgraaf zegt niets over",
        "Le graphe de connaissances ne dit rien de",
    ),
    # linked-data and vocabulary pages
    "ld.as-data": ("As data:", "Als data:", "En données :"),
    "ld.incoming": (
        "Links to this resource",
        "Verwijzingen naar deze bron",
        "Liens vers cette ressource",
    ),
    "ld.incoming.more": (
        "Only the first {n} links are shown.",
        "Enkel de eerste {n} verwijzingen worden getoond.",
        "Seuls les {n} premiers liens sont montrés.",
    ),
    "ld.blank": ("(blank node)", "(lege knoop)", "(nœud anonyme)"),
    "ld.graph": (
        "See its neighbourhood as a graph",
        "Bekijk de buurt als graaf",
        "Voir son voisinage en graphe",
    ),
    "ld.match.need": (
        "Match this need",
        "Match deze behoefte",
        "Chercher une chaîne pour ce besoin",
    ),
    "ld.match.lot": (
        "Match this tender lot",
        "Match dit perceel",
        "Chercher une chaîne pour ce lot",
    ),
    "onto.title": ("kringloop ontology", "kringloop-ontologie", "ontologie kringloop"),
    "onto.version": ("version {v}", "versie {v}", "version {v}"),
    "onto.count": (
        "{classes} classes and {properties} properties.",
        "{classes} klassen en {properties} eigenschappen.",
        "{classes} classes et {properties} propriétés.",
    ),
    "onto.meta.version-iri": ("version IRI", "versie-IRI", "IRI de version"),
    "onto.meta.creator": ("creator", "maker", "auteur"),
    "onto.meta.licence": ("licence", "licentie", "licence"),
    "onto.meta.created": ("created", "aangemaakt", "créée le"),
    "onto.meta.modified": ("modified", "gewijzigd", "modifiée le"),
    "onto.classes": ("Classes", "Klassen", "Classes"),
    "onto.properties": ("Properties", "Eigenschappen", "Propriétés"),
    "onto.kind": ("kind", "soort", "type"),
    "onto.kind.object property": ("object property", "objecteigenschap", "propriété d'objet"),
    "onto.kind.datatype property": (
        "datatype property",
        "datatype-eigenschap",
        "propriété de type de données",
    ),
    "onto.kind.annotation property": (
        "annotation property",
        "annotatie-eigenschap",
        "propriété d'annotation",
    ),
    "onto.subclass": ("subclass of", "subklasse van", "sous-classe de"),
    "onto.superclass": ("superclass of", "superklasse van", "super-classe de"),
    "onto.subproperty": ("subproperty of", "subeigenschap van", "sous-propriété de"),
    "onto.superproperty": ("superproperty of", "supereigenschap van", "super-propriété de"),
    "onto.domain": ("domain", "domein", "domaine"),
    "onto.range": ("range", "bereik", "portée"),
    "queries.title": ("Named queries", "Kant-en-klare vragen", "Requêtes prêtes"),
    "queries.lead": (
        "Ready-made questions over the knowledge graph, one SPARQL file each. Run one with GET "
        "and its parameters in the address, or POST a JSON object; values are bound as RDF "
        "terms. They also open as tabs in the SPARQL editor, and each is an operation of the "
        "API.",
        "Kant-en-klare vragen over de kennisgraaf, één SPARQL-bestand per vraag. Voer er een "
        "uit met GET en de parameters in het adres, of POST een JSON-object; waarden worden "
        "als RDF-termen gebonden. Ze openen ook als tabblad in de SPARQL-editor, en elk is een "
        "bewerking van de API.",
        "Des questions prêtes sur le graphe de connaissances, un fichier SPARQL chacune. "
        "Lancez-en une en GET avec ses paramètres dans l'adresse, ou envoyez un objet JSON en "
        "POST ; les valeurs sont liées comme termes RDF. Elles s'ouvrent aussi en onglets dans "
        "l'éditeur SPARQL, et chacune est une opération de l'API.",
    ),
    "queries.parameter": ("parameter", "parameter", "paramètre"),
    "queries.type": ("type", "type", "type"),
    "queries.example": ("example", "voorbeeld", "exemple"),
    "queries.default": ("default", "standaard", "par défaut"),
    "queries.meaning": ("meaning", "betekenis", "signification"),
    "queries.required": ("(required)", "(verplicht)", "(obligatoire)"),
    "queries.run": (
        "Run with the examples:",
        "Uitvoeren met de voorbeelden:",
        "Lancer avec les exemples :",
    ),
}


class Words:
    """The pages' words in one language: ``t("key", name=value)`` in a template."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT
        self.column = column(self.language)

    def __call__(self, key: str, **params: object) -> str:
        forms = TEXT.get(key)
        if forms is None:
            return verdict_words.word(key, self.language, **params)
        text = forms[self.column]
        return text.format(**params) if params else text

    @property
    def colon(self) -> str:
        """A colon as the language writes it (French puts a space before it)."""
        return "\u202f:" if self.language == "fr" else ":"

    def c(self, key: str, **params: object) -> str:
        """``key``'s text followed by a colon."""
        return self(key, **params) + self.colon

    def n(self, key: str, count: int, **params: object) -> str:
        """The form of ``key`` for ``count`` things (``key.one`` or ``key.other``)."""
        return self(f"{key}.{'one' if count == 1 else 'other'}", n=count, **params)

    def num(self, value: float | int | None, digits: int = 1) -> str:
        """A number as the page's language writes it."""
        return "" if value is None else verdict_words.number(value, self.language, digits)

    def km(self, value: float | None) -> str:
        return "" if value is None else self("km", km=self.num(value))

    def money(self, value: float | None) -> str:
        """An amount in euro: "€ 4,40" in Dutch, "4,40 €" in French, "€4.40" in English.

        >>> Words("nl").money(1234.5), Words("fr").money(4.4), Words("en").money(264)
        ('€ 1.234,50', '4,40\xa0€', '€264.00')
        """
        if value is None:
            return ""
        whole, _, cents = f"{value:,.2f}".partition(".")
        if self.language == "nl":
            return f"€ {whole.replace(',', '.')},{cents}"
        if self.language == "fr":
            return f"{whole.replace(',', chr(0x202F))},{cents}\u00a0€"
        return f"€{whole}.{cents}"

    def day(self, value: object) -> str:
        return "" if value is None else verdict_words.day(str(value), self.language)

    def status(self, value: str, *, long: bool = False) -> str:
        return verdict_words.status(value, self.language, long=long)

    def role(self, slug: str) -> str:
        return verdict_words.role(slug, self.language)


@dataclass(frozen=True)
class Switch:
    """One link of the language switch."""

    code: str
    name: str
    href: str
    current: bool


def switch(path: str, query: Sequence[tuple[str, str]], current: str) -> list[Switch]:
    """The language switch of a page at ``path`` with ``query`` (its ``lang`` replaced)."""
    kept = [(k, v) for k, v in query if k != "lang"]
    return [
        Switch(
            code,
            LANGUAGE_NAMES[code],
            f"{path}?{urlencode([*kept, ('lang', code)])}",
            code == current,
        )
        for code in LANGUAGES
    ]


def accepted(accept_language: str | None) -> list[str]:
    """The page languages an Accept-Language header accepts, best first (q=0 refuses).

    >>> accepted("fr-BE, nl;q=0.8, en;q=0.5"), accepted("de, nl;q=0.2, fr;q=0"), accepted("*")
    (['fr', 'nl', 'en'], ['nl'], [])
    """
    ranked: list[tuple[float, int, str]] = []
    for index, element in enumerate((accept_language or "").split(",")):
        tag, *params = (part.strip() for part in element.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        language = tag.lower().split("-")[0]
        if language in LANGUAGES and q > 0:
            ranked.append((-q, index, language))
    return list(dict.fromkeys(language for _, _, language in sorted(ranked)))


def page_languages(accept_language: str | None, asked: str | None = None) -> list[str]:
    """The reader's languages, best first: ``asked`` (``?lang=``), then those the browser
    accepts, then the others with Dutch first (labels missing in one language are taken from
    the next).

    >>> page_languages("fr-BE,fr;q=0.9"), page_languages("de"), page_languages("de", "EN")
    (['fr', 'nl', 'en'], ['nl', 'en', 'fr'], ['en', 'nl', 'fr'])
    """
    chosen = accepted(accept_language)
    if asked and asked.strip().lower() in LANGUAGES:
        chosen.insert(0, asked.strip().lower())
    return list(dict.fromkeys([*chosen, DEFAULT, "en", "fr"]))


def label_order(language: str) -> list[str]:
    """The languages labels are picked in for a page in ``language``.

    >>> label_order("fr"), label_order("en")
    (['fr', 'nl', 'en'], ['en', 'nl', 'fr'])
    """
    return list(dict.fromkeys([language, DEFAULT, "en", "fr"]))


def catalogue() -> dict[str, Forms]:
    """Every text of the pages and of the verdict, by key (for checks over all languages)."""
    return {**verdict_words.catalogue(), **TEXT}

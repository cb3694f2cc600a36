"""EvoWiki question templates per Wikidata property, and how an entity is named inside a question.

Templates were written for this project. Each property has a question (``{s}`` = the subject) and, when its value
is one well-defined entity, a noun phrase that lets a chain ask about it ("the spouse of {s}"). ``none_reads``
says whether "none" (Wikidata's ``novalue``) is a sensible answer to the question: "Which political party is
Vladimir Putin a member of?" -> "none" reads well; "Where was X born?" -> "none" does not (such rows are dropped
and counted). ``time_bound`` marks properties whose values hold for a while (an office, an employer, a spouse, a
residence): a question in the present tense about them is asked only when every value in force is dated (start
time or point in time) or has preferred rank, since an undated normal statement ("First Lady of Russia" with no
end after a divorce, "Dresden" as a work place) cannot be known to hold now.

Names: English puts "the" before many country and organisation names ("the United States", "the Communist Party
of the Soviet Union") but not before others ("Russia", "United Russia", "Harvard University"). Whether an entity
is a country or an organisation is read from its instance-of (P31) classes; whether its name takes the article is
read from the name's form: a name built around "of" ("Republic of Korea", "Bank of England"), ending in a common
noun that heads such names ("Soviet Union", "Russian Federation", "Labour Party", "United Nations"), or a plural
country name ending in "-lands" / "-ines" ("Netherlands", "Philippines").

Example:
    >>> TEMPLATES["P6"].ask("France")
    'Who is the head of government of France?'
    >>> TEMPLATES["P6"].ask(TEMPLATES["P27"].phrase_of("Alina Kabaeva"))
    'Who is the head of government of the country of citizenship of Alina Kabaeva?'
    >>> with_article("United States of America", ["Q3624078"]), with_article("Russia", ["Q3624078"])
    ('the United States of America', 'Russia')
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    """How to ask for one property (``question``) and how to refer to its value inside a chain (``phrase``)."""

    property: str
    label: str
    question: str
    phrase: str | None = None
    value_kind: str = "item"  # "item" (answer is an entity) or "quantity" (answer is a number)
    none_reads: bool = False  # "none" (novalue) is a sensible answer
    time_bound: bool = False  # the value holds for a while (an office, an employer): "now" needs a dated statement

    def ask(self, subject: str) -> str:
        return self.question.format(s=subject)

    def phrase_of(self, subject: str) -> str:
        if self.phrase is None:
            raise ValueError(f"{self.property} cannot be a bridge in a chain")
        return self.phrase.format(s=subject)


_T = Template
TEMPLATES: dict[str, Template] = {
    t.property: t
    for t in [
        _T("P39", "position held", "Which position does {s} hold?", none_reads=True, time_bound=True),
        _T("P6", "head of government", "Who is the head of government of {s}?", "the head of government of {s}", time_bound=True),
        _T("P35", "head of state", "Who is the head of state of {s}?", "the head of state of {s}", time_bound=True),
        _T("P108", "employer", "Which organisation does {s} work for?", "the employer of {s}", none_reads=True, time_bound=True),
        _T("P54", "member of sports team", "Which sports team does {s} play for?", "the sports team of {s}",
           none_reads=True, time_bound=True),
        _T("P26", "spouse", "Who is {s} married to?", "the spouse of {s}", none_reads=True, time_bound=True),
        _T("P551", "residence", "Where does {s} live?", "the place of residence of {s}", time_bound=True),
        _T("P1082", "population", "What is the population of {s}?", None, "quantity"),
        _T("P69", "educated at", "Where was {s} educated?", "the school where {s} studied"),
        _T("P102", "member of political party", "Which political party is {s} a member of?",
           "the political party of {s}", none_reads=True, time_bound=True),
        _T("P27", "country of citizenship", "Which country is {s} a citizen of?", "the country of citizenship of {s}",
           none_reads=True),
        _T("P17", "country", "In which country is {s}?", "the country of {s}"),
        _T("P131", "located in the administrative territorial entity", "In which administrative area is {s}?",
           "the administrative area containing {s}"),
        _T("P36", "capital", "What is the capital of {s}?", "the capital of {s}"),
        _T("P19", "place of birth", "Where was {s} born?", "the birthplace of {s}"),
        _T("P20", "place of death", "Where did {s} die?", "the place where {s} died"),
        _T("P22", "father", "Who is the father of {s}?", "the father of {s}"),
        _T("P25", "mother", "Who is the mother of {s}?", "the mother of {s}"),
        _T("P40", "child", "Who is a child of {s}?", "the child of {s}", none_reads=True),
        _T("P3373", "sibling", "Who is a sibling of {s}?", "the sibling of {s}", none_reads=True),
        _T("P1038", "relative", "Who is a relative of {s}?", "the relative of {s}"),
        _T("P106", "occupation", "What is the occupation of {s}?"),
        _T("P166", "award received", "Which award has {s} received?", none_reads=True),
        _T("P463", "member of", "Which organisation is {s} a member of?", "the organisation {s} belongs to",
           none_reads=True, time_bound=True),
        _T("P3602", "candidacy in election", "In which election was {s} a candidate?"),
        _T("P1344", "participant in", "Which event did {s} take part in?"),
        _T("P1595", "charge", "What has {s} been charged with?", none_reads=True),
        _T("P1050", "medical condition", "Which medical condition does {s} have?", none_reads=True, time_bound=True),
        _T("P488", "chairperson", "Who chairs {s}?", "the chairperson of {s}", time_bound=True),
        _T("P169", "chief executive officer", "Who is the chief executive officer of {s}?", "the chief executive of {s}", time_bound=True),
        _T("P159", "headquarters location", "Where is {s} headquartered?", "the headquarters city of {s}"),
        _T("P286", "head coach", "Who coaches {s}?", "the head coach of {s}", time_bound=True),
        _T("P1037", "director / manager", "Who directs {s}?", "the director of {s}", time_bound=True),
        _T("P112", "founded by", "Who founded {s}?", "the founder of {s}"),
        _T("P37", "official language", "What is an official language of {s}?", none_reads=True),
        _T("P38", "currency", "What is the currency of {s}?", "the currency of {s}"),
        _T("P30", "continent", "On which continent is {s}?", "the continent of {s}"),
        _T("P361", "part of", "What is {s} part of?", "the whole that {s} is part of"),
        _T("P150", "contains the administrative territorial entity", "Which administrative area lies within {s}?"),
        _T("P47", "shares border with", "Which place shares a border with {s}?", none_reads=True),
        _T("P190", "twinned administrative body", "Which place is twinned with {s}?", none_reads=True),
        _T("P937", "work location", "Where does {s} work?", "the work location of {s}", time_bound=True),
        _T("P800", "notable work", "What is a notable work of {s}?"),
        _T("P136", "genre", "Which genre is {s} associated with?"),
        _T("P264", "record label", "Which record label is {s} signed to?", "the record label of {s}", time_bound=True),
        _T("P527", "has part", "Who or what is part of {s}?"),
        _T("P1412", "languages spoken, written or signed", "Which language does {s} speak?"),
        _T("P140", "religion or worldview", "What is the religion of {s}?", "the religion of {s}", none_reads=True),
        _T("P172", "ethnic group", "Which ethnic group does {s} belong to?"),
        _T("P1366", "replaced by", "What replaced {s}?", "the successor of {s}"),
        _T("P1365", "replaces", "What did {s} replace?", "the predecessor of {s}"),
    ]
}

#: properties that lead back along another one (Wikidata's "inverse property" constraints, P1696, and the
#: parent/child pair): a chain that takes one right after the other returns to where it was or beside it
#: ("the mother of the child of X" is X or X's partner), so such chains are dropped
INVERSE_PROPERTIES: dict[str, frozenset[str]] = {
    "P40": frozenset({"P22", "P25"}), "P22": frozenset({"P40"}), "P25": frozenset({"P40"}),
    "P26": frozenset({"P26"}), "P3373": frozenset({"P3373"}), "P1038": frozenset({"P1038"}),
    "P131": frozenset({"P150"}), "P150": frozenset({"P131"}), "P361": frozenset({"P527"}),
    "P527": frozenset({"P361"}), "P1365": frozenset({"P1366"}), "P1366": frozenset({"P1365"}),
    "P47": frozenset({"P47"}), "P190": frozenset({"P190"}),
}


def round_trip(properties: list[str] | tuple[str, ...]) -> bool:
    """Whether a chain of ``properties`` takes a property right after its inverse.

    Example:
        >>> round_trip(["P40", "P25"]), round_trip(["P22", "P25"])
        (True, False)
    """
    return any(b in INVERSE_PROPERTIES.get(a, ()) for a, b in itertools.pairwise(properties))


#: instance-of (P31) classes of countries, states and organisations (Wikidata ids), whose names may take "the"
ARTICLE_CLASSES = frozenset({
    "Q6256",  # country
    "Q3624078",  # sovereign state
    "Q7275",  # state
    "Q3024240",  # historical country
    "Q1763527",  # constituent country
    "Q15634554",  # state with limited recognition
    "Q43229",  # organization
    "Q484652",  # international organization
    "Q7278",  # political party
    "Q215380",  # musical group
    "Q5741069",  # rock band
    "Q4830453",  # business
    "Q783794",  # company
    "Q891723",  # public company
    "Q163740",  # nonprofit organization
    "Q327333",  # government agency
    "Q35749",  # parliament
    "Q245065",  # intergovernmental organization
    "Q1335818",  # supranational union
})
#: words of a class's label that mark a country or organisation class (for classes not in ARTICLE_CLASSES)
ARTICLE_CLASS_WORDS = frozenset({
    "country", "state", "organization", "organisation", "party", "union", "federation", "band", "company",
    "agency", "parliament", "legislature", "alliance", "league", "committee", "council",
})
#: common nouns that head country / organisation names taking "the" when they end the name
ARTICLE_HEADS = frozenset({
    "union", "kingdom", "states", "republic", "federation", "nations", "party", "emirates", "islands",
    "commonwealth", "confederation", "alliance", "league", "organization", "organisation", "committee", "council",
    "assembly", "parliament", "congress", "senate", "duma", "government", "ministry", "bank", "army", "navy",
    "front", "movement", "agency", "institute", "foundation", "society", "association", "corporation",
})

#: endings of plural country names ("Netherlands", "Philippines"); "Honduras" or "Laos" take no article
PLURAL_NAME_ENDINGS = ("lands", "ines")


def is_article_class(class_ids: Iterable[str], class_labels: Iterable[str | None] = ()) -> bool:
    """Whether an entity with these instance-of classes is a country or an organisation."""
    if any(c in ARTICLE_CLASSES for c in class_ids):
        return True
    return any(word in ARTICLE_CLASS_WORDS for label in class_labels if label for word in label.lower().split())


def with_article(name: str, class_ids: Iterable[str], class_labels: Iterable[str | None] = ()) -> str:
    """``name`` with "the" in front where English needs it (rules in the module docstring).

    Example:
        >>> with_article("Communist Party of the Soviet Union", ["Q7278"])
        'the Communist Party of the Soviet Union'
        >>> with_article("United Russia", ["Q7278"]), with_article("Soviet Union", [], ["historical country"])
        ('United Russia', 'the Soviet Union')
        >>> with_article("The Beatles", ["Q215380"]), with_article("Paris", ["Q515"])
        ('The Beatles', 'Paris')
    """
    words = name.split()
    if not words or words[0].lower() == "the" or not is_article_class(class_ids, class_labels):
        return name
    last = words[-1].lower()
    if " of " in f" {name} " or last in ARTICLE_HEADS or last.endswith(PLURAL_NAME_ENDINGS):
        return f"the {name}"
    return name

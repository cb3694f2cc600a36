"""Write examples/toolhop/toolhop_demo.json: three ToolHop-format rows written for knowbench (not from the release).

Run: python examples/toolhop/make_toolhop_demo.py
"""

from __future__ import annotations

import json
from pathlib import Path


def tool(name: str, description: str, properties: dict, required: list[str]) -> dict:
    return {
        "description": description,
        "name": name,
        "parameters": {"properties": properties, "required": required, "type": "object"},
    }


def text_param(description: str) -> dict:
    return {"description": description, "type": "string"}


LOOKUP = '''def {name}({arg}):
    table = {table!r}
    if not isinstance({arg}, str) or not {arg}.strip():
        return {{"error": "{arg} must be a non-empty string"}}
    key = {arg}.strip().lower()
    if key not in table:
        return {{"error": f"no record for {{{arg}!r}}"}}
    return table[key]

# Example usage
print({name}({example!r}))
'''

FIRST_NAME = '''def extract_first_name(full_name):
    parts = str(full_name).split()
    if not parts:
        return {"error": "full_name is empty"}
    return parts[0]

# Example usage
print(extract_first_name("Ernest Hemingway"))
'''

COUNT_LETTERS = '''def count_letters(word):
    return sum(1 for character in str(word) if character.isalpha())

# Example usage
print(count_letters("Ernest"))
'''

DIGIT_SUM = '''def digit_sum(number):
    digits = [int(c) for c in str(number) if c.isdigit()]
    if not digits:
        return {"error": "number has no digits"}
    return sum(digits)

# Example usage
print(digit_sum(1889))
'''

LAST_LETTER = '''def last_letter(word):
    letters = [c for c in str(word) if c.isalpha()]
    if not letters:
        return {"error": "word has no letters"}
    return letters[-1]

# Example usage
print(last_letter("Bucharest"))
'''


def row(id_: int, question: str, answer: str, hops: list[tuple[str, str, dict, str]], domain: str, answer_type: str, previous: str) -> dict:
    ordered = sorted(hops, key=lambda h: h[0])  # the release sorts sub-questions; functions keep hop order
    return {
        "id": id_,
        "question": question,
        "answer": answer,
        "sub_task": {q: a for q, a, _, _ in ordered},
        "tools": {q: t for q, _, t, _ in ordered},
        "functions": [source for _, _, _, source in hops],
        "domain": domain,
        "answer_type": answer_type,
        "previous_answer_type": previous,
    }


ROWS = [
    row(
        1,
        "How many letters are in the first name of the author of The Old Man and the Sea?",
        "6",
        [
            ("Who wrote The Old Man and the Sea?", "Ernest Hemingway",
             tool("book_author_lookup", "Find the author of a novel by its title.", {"title": text_param("Title of the book.")}, ["title"]),
             LOOKUP.format(name="book_author_lookup", arg="title", table={"the old man and the sea": "Ernest Hemingway", "middlemarch": "George Eliot"}, example="The Old Man and the Sea")),
            ("What is the first name of Ernest Hemingway?", "Ernest",
             tool("extract_first_name", "Return the first word of a full name.", {"full_name": text_param("A person's full name.")}, ["full_name"]), FIRST_NAME),
            ("How many letters does Ernest have?", "6",
             tool("count_letters", "Count the letters of a word.", {"word": text_param("The word.")}, ["word"]), COUNT_LETTERS),
        ],
        "Literature", "number", "person",
    ),
    row(
        2,
        "What is the sum of the digits of the year in which the Eiffel Tower was completed?",
        "26",
        [
            ("In which year was the Eiffel Tower completed?", "1889",
             tool("landmark_completion_year", "Year a landmark was completed.", {"landmark": text_param("Name of the landmark.")}, ["landmark"]),
             LOOKUP.format(name="landmark_completion_year", arg="landmark", table={"eiffel tower": "1889", "golden gate bridge": "1937"}, example="Eiffel Tower")),
            ("What is the sum of the digits of 1889?", "26",
             tool("digit_sum", "Sum the decimal digits of a number.", {"number": {"description": "The number.", "type": "integer"}}, ["number"]), DIGIT_SUM),
        ],
        "Architecture", "number", "year",
    ),
    row(
        3,
        "What is the last letter of the capital of the country where the Danube flows into the sea?",
        "t",
        [
            ("In which country does the Danube flow into the sea?", "Romania",
             tool("river_mouth_country", "Country in which a river reaches the sea.", {"river": text_param("Name of the river.")}, ["river"]),
             LOOKUP.format(name="river_mouth_country", arg="river", table={"danube": "Romania", "rhine": "Netherlands"}, example="Danube")),
            ("What is the capital of Romania?", "Bucharest",
             tool("capital_lookup", "Capital city of a country.", {"country": text_param("Name of the country.")}, ["country"]),
             LOOKUP.format(name="capital_lookup", arg="country", table={"romania": "Bucharest", "netherlands": "Amsterdam"}, example="Romania")),
            ("What is the last letter of Bucharest?", "t",
             tool("last_letter", "Last letter of a word.", {"word": text_param("The word.")}, ["word"]), LAST_LETTER),
        ],
        "Geography", "letter", "string",
    ),
]

if __name__ == "__main__":
    out = Path(__file__).with_name("toolhop_demo.json")
    out.write_text(json.dumps(ROWS, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(ROWS)} rows to {out}")

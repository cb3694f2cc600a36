"""Write the triples demo sources: facts in the T-REx / LAMA layout (``trex/P<id>.jsonl``: ``sub_label``,
``obj_label``, ``uuid``, ``sub_uri``, ``obj_uri``) and a corpus of short documents (``corpus.jsonl``: ``id``,
``text``), both written for knowbench about the invented world of the EvoWiki demo (no real entity).

Facts are mentioned in the corpus with different frequencies (some often together, some only apart, some never),
so the counts N_s, N_o, N_so and the mutual information differ from fact to fact.

Run: python examples/triples/make_demo.py
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

# property: [(subject, subject id, object, object id)]
FACTS = {
    "P27": [("Mara Quint", "Q99000011", "Eastland", "Q99000002"), ("Tomas Reed", "Q99000012", "Eastland", "Q99000002"),
            ("Oskar Quint", "Q99000013", "Eastland", "Q99000002"), ("Lio Brandt", "Q99000017", "Westmark", "Q99000003")],
    "P17": [("Northvale", "Q99000001", "Eastland", "Q99000002"), ("Harrowby", "Q99000004", "Westmark", "Q99000003"),
            ("Northvale University", "Q99000030", "Eastland", "Q99000002")],
    "P26": [("Mara Quint", "Q99000011", "Oskar Quint", "Q99000013")],
    "P69": [("Tomas Reed", "Q99000012", "Northvale University", "Q99000030"),
            ("Lio Brandt", "Q99000017", "Harrowby College", "Q99000031")],
    "P36": [("Westmark", "Q99000003", "Harrowby", "Q99000004"), ("Eastland", "Q99000002", "Kessel", "Q99000005")],
}

# (how many documents, text): the templates mention the facts' labels at chosen rates
DOCUMENTS = [
    (6, "Mara Quint spoke in Northvale about the budget of Eastland."),
    (4, "Tomas Reed, a graduate of Northvale University, opened the new bridge in Northvale."),
    (3, "The architect Oskar Quint and his wife Mara Quint visited Harrowby."),
    (5, "Harrowby is the capital of Westmark; its old harbour is famous."),
    (2, "Lio Brandt studied at Harrowby College before moving to Westmark's coast."),
    (3, "Kessel, the capital of Eastland, hosted the national games."),
    (4, "Rain fell on the hills for three days and the rivers rose."),
    (2, "Northvale University opened a school of engineering in Eastland's north."),
    (1, "Tomas Reed met Lio Brandt at a conference."),
]


def main() -> None:
    here = Path(__file__).parent
    for prop, facts in FACTS.items():
        lines = []
        for subject, sid, obj, oid in facts:
            fact_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"knowbench-demo/{prop}/{sid}/{oid}"))
            lines.append(json.dumps({"sub_label": subject, "obj_label": obj, "uuid": fact_id,
                                     "sub_uri": sid, "obj_uri": oid, "predicate_id": prop}))
        (here / "trex" / f"{prop}.jsonl").write_text("\n".join(lines) + "\n")
    documents = []
    for template_index, (copies, text) in enumerate(DOCUMENTS):
        for copy in range(copies):
            documents.append(json.dumps({"id": f"demo-{template_index}-{copy}", "text": f"Report {copy + 1}. {text}"}))
    (here / "corpus.jsonl").write_text("\n".join(documents) + "\n")
    print(f"wrote {sum(map(len, FACTS.values()))} facts under {here / 'trex'} and {len(documents)} documents")


if __name__ == "__main__":
    main()

"""The floor a build is measured against: bare spaCy over the same texts, in its own process.

    python -m bench.floor texts.json

reads a JSON list of article texts (the cleaned bodies kg parses), loads the spaCy model
kg uses (en_core_web_sm, as kg.nlp.MODEL names it) with its whole pipeline and nothing
added, runs nlp.pipe over the texts, and prints a JSON object with the time of each step.
It imports nothing of kg but the model's name, so its import time is spaCy's alone.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

START = time.perf_counter()


def main() -> None:
    texts = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    import spacy

    from kg.nlp import MODEL

    loaded = time.perf_counter()
    nlp = spacy.load(MODEL)
    ready = time.perf_counter()
    tokens = 0
    for doc in nlp.pipe(texts):
        tokens += len(doc)
    end = time.perf_counter()
    print(json.dumps({"import": loaded - START, "load": ready - loaded, "pipe": end - ready,
                      "tokens": tokens, "pipeline": nlp.pipe_names}))


if __name__ == "__main__":
    main()

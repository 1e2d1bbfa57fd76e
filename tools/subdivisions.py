"""Writes chalicelib/policy/subdivisions.json, the ISO 3166-2 subdivision codes per country, from pycountry (a dev
dependency only: the Lambda package carries the 40 KB file, not the library). `python -m tools.subdivisions`;
tests/unit/test_subdivisions.py fails when the file and the installed pycountry disagree."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "chalicelib" / "policy" / "subdivisions.json"


def from_pycountry() -> dict[str, list[str]]:
    import pycountry

    codes: defaultdict[str, list[str]] = defaultdict(list)
    for subdivision in pycountry.subdivisions:
        codes[subdivision.country_code].append(subdivision.code)
    return {country: sorted(found) for country, found in sorted(codes.items())}


def render(codes: dict[str, list[str]]) -> str:
    import pycountry

    lines = [f'  "{country}": {json.dumps(found)}' for country, found in codes.items()]
    header = f'  "_source": "ISO 3166-2 via pycountry {pycountry.__version__} (python -m tools.subdivisions)"'
    return "{\n" + ",\n".join([header, *lines]) + "\n}\n"


def main() -> None:
    TARGET.write_text(render(from_pycountry()), encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()

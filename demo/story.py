"""The demo letter's story, shared by `seed_demo` and the end-to-end test.

A protest letter lists 16 signers as members of an early-access artists' programme. The roster holds
300 members; only two of them signed — one is found by email, one only by a name written differently —
and a third signer writes from an address at the programme's domain. The rest are claims the roster
does not support.
"""

import csv
import io
import random
from dataclasses import dataclass

AFFILIATION = {
    "slug": "sora-alpha-artist",
    "name": "Sora alpha artist",
    "description": "Artists in the early-access alpha programme.",
    "email_domains": "sora-alpha.example",
}
LETTER = {
    "slug": "sora-alpha-artists-letter",
    "title": "An open letter from Sora alpha artists",
    "kind": "letter",
    "summary": "Artists in the early-access programme ask for fair terms.",
    "body": (
        "We are artists who were given early access to the programme.\n\n"
        "We ask for:\n\n"
        "1. **Fair pay** for the feedback and work we provide;\n"
        "2. transparency about how our work is used;\n"
        "3. the freedom to share our work without approval.\n\n"
        "Signers state their affiliation; [Undersigned](https://example.org/) checks it against the roster."
    ),
}
ROSTER_SIZE = 300

_GIVEN = [
    "Ana",
    "Ben",
    "Chloé",
    "Dmitri",
    "Emeka",
    "Fatima",
    "Greta",
    "Hiro",
    "Inès",
    "Jonas",
    "Kwame",
    "Lena",
    "Mateo",
    "Nadia",
    "Oskar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tanvi",
]
_FAMILY = [
    "Abara",
    "Berg",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fujita",
    "García",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
]

# The two roster members who sign, and how each will be recognised.
MEMBER_BY_EMAIL = {"full_name": "Ana Castillo", "email": "ana.castillo@studio-castillo.example"}
MEMBER_BY_NAME = {"full_name": "José Núñez-Ortega", "email": "jose@nunez-ortega.example"}


@dataclass(frozen=True)
class DemoSigner:
    full_name: str
    email: str
    expected: str  # the verification the workers should reach
    method: str = "none"
    role: str = "Artist"
    organisation: str = ""
    comment: str = ""


def roster_rows() -> list[dict]:
    """300 members: two named above, the rest generated deterministically."""
    rng = random.Random(2024)
    rows = [
        {**MEMBER_BY_EMAIL, "handles": "@anacastillo", "external_id": "SA-0001"},
        {**MEMBER_BY_NAME, "handles": "https://art.example/jnunez", "external_id": "SA-0002"},
    ]
    seen = {r["full_name"] for r in rows}
    while len(rows) < ROSTER_SIZE:
        name = f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}-{rng.choice(_FAMILY)}"
        if name in seen:
            continue
        seen.add(name)
        n = len(rows) + 1
        rows.append(
            {"full_name": name, "email": f"member{n:03d}@artists.example", "handles": "", "external_id": f"SA-{n:04d}"}
        )
    return rows


def roster_csv() -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["full_name", "email", "handles", "external_id"])
    writer.writeheader()
    writer.writerows(roster_rows())
    return out.getvalue().encode("utf-8")


def signers() -> list[DemoSigner]:
    """16 signers who claim the affiliation: 2 on the roster, 1 at its domain, 13 the roster doesn't know."""
    found = [
        DemoSigner(
            MEMBER_BY_EMAIL["full_name"],
            "Ana.Castillo+letter@studio-castillo.example",
            "verified",
            "email",
            organisation="Studio Castillo",
            comment="Proud to sign.",
        ),
        DemoSigner(
            "jose nunez ortega",
            "jno@personal-mail.example",
            "needs_review",
            "name",
            comment="Signed from my personal address.",
        ),
        DemoSigner("Mika Laine", "mika@sora-alpha.example", "verified", "email_domain", role="Programme liaison"),
    ]
    claimed_only = [
        DemoSigner(name, f"{name.lower().replace(' ', '.')}@mail.example", "unverified")
        for name in [
            "Aiko Tanaka",
            "Bruno Silva",
            "Camille Laurent",
            "Darius Rahimi",
            "Elif Yilmaz",
            "Felix Wagner",
            "Gwen Morgan",
            "Hamid Karimi",
            "Isla Murray",
            "Jakub Novak",
            "Kira Volkova",
            "Liam O'Brien",
            "Maya Cohen",
        ]
    ]
    return found + claimed_only

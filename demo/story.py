"""The demo letter's story, shared by `seed_demo` and the end-to-end tests.

A protest letter lists 16 signers as members of an early-access artists' programme. The roster holds
300 members. Three of them signed: one from the address the roster lists (verified at once), one from a
personal address under a name written differently (a challenge goes to the roster address and the member
confirms), and one whose roster entry has no address (a moderator must decide). A fourth signer writes
from the programme's own domain, which its policy declares membership. One impostor types a member's exact
name: the challenge goes to the real member, who answers "this wasn't me". The rest are claims the roster
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
    "email_domains": "sora-alpha.example.org",
    "domain_policy": True,
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

# The roster members the story is about, and how each will be recognised.
MEMBER_BY_EMAIL = {"full_name": "Ana Castillo", "email": "ana.castillo@studio-castillo.example"}
MEMBER_BY_NAME = {"full_name": "José Núñez-Ortega", "email": "jose@nunez-ortega.example"}
MEMBER_WITHOUT_ADDRESS = {"full_name": "Yuki Sato", "email": ""}
MEMBER_IMPERSONATED = {"full_name": "Wanda Kraus", "email": "wanda@kraus-studio.example"}


@dataclass(frozen=True)
class DemoSigner:
    full_name: str
    email: str
    expected: str  # the verification the claim ends with
    method: str = "none"
    answer: str = ""  # what the roster member answers to the challenge sent to their roster address
    role: str = "Artist"
    organisation: str = ""
    comment: str = ""


def roster_rows() -> list[dict]:
    """300 members: four named above, the rest generated deterministically."""
    rng = random.Random(2024)
    rows = [
        {**MEMBER_BY_EMAIL, "handles": "@anacastillo", "external_id": "SA-0001"},
        {**MEMBER_BY_NAME, "handles": "https://art.example/jnunez", "external_id": "SA-0002"},
        {**MEMBER_WITHOUT_ADDRESS, "handles": "", "external_id": "SA-0003"},
        {**MEMBER_IMPERSONATED, "handles": "", "external_id": "SA-0004"},
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
    """16 signers who claim the affiliation: 3 members, 1 at its domain, 1 impostor, 11 the roster doesn't know."""
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
            "verified",
            "roster_challenge",
            comment="Signed from my personal address.",
            answer="yes",
        ),
        DemoSigner("Mika Laine", "mika@sora-alpha.example.org", "verified", "email_domain", role="Programme liaison"),
        DemoSigner("Yuki Sato", "yuki.s@mail.example", "needs_review", "name"),
        DemoSigner("Wanda Kraus", "wanda.k@mail.example", "disputed", "roster_challenge", answer="no"),
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
            "Maya Cohen",
        ]
    ]
    return found + claimed_only

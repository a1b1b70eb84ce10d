"""Verification quality: labelled claims through the real flow, and where each one ends.

A roster of generated members (faker, many locales; ~80% with a roster address) is imported into two
affiliations: `org-example` (roster addresses at org-example.org, whose domain policy is on, subdomains off)
and `sora-alpha-artist` (no domain policy, members at assorted providers). Then labelled claims, each a member
or a non-member by construction, are signed and confirmed in-process through the product's own code
(the public form's cleaning, signatures.services.sign/confirm, the claim check run by the eager task, the
challenge emails in the local-memory outbox). The members then read their mail: a challenge about their own
signature is answered "yes, this was me" through the challenge page (django.test.Client); a challenge about
someone else's signature is answered "no, this wasn't me" with probability --no-probability, else ignored.
What is left unanswered expires (verification.claims.expire_challenges).

Run with the Makefile's `bench` environment (PostgreSQL from DATABASE_URL). Everything happens in a throw-away
database created next to the configured one and dropped at the end; the configured database is never touched.

    SECRET_KEY=x DATABASE_URL=postgres://postgres@127.0.0.1:5432/undersigned \\
        .venv/bin/python bench/verification_quality.py [--members 2000] [--seed 1] [--answers batch|prompt]

--answers batch (default): every claim is signed first, then the members answer in a random order.
--answers prompt: each signer answers their own challenge right after confirming; bystanders later.
"""

import argparse
import logging
import os
import random
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from anyascii import anyascii
from faker import Faker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from romanise import HI_CONSONANTS, HI_SIGNS, HI_VOWELS, RU  # noqa: E402  (bench/ is the script's folder)
from run import create_database, drop_database, throwaway_database_url  # noqa: E402  (bench/run.py)

POLICY_DOMAIN = "org-example.org"
SUBDOMAIN = f"alumni.{POLICY_DOMAIN}"
POLICY, OPEN = "org-example", "sora-alpha-artist"  # the affiliations' slugs
OUTCOMES = ("verified", "disputed", "needs_review", "unverified", "pending")
LINK = re.compile(r"/signatures/challenge/([^/\s]+)/")

# Share of the roster per locale (relative weights).
LOCALES = {
    "en_US": 4,
    "fr_FR": 1,
    "de_DE": 1,
    "es_ES": 1,
    "it_IT": 0.5,
    "pt_BR": 1,
    "pl_PL": 1,
    "tr_TR": 1,
    "ru_RU": 1.5,
    "uk_UA": 1,
    "el_GR": 1,
    "zh_CN": 1.5,
    "ja_JP": 1,
    "ko_KR": 1,
    "ar_AA": 1,
    "hi_IN": 1,
    "he_IL": 0.5,
    "fa_IR": 0.5,
}
LATIN = {"en_US", "fr_FR", "de_DE", "es_ES", "it_IT", "pt_BR", "pl_PL", "tr_TR"}
CYRILLIC_GREEK = {"ru_RU", "uk_UA", "el_GR"}
CJK = {"zh_CN", "ja_JP", "ko_KR"}
ROMANIZED = CYRILLIC_GREEK | CJK | {"ar_AA", "fa_IR", "hi_IN"}  # locales this script can write in Latin letters
ALPHABETIC = LATIN | CYRILLIC_GREEK  # scripts where "one letter off" means one letter
PERSONAL_DOMAINS = [
    "gmail.com",
    "outlook.com",
    "proton.me",
    "yahoo.com",
    "icloud.com",
    "hotmail.com",
    "mail.ru",
    "yandex.ru",
    "ukr.net",
    "qq.com",
    "163.com",
    "naver.com",
    "yahoo.co.jp",
    "web.de",
    "gmx.de",
    "orange.fr",
    "libero.it",
    "uol.com.br",
    "wp.pl",
    "studio-nine.example",
    "pixelfold.example",
]
# Nicknames as people use them (curated here, independently of the `nicknames` data the engine uses).
NICKNAMES = {
    "William": ["Bill", "Will", "Billy", "Liam"],
    "Robert": ["Bob", "Rob", "Bobby", "Robbie"],
    "Elizabeth": ["Liz", "Beth", "Betty", "Lizzie", "Eliza"],
    "Katherine": ["Kate", "Katie", "Kathy"],
    "Michael": ["Mike", "Mikey"],
    "James": ["Jim", "Jimmy", "Jamie"],
    "Richard": ["Rick", "Dick", "Rich"],
    "Margaret": ["Maggie", "Peggy", "Meg"],
    "Thomas": ["Tom", "Tommy"],
    "Jennifer": ["Jen", "Jenny"],
    "Christopher": ["Chris", "Kit"],
    "Patricia": ["Pat", "Patty", "Trish"],
    "Joseph": ["Joe", "Joey"],
    "Daniel": ["Dan", "Danny"],
    "Anthony": ["Tony"],
    "Susan": ["Sue", "Susie"],
    "Edward": ["Ed", "Eddie", "Ted", "Ned"],
    "Alexander": ["Alex", "Xander"],
    "Jonathan": ["Jon", "Johnny"],
    "Nicholas": ["Nick", "Nicky"],
    "Rebecca": ["Becky", "Becca"],
    "Samuel": ["Sam", "Sammy"],
    "Benjamin": ["Ben", "Benny"],
    "Victoria": ["Vicky", "Tori"],
    "Charles": ["Charlie", "Chuck"],
    "Matthew": ["Matt"],
    "Andrew": ["Andy", "Drew"],
    "Stephen": ["Steve"],
    "Deborah": ["Debbie", "Deb"],
    "Timothy": ["Tim"],
}
FEMALE_NAMES = {"Elizabeth", "Katherine", "Margaret", "Jennifer", "Patricia", "Susan", "Rebecca", "Victoria", "Deborah"}

# --- transliteration, written here independently of anyascii (which the engine uses) where that is possible ----

# Ukrainian: the official national system (passports since 2010), with its word-initial forms...
UK_OFFICIAL = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "h",
    "ґ": "g",
    "д": "d",
    "е": "e",
    "є": "ie",
    "ж": "zh",
    "з": "z",
    "и": "y",
    "і": "i",
    "ї": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ь": "",
    "ю": "iu",
    "я": "ia",
}
UK_OFFICIAL_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
# ... and the older Russian-style habit many Ukrainians still write (г -> g, и -> i).
UK_RUSSIAN_STYLE = UK_OFFICIAL | {"г": "g", "и": "i", "ї": "yi", "є": "ye", "й": "y", "ю": "yu", "я": "ya"}
EL = {
    "α": "a",
    "β": "v",
    "γ": "g",
    "δ": "d",
    "ε": "e",
    "ζ": "z",
    "η": "i",
    "θ": "th",
    "ι": "i",
    "κ": "k",
    "λ": "l",
    "μ": "m",
    "ν": "n",
    "ξ": "x",
    "ο": "o",
    "π": "p",
    "ρ": "r",
    "σ": "s",
    "ς": "s",
    "τ": "t",
    "υ": "y",
    "φ": "f",
    "χ": "ch",
    "ψ": "ps",
    "ω": "o",
}
# Greek digraphs: (ELOT 743 as on passports, as pronounced).
EL_DIGRAPHS = {
    "ου": ("ou", "ou"),
    "αι": ("ai", "e"),
    "ει": ("ei", "i"),
    "οι": ("oi", "i"),
    "υι": ("yi", "i"),
    "αυ": ("av", "av"),
    "ευ": ("ev", "ev"),
    "μπ": ("mp", "b"),
    "ντ": ("nt", "d"),
    "γκ": ("gk", "g"),
    "γγ": ("ng", "ng"),
}
AR = {
    "ا": "a",
    "أ": "a",
    "إ": "i",
    "آ": "a",
    "ب": "b",
    "ت": "t",
    "ث": "th",
    "ج": "j",
    "ح": "h",
    "خ": "kh",
    "د": "d",
    "ذ": "dh",
    "ر": "r",
    "ز": "z",
    "س": "s",
    "ش": "sh",
    "ص": "s",
    "ض": "d",
    "ط": "t",
    "ظ": "z",
    "ع": "",
    "غ": "gh",
    "ف": "f",
    "ق": "q",
    "ك": "k",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "و": "w",
    "ي": "y",
    "ى": "a",
    "ة": "a",
    "ء": "",
    "ؤ": "",
    "ئ": "",
    # Persian letters
    "ی": "y",
    "ک": "k",
    "گ": "g",
    "پ": "p",
    "چ": "ch",
    "ژ": "zh",
}
# Korean family names as people write them in Latin letters (not the Revised Romanization anyascii gives).
KO_FAMILY = {
    "김": ["Kim"],
    "이": ["Lee", "Lee", "Yi", "Rhee"],
    "박": ["Park", "Park", "Pak"],
    "최": ["Choi"],
    "정": ["Jung", "Jeong", "Chung"],
    "강": ["Kang"],
    "조": ["Cho", "Jo"],
    "윤": ["Yoon", "Yun"],
    "장": ["Jang", "Chang"],
    "임": ["Lim", "Im"],
    "한": ["Han"],
    "오": ["Oh"],
    "서": ["Seo", "Suh"],
    "신": ["Shin"],
    "권": ["Kwon"],
    "황": ["Hwang"],
    "안": ["Ahn", "An"],
    "송": ["Song"],
    "류": ["Ryu", "Yoo"],
    "유": ["Yoo", "Yu"],
    "전": ["Jeon", "Jun"],
    "홍": ["Hong"],
    "고": ["Ko", "Koh"],
    "문": ["Moon"],
    "양": ["Yang"],
    "손": ["Son", "Sohn"],
    "배": ["Bae"],
    "백": ["Baek", "Paik"],
    "허": ["Heo", "Huh"],
    "남": ["Nam"],
    "심": ["Shim"],
    "노": ["Noh", "Roh"],
    "하": ["Ha"],
    "곽": ["Kwak"],
    "성": ["Sung"],
    "차": ["Cha"],
    "주": ["Joo"],
    "우": ["Woo"],
    "구": ["Koo"],
    "민": ["Min"],
    "진": ["Jin"],
    "나": ["Na"],
    "엄": ["Um", "Eom"],
    "채": ["Chae"],
    "원": ["Won"],
    "천": ["Chun"],
    "방": ["Bang"],
    "공": ["Kong"],
    "현": ["Hyun"],
    "변": ["Byun"],
    "염": ["Yeom"],
    "여": ["Yeo"],
    "추": ["Choo"],
    "도": ["Do"],
    "석": ["Seok"],
    "선": ["Sun"],
    "설": ["Seol"],
    "마": ["Ma"],
    "길": ["Gil"],
    "연": ["Yeon"],
    "표": ["Pyo"],
    "명": ["Myung"],
    "기": ["Ki"],
    "반": ["Ban"],
    "왕": ["Wang"],
    "금": ["Keum"],
    "인": ["In"],
    "제": ["Je"],
    "모": ["Mo"],
    "탁": ["Tak"],
    "국": ["Kook"],
    "남궁": ["Namgoong"],
    "황보": ["Hwangbo"],
    "제갈": ["Jegal"],
    "선우": ["Sunwoo"],
}
# Korean given-name syllables as people commonly write them (anyascii gives the Revised Romanization, as the
# engine does; people often use older or phonetic spellings: 숙 "sook", 영 "young", 준 "joon").
KO_SYLLABLES = {
    "숙": ["sook", "suk"],
    "영": ["young", "yeong", "yong"],
    "현": ["hyun", "hyeon"],
    "준": ["jun", "joon"],
    "수": ["soo", "su"],
    "정": ["jung", "jeong"],
    "은": ["eun"],
    "희": ["hee", "hui"],
    "서": ["seo", "suh"],
    "성": ["sung", "seong"],
    "우": ["woo", "u"],
    "경": ["kyung", "gyeong"],
    "석": ["seok", "suk"],
    "철": ["chul", "cheol"],
    "혜": ["hye"],
    "연": ["yeon", "yun"],
    "윤": ["yoon", "yun"],
    "훈": ["hoon", "hun"],
    "주": ["joo", "ju"],
    "재": ["jae"],
    "태": ["tae"],
    "원": ["won"],
    "동": ["dong"],
    "상": ["sang"],
    "민": ["min"],
    "진": ["jin"],
    "지": ["ji"],
    "호": ["ho"],
    "미": ["mi"],
    "아": ["ah", "a"],
    "규": ["kyu", "gyu"],
    "광": ["kwang", "gwang"],
    "근": ["keun", "geun"],
    "기": ["ki", "gi"],
    "길": ["kil", "gil"],
    "덕": ["duk", "deok"],
    "복": ["bok"],
    "옥": ["ok"],
    "순": ["soon", "sun"],
    "자": ["ja"],
    "명": ["myung", "myeong"],
}
HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}  # Latin -> Cyrillic
ALPHABETS = {
    "latin": "abcdefghijklmnopqrstuvwxyz",
    "cyrillic": "абвгдежзийклмнопрстуфхцчшщыэюя",
    "greek": "αβγδεζηθικλμνξοπρστυφχψω",
}


def plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def slug(text: str, limit: int = 24) -> str:
    return re.sub(r"[^a-z0-9]+", ".", anyascii(text).lower()).strip(".")[:limit].strip(".") or "user"


def translit_ru(text: str, rng: random.Random) -> str:
    out = []
    for word in text.split():
        latin = "".join(rng.choice(RU.get(c.lower(), [c])) for c in word)
        if latin.endswith("iy"):
            latin = latin[:-2] + rng.choice(["iy", "y", "ii", "i"])
        if rng.random() < 0.3:
            latin = latin.replace("ks", "x")
        out.append(latin.capitalize())
    return " ".join(out)


def translit_uk(text: str, rng: random.Random) -> str:
    official = rng.random() < 0.7
    table = UK_OFFICIAL if official else UK_RUSSIAN_STYLE
    out = []
    for word in text.split():
        lower = word.lower().replace("'", "").replace("’", "")
        if official:
            lower = lower.replace("зг", "zgh")
        latin = ""
        for i, c in enumerate(lower):
            latin += (UK_OFFICIAL_INITIAL.get(c) if official and i == 0 else None) or table.get(c, c)
        out.append(latin.capitalize())
    return " ".join(out)


def translit_el(text: str, rng: random.Random) -> str:
    phonetic = rng.random() < 0.4
    out = []
    for word in text.split():
        lower = plain(word).lower()
        latin, i = "", 0
        while i < len(lower):
            pair = lower[i : i + 2]
            if pair in EL_DIGRAPHS:
                elot, spoken = EL_DIGRAPHS[pair]
                if pair in ("μπ", "ντ", "γκ") and i > 0:  # b, d, g only at the start of a word
                    spoken = {"μπ": "mb", "ντ": "nd", "γκ": "ng"}[pair]
                latin += spoken if phonetic else elot
                i += 2
                continue
            c = lower[i]
            latin += {"υ": "i", "χ": "h"}.get(c, EL.get(c, c)) if phonetic else EL.get(c, c)
            i += 1
        out.append(latin.capitalize())
    return " ".join(out)


def translit_ar(text: str, rng: random.Random) -> str:
    out = []
    for word in text.split():
        prefix = ""
        if word.startswith("ال") and len(word) > 2:
            prefix, word = rng.choice(["al-", "el-", "Al-", "al "]), word[2:]
        letters = [AR.get(c, "") for c in word if not "\u064b" <= c <= "\u0652"]
        latin = ""
        for i, piece in enumerate(letters):
            latin += piece
            nxt = letters[i + 1] if i + 1 < len(letters) else ""
            if piece and piece not in "aiu" and nxt and nxt[0] not in "aiuwy" and rng.random() < 0.7:
                latin += rng.choice("aaeiou")  # short vowels are not written in Arabic; people write them in
        latin = latin.replace("w", rng.choice(["w", "ou", "u", "o"]))
        out.append(prefix + latin.capitalize())
    return " ".join(out)


def translit_hi(text: str) -> str:
    out = []
    for word in text.split():
        latin, pending = "", False
        for c in word:
            if c in HI_CONSONANTS:
                latin += ("a" if pending else "") + HI_CONSONANTS[c]
                pending = True
            elif c in HI_SIGNS:
                latin += HI_SIGNS[c]
                pending = False
            elif c == "्":
                pending = False
            elif c in HI_VOWELS:
                latin += ("a" if pending else "") + HI_VOWELS[c]
                pending = False
            elif c in "ंँ":
                latin += ("a" if pending else "") + "n"
                pending = False
        out.append(latin.capitalize())
    return " ".join(out)


def typo(word: str, rng: random.Random) -> str:
    """One slip: a letter replaced, added, dropped, or two neighbours swapped (never the first letter)."""
    lower = word.lower()
    alphabet = next((a for a in ALPHABETS.values() if any(c in a for c in lower)), ALPHABETS["latin"])
    i = rng.randrange(1, len(word)) if len(word) > 1 else 0
    kind = rng.choice(["sub", "ins", "del", "swap"] if len(word) > 2 else ["sub", "ins"])
    letter = rng.choice([c for c in alphabet if c != lower[i]])
    if kind == "sub":
        return word[:i] + letter + word[i + 1 :]
    if kind == "ins":
        return word[:i] + letter + word[i:]
    if kind == "del":
        return word[:i] + word[i + 1 :]
    i = max(i, 1)
    if i >= len(word) - 1:
        i = len(word) - 2
    if word[i] == word[i + 1]:
        return word[:i] + letter + word[i + 1 :]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


# --- people ------------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Person:
    locale: str
    given: str
    family: str
    patronymic: str = ""  # Russian rosters: "Family Given Patronymic"
    second_family: str = ""  # Spanish: two family names
    romaji: tuple[str, str] | None = None  # Japanese: (given, family) as the person writes them in Latin letters
    spaced: bool = True  # CJK: the roster writes a space between family and given name
    affiliation: str = ""
    email: str = ""
    external_id: str = ""
    entry_id: int | None = None

    @property
    def roster_name(self) -> str:
        if self.locale in CJK:
            return self.family + (" " if self.spaced else "") + self.given
        if self.patronymic:
            return f"{self.family} {self.given} {self.patronymic}"
        if self.second_family:
            return f"{self.given} {self.family} {self.second_family}"
        return f"{self.given} {self.family}"


class People:
    """Faker per locale, seeded; makes people with gender-consistent names in the forms rosters use."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fakes = {}
        for n, locale in enumerate(LOCALES):
            fake = Faker(locale)
            fake.seed_instance(seed * 1000 + n)
            self.fakes[locale] = fake
        self.locales, self.weights = list(LOCALES), list(LOCALES.values())

    def person(self, locale: str | None = None) -> Person:
        rng = self.rng
        locale = locale or rng.choices(self.locales, self.weights)[0]
        fake = self.fakes[locale]
        female = rng.random() < 0.5
        if locale == "ja_JP":
            given = fake.first_name_female_pair() if female else fake.first_name_male_pair()
            family = fake.last_name_pair()
            return Person(locale, given[0], family[0], romaji=(given[2], family[2]), spaced=rng.random() < 0.5)
        first = fake.first_name_female() if female else fake.first_name_male()
        last = fake.last_name_female() if female else fake.last_name_male()
        if locale in ("zh_CN", "ko_KR"):
            return Person(locale, first, last, spaced=rng.random() < (0.2 if locale == "zh_CN" else 0.1))
        person = Person(locale, first, last)
        if locale == "en_US" and rng.random() < 0.4:
            names = [n for n in NICKNAMES if (n in FEMALE_NAMES) == female]
            person.given = rng.choice(names)
        if locale == "ru_RU" and rng.random() < 0.35:
            person.patronymic = fake.middle_name_female() if female else fake.middle_name_male()
        if locale == "es_ES" and rng.random() < 0.5:
            person.second_family = fake.last_name()
        return person


def romanize(person: Person, rng: random.Random) -> str:
    """How the person writes the roster name in Latin letters."""
    locale, name = person.locale, person.roster_name
    if locale == "ru_RU":
        return translit_ru(name, rng)
    if locale == "uk_UA":
        return translit_uk(name, rng)
    if locale == "el_GR":
        return translit_el(name, rng)
    if locale in ("ar_AA", "fa_IR"):
        return translit_ar(name, rng)
    if locale == "hi_IN":
        return translit_hi(name)
    if locale in CJK:
        if locale == "ja_JP":
            given, family = person.romaji
        elif locale == "zh_CN":
            given = "".join(anyascii(c) for c in person.given).lower().capitalize()
            family = anyascii(person.family).lower().capitalize()
        else:
            conventional = rng.random() < 0.5
            syllables = [
                rng.choice(KO_SYLLABLES[c]) if conventional and c in KO_SYLLABLES else anyascii(c).lower()
                for c in person.given
            ]
            joiner = rng.choice(["", "", "-"])
            given = joiner.join(syllables).capitalize()
            family = rng.choice(KO_FAMILY.get(person.family, [anyascii(person.family).lower().capitalize()]))
        return rng.choice([f"{given} {family}", f"{family} {given}", f"{family.upper()} {given}"])
    return name


# --- claims ------------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Claim:
    case: str
    member: bool  # the ground truth: the signer is on the claimed affiliation's roster
    affiliation: str
    full_name: str
    email: str
    roster_email: str = ""
    signer: Person | None = None  # member claims: the member who signs
    target: Person | None = None  # impostor claims: the member they pass for
    note: str = ""
    signature_id: int | None = None
    outcome: str = "not signed"
    method: str = ""
    detail: str = ""
    evidence_entry: int | None = None
    candidates: list = field(default_factory=list)
    shown_name: str = ""  # the name the public sees with the badge, when it is the roster's, not the typed one
    challenged: list = field(default_factory=list)  # roster entry ids a challenge was sent to

    @property
    def subject(self) -> Person | None:
        return self.signer or self.target


@dataclass
class Case:
    name: str
    member: bool
    per_2000: int
    pool: object  # Person -> bool, or None for claims about nobody on the roster
    build: object  # (Person | None, Context) -> Claim | None
    address_share: float | None = None  # draw this share of the pool's members with a roster address, the rest without


class Context:
    def __init__(self, people: People, roster: list[Person], rng: random.Random) -> None:
        self.people, self.roster, self.rng = people, roster, rng
        self.counter = 0
        from verification.names import name_key

        self.name_key = name_key
        self.roster_keys = {name_key(p.roster_name) for p in roster}

    def personal(self, name: str) -> str:
        return self.address_at(name, self.rng.choice(PERSONAL_DOMAINS))

    def address_at(self, name: str, domain: str) -> str:
        """A new address (never on the roster: the roster's have no number after a dot)."""
        self.counter += 1
        return f"{slug(name, 20)}.{self.counter}@{domain}"

    def outsider(self) -> Person:
        """Someone who is not on the roster (not even under the same normalised name)."""
        while True:
            person = self.people.person()
            if self.name_key(person.roster_name) not in self.roster_keys:
                return person


def has_address(p: Person) -> bool:
    return bool(p.email)


def member(case: str, p: Person, ctx: Context, name: str, email: str = "", **extra) -> Claim:
    return Claim(case, True, p.affiliation, name, email or ctx.personal(name), signer=p, **extra)


def impostor(case: str, p: Person, ctx: Context, name: str, email: str = "", **extra) -> Claim:
    return Claim(case, False, p.affiliation, name, email or ctx.personal(name), target=p, **extra)


def tagged(address: str, rng: random.Random) -> str:
    local, domain = address.split("@")
    style = rng.choice(["tag", "case", "both"])
    if style in ("tag", "both"):
        local += "+" + rng.choice(["letters", "petitions", "news", "x"])
    if style in ("case", "both"):
        local, domain = local.capitalize(), domain.upper() if rng.random() < 0.5 else domain
    return f"{local}@{domain}"


def can_imitate(address: str) -> bool:
    return any(c in HOMOGLYPHS for c in address.split("@")[1].split(".")[0])


def lookalike(address: str, rng: random.Random, punycode: bool) -> str | None:
    from signatures.addresses import canonical_domain

    local, domain = address.split("@")
    label, _, rest = domain.partition(".")
    spots = [i for i, c in enumerate(label) if c in HOMOGLYPHS]
    if not spots:
        return None
    i = rng.choice(spots)
    fake = label[:i] + HOMOGLYPHS[label[i]] + label[i + 1 :] + "." + rest
    return f"{local}@{canonical_domain(fake) if punycode else fake}"


def initial_form(p: Person, rng: random.Random) -> str:
    given = p.given.split()[0]
    family = p.family + (" " + p.second_family if p.second_family else "")
    styles = [f"{given[0]}. {family}", f"{given[0]}. {family}", f"{given[0]} {family}", f"{family} {given[0]}."]
    if p.patronymic:
        styles = [f"{given[0]}. {p.patronymic[0]}. {family}", f"{family} {given[0]}. {p.patronymic[0]}."]
    return rng.choice(styles)


def swapped(p: Person, rng: random.Random) -> str:
    if p.patronymic:
        return f"{p.given} {p.patronymic} {p.family}"
    family = p.family + (" " + p.second_family if p.second_family else "")
    return rng.choice([f"{family}, {p.given}", f"{family} {p.given}", f"{family.upper()} {p.given}"])


def one_typo(name: str, rng: random.Random) -> tuple[str, str]:
    words = name.split()
    k = rng.randrange(len(words))
    words[k] = typo(words[k], rng)
    return " ".join(words), f"typo in a {len(name.split()[k])}-letter word"


def cjk_respaced(p: Person) -> str:
    return p.family + ("" if p.spaced else " ") + p.given


def dropped(p: Person) -> str:
    return f"{p.given} {p.family}"


def nickname(p: Person, rng: random.Random) -> str:
    return f"{rng.choice(NICKNAMES[p.given])} {p.family}"


def cases() -> list[Case]:
    """Every case, with its ground truth, its size for a 2,000-member roster, the pool of roster members it draws
    from (each member is the subject of one claim at most), and how its claim is made."""
    a = has_address

    def with_typo(p, ctx, who):
        name, note = one_typo(p.roster_name, ctx.rng)
        return who("", p, ctx, name, note=note)

    return [
        # Members.
        Case("M roster address, exact", True, 100, a, lambda p, c: member("", p, c, p.roster_name, p.email)),
        Case(
            "M roster address, +tag/case",
            True,
            60,
            a,
            lambda p, c: member("", p, c, p.roster_name, tagged(p.email, c.rng)),
        ),
        Case(
            "M roster address, name in Latin",
            True,
            40,
            lambda p: a(p) and p.locale in ROMANIZED,
            lambda p, c: member("", p, c, romanize(p, c.rng), p.email, note=p.locale),
        ),
        Case("M personal, name as on roster", True, 120, a, lambda p, c: member("", p, c, p.roster_name)),
        Case(
            "M personal, translit Cyrillic/Greek",
            True,
            100,
            lambda p: a(p) and p.locale in CYRILLIC_GREEK,
            lambda p, c: member("", p, c, romanize(p, c.rng), note=p.locale),
        ),
        Case(
            "M personal, translit Arabic/Hindi",
            True,
            40,
            lambda p: a(p) and p.locale in ("ar_AA", "hi_IN"),
            lambda p, c: member("", p, c, romanize(p, c.rng), note=p.locale),
        ),
        Case(
            "M personal, CJK in Latin letters",
            True,
            100,
            lambda p: a(p) and p.locale in CJK,
            lambda p, c: member("", p, c, romanize(p, c.rng), note=p.locale),
        ),
        Case(
            "M personal, CJK spacing changed",
            True,
            50,
            lambda p: a(p) and p.locale in CJK,
            lambda p, c: member("", p, c, cjk_respaced(p), note=p.locale),
        ),
        Case(
            "M personal, nickname",
            True,
            60,
            lambda p: a(p) and p.given in NICKNAMES,
            lambda p, c: member("", p, c, nickname(p, c.rng)),
        ),
        Case(
            "M personal, initial",
            True,
            60,
            lambda p: a(p) and p.locale in ALPHABETIC,
            lambda p, c: member("", p, c, initial_form(p, c.rng)),
        ),
        Case(
            "M personal, order swapped",
            True,
            60,
            lambda p: a(p) and p.locale not in CJK,
            lambda p, c: member("", p, c, swapped(p, c.rng)),
        ),
        Case(
            "M personal, one-letter typo",
            True,
            80,
            lambda p: a(p) and p.locale in ALPHABETIC,
            lambda p, c: with_typo(p, c, member),
        ),
        Case(
            "M personal, middle/2nd name dropped",
            True,
            40,
            lambda p: a(p) and bool(p.patronymic or p.second_family),
            lambda p, c: member("", p, c, dropped(p)),
        ),
        Case("M no roster address", True, 120, lambda p: not a(p), lambda p, c: member("", p, c, p.roster_name)),
        Case(
            "M roster_email field given",
            True,
            60,
            a,
            lambda p, c: member("", p, c, p.roster_name, roster_email=p.email),
        ),
        Case(
            "M other address at policy domain",
            True,
            30,
            lambda p: a(p) and p.affiliation == POLICY,
            lambda p, c: member("", p, c, p.roster_name, c.address_at(p.roster_name, POLICY_DOMAIN)),
        ),
        # Non-members.
        Case(
            "N impostor, member's exact name",
            False,
            80,
            lambda p: True,
            lambda p, c: impostor("", p, c, p.roster_name, note="target has address" if p.email else "no address"),
            address_share=0.8,
        ),
        Case(
            "N impostor, one letter off a member",
            False,
            60,
            lambda p: p.locale in ALPHABETIC,
            lambda p, c: with_typo(p, c, impostor),
            address_share=0.8,
        ),
        Case(
            "N impostor, member's roster_email",
            False,
            30,
            a,
            lambda p, c: impostor("", p, c, p.roster_name, roster_email=p.email),
        ),
        Case(
            "N lookalike domain (homoglyph)",
            False,
            40,
            lambda p: a(p) and can_imitate(p.email),
            lambda p, c: impostor("", p, c, p.roster_name, lookalike(p.email, c.rng, punycode=False)),
        ),
        Case(
            "N lookalike domain (punycode)",
            False,
            30,
            lambda p: a(p) and can_imitate(p.email),
            lambda p, c: impostor("", p, c, p.roster_name, lookalike(p.email, c.rng, punycode=True)),
        ),
        Case(
            "N roster address, another name",
            False,
            40,
            a,
            lambda p, c: impostor("", p, c, c.outsider().roster_name, p.email),
        ),
        Case("N subdomain of policy domain", False, 40, None, lambda p, c: outsider_at(c, SUBDOMAIN)),
        Case("N ex-member at policy domain [P]", False, 30, None, lambda p, c: outsider_at(c, POLICY_DOMAIN)),
        Case("N random non-member", False, 150, None, lambda p, c: outsider_at(c, "")),
    ]


def outsider_at(ctx: Context, domain: str) -> Claim:
    person = ctx.outsider()
    name = person.roster_name
    if domain:
        return Claim("", False, POLICY, name, ctx.address_at(name, domain))
    return Claim("", False, ctx.rng.choice([POLICY, OPEN]), name, ctx.personal(name))


POLICY_DECLARED = "N ex-member at policy domain [P]"


# --- the run -----------------------------------------------------------------------------------------------------


def make_roster(people: People, size: int, rng: random.Random) -> list[Person]:
    from signatures.addresses import email_key

    roster, keys = [], set()
    for n in range(size):
        person = people.person()
        person.affiliation = POLICY if rng.random() < 0.35 else OPEN
        person.external_id = f"M{n:06d}"
        if rng.random() < 0.8:
            given, family = slug(person.given, 12), slug(person.family, 16)
            while True:
                if person.affiliation == POLICY:
                    address = f"{given[:1]}.{family}@{POLICY_DOMAIN}"
                else:
                    address = f"{given}.{family}@{rng.choice(PERSONAL_DOMAINS)}"
                if email_key(address) in keys:
                    local, domain = address.split("@")
                    address = f"{local}{rng.randrange(2, 999)}@{domain}"
                if email_key(address) not in keys:
                    break
            keys.add(email_key(address))
            person.email = address
        roster.append(person)
    return roster


def roster_csv(members: list[Person]) -> bytes:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["full_name", "email", "external_id"])
    for p in members:
        writer.writerow([p.roster_name, p.email, p.external_id])
    return out.getvalue().encode("utf-8")


def make_claims(roster: list[Person], ctx: Context, scale: float) -> list[Claim]:
    """Each case draws its subjects at random from the members no earlier case used."""
    used: set[int] = set()
    claims: list[Claim] = []
    shortfall = {}
    for case in cases():
        wanted = max(1, round(case.per_2000 * scale))
        if case.pool is None:
            for _ in range(wanted):
                claim = case.build(None, ctx)
                claim.case = case.name
                claims.append(claim)
            continue
        if case.address_share is None:
            draws = [(case.pool, wanted)]
        else:
            addressed = round(wanted * case.address_share)
            draws = [
                (lambda p, pool=case.pool: pool(p) and bool(p.email), addressed),
                (lambda p, pool=case.pool: pool(p) and not p.email, wanted - addressed),
            ]
        made = 0
        for pool, count in draws:
            order = list(range(len(roster)))
            ctx.rng.shuffle(order)
            taken = 0
            for i in order:
                if taken == count:
                    break
                if i in used or not pool(roster[i]):
                    continue
                claim = case.build(roster[i], ctx)
                used.add(i)
                claim.case = case.name
                claims.append(claim)
                taken += 1
            made += taken
        if made < wanted:
            shortfall[case.name] = (made, wanted)
    for name, (made, wanted) in shortfall.items():
        print(f"  (roster too small for {name!r}: {made} of {wanted} claims)")
    ctx.rng.shuffle(claims)
    return claims


def code_fingerprint() -> str:
    """Which matcher ran: a hash of the verification code and the time of its latest change (it evolves)."""
    import hashlib
    from datetime import datetime

    files = sorted(
        [*(ROOT / "verification").rglob("*.py"), *(ROOT / "signatures" / "addresses").rglob("*.py")],
        key=lambda f: str(f),
    )
    files = [f for f in files if "migrations" not in f.parts]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:12]
    latest = datetime.fromtimestamp(max(f.stat().st_mtime for f in files)).isoformat(" ", "seconds")
    return f"verification code {digest} ({len(files)} files in verification/, signatures/addresses/; changed {latest})"


def run(args, db_name: str) -> None:
    import django

    django.setup()
    from django.core import mail
    from django.core.management import call_command

    from undersigned.celery import app as celery_app

    celery_app.conf.task_always_eager = True
    logging.getLogger("kombu").setLevel(logging.ERROR)  # "no hostname supplied": there is no broker, on purpose
    logging.getLogger("django.request").setLevel(logging.ERROR)  # answers to closed links (400) are counted instead
    mail.outbox = []

    timings: dict[str, float] = {}
    began = time.perf_counter()
    print(code_fingerprint())
    print(f"Throw-away database {db_name}: migrating …", flush=True)
    call_command("migrate", verbosity=0)
    timings["migrate"] = time.perf_counter() - began

    from petitions.models import Petition
    from verification.models import Affiliation, RosterEntry
    from verification.rosters import import_roster

    rng = random.Random(args.seed)
    t = time.perf_counter()
    people = People(args.seed)
    roster = make_roster(people, args.members, rng)
    ctx = Context(people, roster, random.Random(args.seed + 1))
    claims = make_claims(roster, ctx, args.members / 2000)
    timings["generate roster and claims"] = time.perf_counter() - t

    t = time.perf_counter()
    affiliations = {
        POLICY: Affiliation(
            slug=POLICY,
            name="Org Example staff",
            email_domains=POLICY_DOMAIN,
            domain_policy=True,
            domain_subdomains=False,
        ),
        OPEN: Affiliation(slug=OPEN, name="Sora alpha artists"),
    }
    for affiliation in affiliations.values():
        affiliation.full_clean()
        affiliation.save()
        members = [p for p in roster if p.affiliation == affiliation.slug]
        import_roster(affiliation, roster_csv(members), f"{affiliation.slug}.csv", replace=True)
    entry_ids = dict(RosterEntry.objects.values_list("external_id", "pk"))
    for p in roster:
        p.entry_id = entry_ids[p.external_id]
    letter = Petition.objects.create(title="Quality letter", slug="quality-letter", body="We, the undersigned.")
    letter.affiliations.add(*affiliations.values())
    letter.publish()
    timings["import rosters"] = time.perf_counter() - t
    with_address = sum(1 for p in roster if p.email)
    print(
        f"Roster: {len(roster):,} members ({with_address:,} with a roster address, "
        f"{len(roster) - with_address:,} without) in {len(LOCALES)} locales; "
        f"{sum(p.affiliation == POLICY for p in roster):,} at {POLICY} (domain policy on {POLICY_DOMAIN}, "
        f"subdomains off), the rest at {OPEN} (no domain policy)."
    )
    print(f"Claims: {len(claims):,} ({sum(c.member for c in claims):,} by members), answers: {args.answers}.")

    simulate(args, letter, claims, roster, timings)


def simulate(args, letter, claims: list[Claim], roster: list[Person], timings: dict) -> None:
    from django.core import mail
    from django.test import Client
    from django.utils import timezone

    from front.forms import SignatureForm
    from signatures import services
    from verification import challenges
    from verification import claims as claim_checks
    from verification.models import RosterChallenge

    rng = random.Random(args.seed + 2)
    client = Client()
    by_entry = {p.entry_id: p for p in roster}
    by_signature: dict[int, Claim] = {}
    answers = Counter()
    misaddressed = []
    refused = []
    later: list = []

    def answer(message) -> None:
        token = LINK.search(message.body).group(1)
        challenge = RosterChallenge.objects.get(pk=challenges.read(token))
        recipient = by_entry[challenge.roster_entry_id]
        claim = by_signature[challenge.signature_id]
        claim.challenged.append(challenge.roster_entry_id)
        if message.to != [recipient.email] or challenge.address != recipient.email:
            misaddressed.append((claim, message.to))
        if claim.signer is recipient:
            choice = "yes"
        elif rng.random() < args.no_probability:
            choice = "no"
        else:
            answers["bystander ignored"] += 1
            return
        response = client.post(f"/signatures/challenge/{token}/", {"answer": choice})
        who = "signer" if choice == "yes" else "bystander"
        answers[f"{who} {choice}: " + ("recorded" if response.status_code == 200 else "link closed already")] += 1

    t = time.perf_counter()
    for claim in claims:
        data = {
            "full_name": claim.full_name,
            "email": claim.email,
            "affiliation": claim.affiliation,
            "roster_email": claim.roster_email,
            "public": "on",
        }
        form = SignatureForm(data, petition=letter)
        if not form.is_valid():
            refused.append((claim, form.errors.as_text()))
            continue
        signature = services.sign(letter, form.signature_details(), send_email=False)
        claim.signature_id = signature.pk
        by_signature[signature.pk] = claim
        sent = len(mail.outbox)
        services.confirm(signature.pk)  # the claim check and the challenge emails run on commit, in-process
        if args.answers == "prompt":
            for message in mail.outbox[sent:]:
                challenge_id = challenges.read(LINK.search(message.body)[1])
                entry_id = RosterChallenge.objects.values_list("roster_entry_id", flat=True).get(pk=challenge_id)
                if claim.signer is by_entry[entry_id]:
                    answer(message)
                else:
                    later.append(message)
    timings["sign + confirm + check (in-process)"] = time.perf_counter() - t
    signed = len(by_signature)

    t = time.perf_counter()
    if args.answers == "batch":
        later = list(mail.outbox)
    rng.shuffle(later)
    for message in later:
        answer(message)
    timings["members answer (challenge page POSTs)"] = time.perf_counter() - t

    t = time.perf_counter()
    RosterChallenge.objects.open().update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = 0
    while True:
        done = claim_checks.expire_challenges()
        expired += done
        if not done:
            break
    timings["expire the rest"] = time.perf_counter() - t

    collect(claims)
    report(args, claims, roster, timings, len(mail.outbox), signed, answers, expired, misaddressed, refused)


def collect(claims: list[Claim]) -> None:
    from signatures.models import Signature

    rows = Signature.objects.filter(pk__in=[c.signature_id for c in claims if c.signature_id]).values_list(
        "pk",
        "verification",
        "evidence__method",
        "evidence__detail",
        "evidence__roster_entry_id",
        "evidence__candidates",
        "evidence__shown_name",
    )
    found = {row[0]: row[1:] for row in rows}
    for claim in claims:
        if claim.signature_id in found:
            (claim.outcome, claim.method, claim.detail, claim.evidence_entry, claim.candidates, claim.shown_name) = (
                found[claim.signature_id]
            )
            claim.candidates = claim.candidates or []
            claim.shown_name = claim.shown_name or ""


# --- the report --------------------------------------------------------------------------------------------------


def why(claim: Claim) -> str:
    """For a member's claim that did not end verified: the reason, in the report's words."""
    own = claim.signer.entry_id
    listed = [c.get("entry") for c in claim.candidates if isinstance(c, dict)]
    if claim.outcome == "disputed":
        if claim.method == "email":
            return "typed name judged incompatible with the roster name at the roster address"
        if claim.evidence_entry != own:
            return "a bystander candidate answered 'no' (cancelling the signer's own challenge)"
        return "disputed by the member's own entry"
    if claim.outcome == "needs_review":
        if "no challenge could be sent" in claim.detail:
            return "challenge not sent: the entry's challenge was open for another claim, or its daily cap"
        if own not in listed:
            return "review, but the member's entry is not among the candidates"
        if not claim.signer.email:
            return "no roster address: a moderator decides (expected)"
        return "review with the member's entry among the candidates (it had an address)"
    if claim.outcome == "unverified":
        if own not in listed:
            return "the name engine did not list the member's entry as a candidate"
        if own not in claim.challenged:
            return "listed, but no challenge reached the member's address"
        return "challenge reached the member but the claim ended unverified"
    if claim.outcome == "pending":
        return "still pending"
    return claim.outcome


def own_score(claim: Claim) -> str:
    """The engine's loose score of the typed name against the signer's own roster name (why it was or wasn't listed)."""
    from django.conf import settings

    try:
        from verification.candidates import best_match, name_forms

        match = best_match(name_forms(claim.full_name), name_forms(claim.signer.roster_name), loose=True)
    except Exception as error:  # the engine's API may move on; the report must not die of it
        return f"own score: n/a ({error.__class__.__name__})"
    threshold = settings.NAME_MATCH_THRESHOLD / 100
    if match is None:
        return "own entry: no name match at all"
    side = "< threshold" if match[0] < threshold else ">="
    return f"own entry scores {match[0]:.3f} {side} {threshold:.2f} ({match[1]})"


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def report(args, claims, roster, timings, emails, signed, answers, expired, misaddressed, refused) -> None:
    names = [c.name for c in cases()]
    by_case: dict[str, list[Claim]] = defaultdict(list)
    for claim in claims:
        by_case[claim.case].append(claim)

    width = max(map(len, names)) + 2
    print("\n== Outcomes per case (M = members, N = non-members; [P] = policy-declared, see below)")
    header = f"{'case':<{width}}{'n':>5}" + "".join(f"{o:>13}" for o in OUTCOMES) + f"{'other':>8}{'emails':>8}"
    print(header)
    print("-" * len(header))
    for name in names:
        rows = by_case.get(name, [])
        if not rows:
            continue
        counts = Counter(c.outcome for c in rows)
        other = len(rows) - sum(counts[o] for o in OUTCOMES)
        sent = sum(len(c.challenged) for c in rows)
        print(
            f"{name:<{width}}{len(rows):>5}"
            + "".join(f"{counts[o]:>13}" for o in OUTCOMES)
            + f"{other:>8}{sent / len(rows):>8.2f}"
        )
    total = Counter(c.outcome for c in claims)
    print("-" * len(header))
    print(f"{'all claims':<{width}}{len(claims):>5}" + "".join(f"{total[o]:>13}" for o in OUTCOMES))
    print("(emails: challenge emails per claim of the case that reached a roster address, answered or not)")

    members = [c for c in claims if c.member]
    outsiders = [c for c in claims if not c.member and c.case != POLICY_DECLARED]
    declared = [c for c in claims if c.case == POLICY_DECLARED]
    # A roster address confirmed under another name is shown under the roster member's own name (the mailbox's
    # owner confirmed): the badge is true of the name shown. A false badge is a badge on a name that is not theirs.
    under_roster_name = [c for c in outsiders if c.outcome == "verified" and c.shown_name]
    false_badges = [c for c in outsiders if c.outcome == "verified" and not c.shown_name]
    found = [c for c in members if c.outcome in ("verified", "needs_review")]
    addressed = [c for c in members if c.signer.email]
    addressed_verified = [c for c in addressed if c.outcome == "verified"]
    human = [c for c in claims if c.outcome in ("needs_review", "disputed")]
    review = [c for c in claims if c.outcome == "needs_review"]
    no_address = [c for c in members if not c.signer.email]
    human_share = 100 * len(human) / len(claims)
    no_address_share = 100 * len(no_address) / len(claims)

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print("\n== Figures (targets in brackets)")
    print(
        f"false badges: {len(false_badges)} non-members ended verified, of {len(outsiders)} "
        f"(policy-declared case excluded) [must be 0: {verdict(not false_badges)}]"
    )
    print(
        f"shown under the roster member's own name: {len(under_roster_name)} claims that confirmed a member's roster "
        "address under another name are shown with the roster's name, never the typed one"
    )
    print(
        f"policy-declared badges: {sum(c.outcome == 'verified' for c in declared)} of {len(declared)} ex-members "
        f"signing from {POLICY_DOMAIN} ended verified: the affiliation's domain policy declares every address at "
        "that domain membership, so the badge is the organiser's declaration, not a false badge of the matcher"
    )
    print(
        f"members found: {len(found)}/{len(members)} = {pct(len(found), len(members))} ended verified or "
        f"needs_review [>= 98%: {verdict(len(found) >= 0.98 * len(members))}]"
    )
    print(
        f"members with a roster address verified without a human: {len(addressed_verified)}/{len(addressed)} = "
        f"{pct(len(addressed_verified), len(addressed))} [>= 98%: "
        f"{verdict(len(addressed_verified) >= 0.98 * len(addressed))}]"
    )
    print(
        f"claims left to a human (needs_review + disputed): {len(human)}/{len(claims)} = {human_share:.1f}% "
        f"(needs_review {len(review)}, disputed {total['disputed']}); member claims whose entry has no roster "
        f"address: {len(no_address)}/{len(claims)} = {no_address_share:.1f}% of all claims "
        f"[human share <= {no_address_share:.1f} + 2 points: {verdict(human_share <= no_address_share + 2)}]"
    )
    member_emails = sum(len(c.challenged) for c in members)
    print(
        f"challenge emails to roster addresses: {emails} for {len(claims)} claims = {emails / len(claims):.2f} per "
        f"claim (members' claims {member_emails / max(1, len(members)):.2f}, "
        f"non-members' {(emails - member_emails) / max(1, len(claims) - len(members)):.2f})"
    )

    print("\n== Breakdown")
    print(
        "left to a human, by who signed: "
        + ", ".join(
            f"{label} {outcome} {n}"
            for (label, outcome), n in sorted(
                Counter(("member" if c.member else "non-member", c.outcome) for c in human).items()
            )
        )
    )
    review_share = 100 * len(review) / len(claims)
    print(
        f"claims awaiting a moderator's decision (needs_review; a dispute is settled by the roster member's 'no' "
        f"and is listed first in the queue for moderators to see): {review_share:.1f}% of claims "
        f"[<= {no_address_share:.1f} + 2 points: "
        f"{verdict(review_share <= no_address_share + 2)}]; of it, members without a roster address "
        f"{sum(1 for c in review if c.member and not c.signer.email)}, other members "
        f"{sum(1 for c in review if c.member and c.signer.email)}, non-members {sum(1 for c in review if not c.member)}"
    )
    member_human = [c for c in human if c.member]
    print(
        f"member claims left to a human: {len(member_human)}/{len(members)} = {pct(len(member_human), len(members))}; "
        f"members without a roster address: {len(no_address)}/{len(members)} = {pct(len(no_address), len(members))}"
    )
    per_entry = Counter(entry for c in claims for entry in c.challenged)
    print(
        f"roster entries that received a challenge: {len(per_entry)}; most to one entry: "
        f"{max(per_entry.values(), default=0)}; challenges expired unanswered: {expired}"
    )
    print("members' answers: " + ", ".join(f"{k} {v}" for k, v in sorted(answers.items())))
    print(f"challenge emails not addressed to the roster address of their entry: {len(misaddressed)} [must be 0]")
    if refused:
        print(
            f"claims the signing form refused ({len(refused)}): " + "; ".join(f"{c.email}: {e}" for c, e in refused[:5])
        )
    print(f"claims signed: {signed} of {len(claims)}")

    print("\n== Members not verified, by case and reason")
    for name in names:
        rows = [c for c in by_case.get(name, []) if c.member and c.outcome != "verified"]
        if not rows:
            continue
        reasons = Counter(why(c) for c in rows)
        print(f"{name} ({len(rows)} of {len(by_case[name])}):")
        notes = Counter(c.note for c in by_case[name] if c.note)
        if len(notes) > 1:
            ok = Counter(c.note for c in by_case[name] if c.note and c.outcome == "verified")
            print("  verified by " + ", ".join(f"{note}: {ok[note]}/{n}" for note, n in sorted(notes.items())))
        for reason, n in reasons.most_common():
            print(f"  {n:>4}  {reason}")
            shown = 0
            for c in rows:
                if why(c) != reason or shown == args.examples:
                    continue
                shown += 1
                top = ", ".join(f"{x['name']} {x['score']} ({x['reason']})" for x in c.candidates[:3]) or "none"
                extra = f" [{c.note}]" if c.note else ""
                print(f"          typed {c.full_name!r} for roster {c.signer.roster_name!r}{extra}")
                print(f"            candidates: {top}; {own_score(c)}")

    if false_badges:
        print("\n== FALSE BADGES")
        for c in false_badges:
            target = c.target.roster_name if c.target else "nobody"
            print(f"  {c.case}: {c.full_name!r} <{c.email}> as {target!r}: {c.method}: {c.detail}")

    print("\n== Timings")
    for label, seconds in timings.items():
        print(f"{label}: {seconds:.1f} s")
    if "sign + confirm + check (in-process)" in timings:
        print(f"  = {signed / timings['sign + confirm + check (in-process)']:.0f} claims/s signed, confirmed, checked")

    if args.dump:
        import csv

        with open(args.dump, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["case", "member", "typed", "email", "roster_email", "roster_name", "outcome", "method"])
            for c in claims:
                roster_name = c.subject.roster_name if c.subject else ""
                writer.writerow(
                    [c.case, c.member, c.full_name, c.email, c.roster_email, roster_name, c.outcome, c.method]
                )
        print(f"per-claim results written to {args.dump}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=2000, help="roster members (2,000); claims scale with it")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--answers", choices=["batch", "prompt"], default="batch")
    parser.add_argument(
        "--no-probability",
        type=float,
        default=0.5,
        help="chance that a member challenged about someone else's signature answers 'no' (else ignores it)",
    )
    parser.add_argument("--examples", type=int, default=3, help="examples shown per failing case and reason")
    parser.add_argument("--dump", help="write every claim and its outcome to this CSV file")
    args = parser.parse_args()

    started = time.perf_counter()
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        sys.exit("bench/verification_quality.py needs DATABASE_URL=postgres://… (as `make bench` sets it).")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.pop("CELERY_BROKER_URL", None)  # tasks run in-process, after each commit
    os.environ["EMAIL_URL"] = "memorymail://"  # challenge emails land in django.core.mail.outbox, nowhere else
    hosts = [h for h in os.environ.get("ALLOWED_HOSTS", "localhost").split(",") if h]
    os.environ["ALLOWED_HOSTS"] = ",".join(dict.fromkeys([*hosts, "testserver"]))
    db_url, db_name = throwaway_database_url(url)
    create_database(url, db_name)
    try:
        os.environ["DATABASE_URL"] = db_url
        run(args, db_name)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(url, db_name)
        print(f"\nDropped the throw-away database {db_name}. Total {time.perf_counter() - started:.1f} s.")


if __name__ == "__main__":
    main()

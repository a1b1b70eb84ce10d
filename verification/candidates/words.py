"""Looser keys of one normalised word: how its spelling may vary without it becoming another name.

- `trans` folds the spellings transliteration conventions give one sound (Sergey/Sergei, Shchukin/Schukin,
  Zaitsev/Zaitzew, Pakhomov/Pahomov) and collapses doubled letters (Anna/Ana, Philipp/Filip).
- `skeleton` keeps only the consonants, for scripts whose vowels are unwritten or guessed: Arabic through
  anyascii gives "mhmd" for Mohamed, Devanagari "srma" for Sharma.
- `nicknames` are the names the `nicknames` package relates to this one, both ways (Bill <-> William), plus a
  short supplement of common ones its data lacks (`_MORE_NICKNAMES`).
"""

import re
from functools import lru_cache
from typing import NamedTuple

from nicknames import NickNamer

# Spellings of one sound across conventions (Russian into English, French, German; Polish; Greek; Arabic;
# Hindi), folded to one code. Upper-case letters are codes for sounds with no single Latin letter. Deliberately
# not folded: j with y (pinyin Jiang is not Yang; see `fold_j`), c before a vowel (pinyin Cai is not Kai), and
# ts (Arabic طسم is t-s-m).
_SOUNDS = {
    "shch": "S",
    "sch": "S",
    "sh": "S",
    "sz": "S",
    "tsch": "C",
    "tch": "C",
    "chh": "C",
    "ch": "C",
    "cz": "C",
    "dzh": "J",
    "dj": "J",
    "zh": "Z",
    "kh": "h",
    "ph": "f",
    "th": "t",
    "dh": "d",
    "gh": "g",
    "ck": "k",
    "tz": "ts",
    "x": "ks",
    "q": "k",
    "y": "i",
    "w": "v",
}
_SOUND_RE = re.compile("shch|tsch|sch|tch|dzh|chh|sh|sz|ch|cz|dj|zh|kh|ph|th|dh|gh|ck|tz|x|q|y|w|c(?![aeiouy])")
_DOUBLES = re.compile(r"(.)\1+")
_VOWELS = re.compile("[aeiou]")
_SEMIVOWELS = re.compile("[aeiouwy]")
# After e or i and before a consonant or the end, j writes the same glide as y: Sergej, Dmitrij. Not after a:
# in Raj, Pankaj or Faraj (فرج) it is a j.
_GLIDE_J = re.compile("(?<=[ei])j(?![aeiou])")
_FINAL_H = re.compile("(?<=[aeiou])h$")
# Initial letters that start one name in different spellings (Yulia/Julia/Iulia, Catherine/Katherine).
_INITIAL_CLASSES = {"y": "i", "j": "i", "w": "v", "c": "k", "q": "k"}


def _sound(match: re.Match[str]) -> str:
    found = match.group()
    return "k" if found == "c" else _SOUNDS[found]  # a c before a consonant or at the end: Viktor, Marc


class TokenKeys(NamedTuple):
    trans: str  # transliteration fold
    skeleton: str  # consonants of `trans`, sh merged into s, a final h (Arabic ة) dropped
    nicknames: frozenset[str]  # names it is a nickname of, or that are nicknames of it: Bill -> william, ...
    # For blocking (see index.py):
    anchor: str  # this word's half of a pair key
    tails: tuple[str, ...]  # the other half, for a full word: its first two letters (see `prefix`), its last one
    initial_tails: tuple[str, ...]  # the other half, for an initial: every first two letters it may stand for
    consonant_tail: str  # claims only: the first two consonants, as a vowelless script begins the word (Ahmed: hm)
    nickname_tails: tuple[str, ...]  # the word itself ("@bill"), then every related name ("@william", ...)


@lru_cache(maxsize=1 << 17)
def token_keys(token: str) -> TokenKeys:
    """The looser keys of one word (cached per distinct word: a big roster pays for each word once)."""
    trans = fold(token)
    skeleton = _DOUBLES.sub(r"\1", _VOWELS.sub("", trans).replace("S", "s"))
    if len(skeleton) > 1 and skeleton[-1] == "h":  # Arabic ta marbuta: Fatima = Fatimah = ftmh
        skeleton = skeleton[:-1]
    nicknames = _related_names().get(token, _NONE) if len(token) > 1 else _NONE
    return TokenKeys(
        trans=trans,
        skeleton=skeleton,
        nicknames=nicknames,
        anchor=(skeleton or "~" + trans) + "|",
        tails=("^" + prefix(token), "$" + trans[-1]),
        initial_tails=initial_tails(token),
        consonant_tail="^" + prefix(skeleton or token),
        nickname_tails=("@" + token, *sorted("@" + name for name in nicknames)) if nicknames else (),
    )


_NONE: frozenset[str] = frozenset()


@lru_cache(maxsize=1 << 14)
def consonants(token: str) -> str:
    """A word's own letters but vowels, and w and y as vowels, a final h dropped (ta marbuta: Fatimah = Fatima).

    For a script without written vowels, the letters as written count beside `skeleton`: `fold` reads two letters
    as one sound where the script has two (زاهي zhy is z-h, not zh; الطحان althn is t-h, not th), and و or ي are
    written w/y or as vowels (جوان: jwan, juan, jouan).
    """
    found = _DOUBLES.sub(r"\1", _SEMIVOWELS.sub("", token))
    return found[:-1] if len(found) > 1 and token[-1] == "h" else found


def fold(token: str) -> str:
    """The transliteration fold of a word (see the module docstring)."""
    folded = _DOUBLES.sub(r"\1", _GLIDE_J.sub("i", _SOUND_RE.sub(_sound, token)))
    return _FINAL_H.sub("", folded) or folded  # a silent final h: Sarah = Sara


def fold_j(trans: str) -> str:
    """j read as y, as German, Polish and scholarly transliterations of Cyrillic write it (Jurij = Yuriy).

    Only for comparing a Latin name with one in another alphabet: in pinyin, j and y are different sounds.
    """
    return _DOUBLES.sub(r"\1", trans.replace("j", "i")) if "j" in trans else trans


def fold_cyrillic(trans: str) -> str:
    """`fold_j`, and g read as h: the official Ukrainian transliteration writes г as h (Heorhii, Hanna, Bohdan),
    the Russian one as g (Georgiy, Ganna, Bogdan), and х is h or kh in both (already h in `trans`).

    Only for comparing a Latin name with one in Cyrillic.
    """
    return fold_j(trans).replace("g", "h")


def prefix(word: str) -> str:
    """A word's first two letters, by their initial classes: Julia, Yulia and Iulia all give "iu", Avdey and
    Awdej "av"."""
    return initial_class(word) + initial_class(word[1:2]) if len(word) > 1 else initial_class(word)


@lru_cache(maxsize=1 << 12)
def initial_tails(initial: str) -> tuple[str, ...]:
    """The prefixes an initial may stand for: "j" for any "i?" prefix, "yu" (Ю.) for "iu" only."""
    if len(initial) > 1:
        return ("^" + prefix(initial),)
    return ("^" + initial_class(initial), *("^" + initial_class(initial) + c for c in _SECOND_LETTERS))


_SECOND_LETTERS = "abdefghiklmnoprstuvxz"  # a-z as `initial_class` leaves them (no c, j, q, w, y)


@lru_cache(maxsize=1 << 12)
def vowel_tails(token: str) -> tuple[str, ...]:
    """Claims only, for a word written without vowels: the prefixes it may have once they are written in
    ("hmd" -> "ha", "he"... for Hamid, "ah", "eh"... for Ahmed)."""
    first = initial_class(token)
    return tuple(f"^{first}{v}" for v in "aeiou") + tuple(f"^{v}{first}" for v in "aeiu")


def initial_class(word: str) -> str:
    """A word's first letter, with letters that start one name in different spellings merged."""
    return _INITIAL_CLASSES.get(word[:1], word[:1])


# Common English nicknames the `nicknames` data (1.0.1, its only dataset) lacks, name -> nicknames. Checked
# against that data: each pair here is missing from it, in both directions.
_MORE_NICKNAMES = {
    "william": ("liam",),
    "katherine": ("katie",),
    "catherine": ("kate", "katie"),
    "alexander": ("xander",),
    "alexandra": ("sasha", "lexi"),
    "robert": ("robbie",),
    "jonathan": ("johnny",),
    "isabella": ("izzy",),
    "natalie": ("nat",),
}


@lru_cache(maxsize=1)
def _related_names() -> dict[str, frozenset[str]]:
    """Every name in the `nicknames` data and `_MORE_NICKNAMES` with the names it is a nickname of and the
    nicknames it has."""
    related: dict[str, set[str]] = {}
    lookup = NickNamer().nickname_lookup
    for canonical, nicknames in (*lookup.items(), *_MORE_NICKNAMES.items()):
        for nickname in nicknames:
            related.setdefault(canonical, set()).add(nickname)
            related.setdefault(nickname, set()).add(canonical)
    return {name: frozenset(others - {name}) for name, others in related.items()}

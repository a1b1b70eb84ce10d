"""Greek names in Latin letters: ELOT 743 for the roster's Greek, and a fold for the ways people write it.

anyascii reads Greek letter by letter (ου -> "oy", γγ -> "gg", ευ -> "ey"), which is how nobody writes a Greek
name. `to_latin` follows ELOT 743 (the Greek standard, used on passports), as a Greek name is most often written:
ου -> ou, αυ/ευ/ηυ -> av/ev/iv (af/ef/if before a voiceless consonant or at the end), γγ -> ng, γκ -> gk,
γξ -> nx, γχ -> nch, μπ -> mp, ντ -> nt, η -> i, υ -> y, χ -> ch, ω -> o.

Many people write their name as it sounds rather than by ELOT: Μαντώ Mando (ντ as nd), Μπακογιάννη Bakoyanni
(μπ as b, γι as y), Φωτεινός Fotinos (ει as i), Λυγκούρας Lingouras (υ as i, γκ as ng), Αικατερίνη Ekaterini
(αι as e), Χρήστος Hristos (χ as h). `to_spoken` writes a name that way, so that a roster's Greek name is
indexed under both spellings, and `fold` maps both forms to one, for comparing a name written in Greek with one
in Latin letters (never two Latin names: "nt" and "d" are different letters in Anton and Adon).
"""

import re
import unicodedata
from functools import lru_cache

from .words import fold as _trans_fold

_LETTERS = {
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
_DIGRAPHS = {"ου": "ou", "γγ": "ng", "γκ": "gk", "γξ": "nx", "γχ": "nch", "μπ": "mp", "ντ": "nt"}
_U_DIPHTHONGS = {"α": "a", "ε": "e", "η": "i"}  # before υ: av/ev/iv, or af/ef/if
_VOICELESS = frozenset("θκξπσςτφχψ")
GREEK_RE = re.compile("[\u0370-\u03ff\u1f00-\u1fff]")


def _romanise(word: str, digraphs: dict[str, str], stops: dict[str, tuple[str, str]], letters: dict[str, str]) -> str:
    """One word's Greek letters in Latin by these rules; any other characters are kept as they are.

    `stops` are digraphs written one way at the start of a word and another inside it (μπ: b, mb).
    """
    # Accents go, the diaeresis too: αϊ is written like αι.
    text = "".join(c for c in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(c))
    out = []
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in stops:
            out.append(stops[pair][i > 0])
            i += 2
        elif pair in digraphs:
            out.append(digraphs[pair])
            i += 2
        elif pair[:1] in _U_DIPHTHONGS and pair[1:] == "υ":
            after = text[i + 2 : i + 3]
            out.append(_U_DIPHTHONGS[pair[0]] + ("f" if not after or after in _VOICELESS else "v"))
            i += 2
        else:
            out.append(letters.get(text[i], text[i]))
            i += 1
    return "".join(out)


@lru_cache(maxsize=1 << 14)
def to_latin(word: str) -> str:
    """One word's Greek letters in ELOT 743 Latin, lower case; any other characters are kept as they are."""
    return _romanise(word, _DIGRAPHS, {}, _LETTERS)


# As spoken (and as many people write their name): μπ, ντ, γκ are b, d, g at the start of a word and mb, nd, ng
# inside it; αι is e; ει, οι, υι, η and υ are i; χ is h.
_SPOKEN_DIGRAPHS = {"ου": "ou", "γγ": "ng", "αι": "e", "ει": "i", "οι": "i", "υι": "i", "γξ": "nx", "γχ": "nh"}
_SPOKEN_STOPS = {"μπ": ("b", "mb"), "ντ": ("d", "nd"), "γκ": ("g", "ng")}
_SPOKEN_LETTERS = _LETTERS | {"υ": "i", "χ": "h"}


@lru_cache(maxsize=1 << 14)
def to_spoken(word: str) -> str:
    """One word's Greek letters as spoken, lower case (see above); any other characters are kept."""
    return _romanise(word, _SPOKEN_DIGRAPHS, _SPOKEN_STOPS, _SPOKEN_LETTERS)


_FOLDS = (
    (re.compile("ou"), "u"),
    (re.compile("gk|ng|gg|nk(?=[aeiouy])"), "g"),
    (re.compile("mp|mb"), "b"),
    (re.compile("nt|nd"), "d"),
    (re.compile("ai"), "e"),
    (re.compile("ei|oi|yi|ui"), "i"),
    (re.compile("ch|kh"), "h"),
    (re.compile("ph"), "f"),
    (re.compile("(?<=[aei])f"), "v"),  # αυ, ευ: af/av, ef/ev
    (re.compile("g(?=i[aeou])"), ""),  # γι before a vowel: Giorgos, Yorgos (below), Yiorgos (above) all "iorgos"
    (re.compile("y"), "i"),
)


@lru_cache(maxsize=1 << 14)
def fold(word: str) -> str:
    """What the ELOT and spoken spellings of a Greek name share (see the module docstring), in the
    transliteration fold of `words.fold`. Used on both words of a pair, one of them from a Greek name."""
    for pattern, replacement in _FOLDS:
        word = pattern.sub(replacement, word)
    return _trans_fold(word)

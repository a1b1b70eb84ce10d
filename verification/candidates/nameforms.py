"""A person's name as normalised Latin words, so that the spellings of one name meet across scripts and spacing.

anyascii transliterates every script; on top of that, words are split the way names are written (apostrophes
join, other punctuation separates, invisible characters vanish), and the other plausible segmentations of the
name are kept: an unspaced CJK name split at each boundary, hyphenated parts and particles glued together.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from anyascii import anyascii

from . import greek, japanese, korean

# Work per name is capped, so a hostile 1,000,000-character "name" costs what a long real one does.
MAX_CHARS = 200
MAX_TOKENS = 6
MAX_TOKEN_LENGTH = 40
# An unspaced CJK name is split after its first, second and third character: family names are 1 to 3
# characters long (王, 欧阳, 佐々木), and which split is right cannot be known without a dictionary, so each is
# offered and the wrong ones simply don't meet anything. Longer runs are not names; they are left whole.
MAX_FAMILY_CHARS = 3
MAX_SPLIT_RUN = 6

# Script flags of a name's letters.
FOREIGN = 1  # some letters are not Latin (anyascii transliterated them)
VOWELLESS = 2  # ... in a script that leaves vowels out: Arabic, Hebrew, Devanagari and the other Indic scripts
CJK = 4  # ... Han, kana or Hangul
GREEK = 8  # ... Greek (written by ELOT 743, see greek.py)
HANGUL = 16  # ... Hangul (family names by the table in korean.py)

_APOSTROPHES = frozenset("'’ʼ`´ʹʻʽ‘′")
_HYPHENS = frozenset("-‐‑‒–—―﹣－")
_NOT_AZ = re.compile("[^a-z]+")
# Titles are not part of a name: "Dr. Ana Lima" is Ana Lima. Only dropped when another word is left.
_TITLES = frozenset({"mr", "mrs", "ms", "mx", "dr", "prof"})
# Particles written apart or glued to the next word: "al Harth" / "Al-Harth" / الحارث, "van Dijk" / "Vandijk".
PARTICLES = frozenset({"al", "el", "abu", "abd", "bin", "ibn", "van", "von", "de", "del", "della", "da", "di", "du"})
# anyascii follows ISO 15919 for Devanagari (च -> c, श -> s, anusvara -> m) where people write ch, sh and n.
_PRE_LATIN = str.maketrans({"च": "ch", "छ": "chh", "श": "sh", "ष": "sh", "ं": "n", "ँ": "n", "ظ": "z"})
# (ظ is written z in most names, Zahir and Hafiz, where anyascii gives dh.)
_ARABIC_ARTICLE = ("ال", "ٱل")
_WAW = "و"

_CJK_RE = re.compile(
    "[\u3005-\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\u31f0-\u31ff\U00020000-\U0003134f]"
)
# Latin letters, and the spacing modifier letters (02B0-02FF) Latin names are written with: Demʼianchuk, Hawaiʻi.
_NON_LATIN_RE = re.compile("[^\u0000-\u024f\u02b0-\u02ff\u1e00-\u1eff\u2c60-\u2c7f\ua720-\ua7ff]")
_VOWELLESS_RE = re.compile("[\u0590-\u0dff\ufb1d-\ufdff\ufe70-\ufeff]")

# Korean family names: anyascii gives the Revised Romanization of the syllable (김 -> "gim", 이 -> "i"), while
# people write the conventional spelling (korean.SURNAMES has them all). Applied to the first syllable of a name
# written in Hangul.
_HANGUL_FAMILY = {hangul: spellings[0] for hangul, spellings in korean.SURNAMES.items() if len(hangul) == 1}
_HANGUL_RE = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


@dataclass(slots=True)
class NameForms:
    """A name as Latin tokens, plus the other ways it may legitimately be split.

    `variants[0]` is `tokens`; the others are alternative segmentations: an unspaced CJK name split at each
    boundary ("王小明" -> wang|xiaoming, wangxiao|ming), or hyphenated parts and particles glued together
    ("Jean-Pierre" -> jeanpierre, "al Harthi" -> alharthi). `initials` holds the tokens that were one letter of
    an alphabet in the original ("J." -> "j", "Ю." -> "yu"). `script` holds FOREIGN / VOWELLESS / CJK / GREEK /
    HANGUL flags. `readings` are other ways the name is written in Latin letters, indexed so that a name typed
    in Latin letters finds it: the Japanese readings of kanji or kana (鈴木 零 -> suzuki|rei, where the variants
    read it as Chinese, lingmu|ling), also compared with names in Latin letters; a Greek name as spoken
    (Μαντώ -> mando, by ELOT manto) and Cyrillic г as h (Богдан -> bohdan, the Ukrainian official spelling, where
    anyascii gives bogdan), only indexed, since compare's folds already let those spellings meet.
    Treat it as immutable: it is not frozen only because a frozen dataclass is slower to build 100,000 times.
    """

    tokens: tuple[str, ...]
    variants: tuple[tuple[str, ...], ...]
    initials: frozenset[str] = frozenset()
    script: int = 0
    respaced: bool = False  # the tokens come from splitting an unspaced CJK name
    readings: tuple[tuple[str, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.tokens)

    @property
    def key(self) -> str:
        """The normalised name, word order aside ("" for a letterless one)."""
        return " ".join(sorted(self.tokens))

    @property
    def transliterated(self) -> bool:
        return bool(self.script)


_NONE: frozenset[str] = frozenset()
EMPTY = NameForms((), ())


def name_forms(full_name: str) -> NameForms:
    """The normalised forms of a name; falsy for a name without letters, which must never match anything.

    Never raises: anything that is not a string is letterless.
    """
    if not isinstance(full_name, str):
        return EMPTY
    text = full_name[:MAX_CHARS]
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)[: 2 * MAX_CHARS]  # fullwidth, ligatures, circled letters
    # Most names: each space-separated chunk is one plain word.
    words = []
    others = None  # {position: other spelling}, for the words that have one
    script = 0
    for chunk in text.split()[:MAX_TOKENS]:
        parsed = _chunk(chunk)
        if not parsed.plain:
            return _general_forms(text)
        if parsed.other:
            others = others or {}
            others[len(words)] = parsed.other
        words.append(parsed.plain)
        script |= parsed.script
    if not words:
        return EMPTY
    tokens = tuple(words)
    if others:
        other = tuple(others.get(n, word) for n, word in enumerate(words))
        return NameForms(tokens, (tokens,), _NONE, script, False, (other,))
    return NameForms(tokens, (tokens,), _NONE, script)


class _Piece(NamedTuple):
    text: str  # Latin letters
    syllables: tuple[str, ...]  # for a CJK run: one Latin syllable per character; else ()
    initial: bool
    hyphen_before: bool
    title: bool = False  # Dr, Mr... in Latin letters (عمر, Omar, is "mr" through anyascii, and no title)


class _Chunk(NamedTuple):
    pieces: tuple[_Piece, ...]
    script: int
    leading: bool  # starts with a hyphen
    trailing: bool  # ends with a hyphen
    plain: str  # the chunk's only word when it needs no attention (initial, title, particle, CJK); else ""
    other: str = ""  # the plain word's other spelling (see `_other_spelling`), if it has one


def _general_forms(text: str) -> NameForms:
    """`name_forms` for names with initials, titles, particles, hyphens, CJK or punctuation inside words."""
    pieces: list[_Piece] = []
    script = 0
    hyphen = False
    for chunk in text.split()[: 2 * MAX_TOKENS]:
        parsed = _chunk(chunk)
        script |= parsed.script
        if parsed.pieces:
            first, *rest = parsed.pieces
            if (hyphen or parsed.leading) and pieces:
                first = first._replace(hyphen_before=True)
            pieces += (first, *rest)
            hyphen = parsed.trailing
        else:
            hyphen = hyphen or parsed.leading or parsed.trailing
    if len(pieces) > 1:
        pieces = [p for p in pieces if not p.title] or pieces
    pieces = _first_words(pieces)
    if not pieces:
        return EMPTY
    first_char = text.lstrip()[:1]
    if first_char in _HANGUL_FAMILY and pieces[0].syllables:
        syllables = (_HANGUL_FAMILY[first_char], *pieces[0].syllables[1:])
        pieces[0] = pieces[0]._replace(text="".join(syllables)[:MAX_TOKEN_LENGTH], syllables=syllables)
    tokens = tuple(p.text for p in pieces)
    initials = frozenset(p.text for p in pieces if p.initial) or _NONE
    readings = japanese.readings(text, MAX_TOKENS, MAX_TOKEN_LENGTH) if script & CJK and not script & HANGUL else ()
    syllables = pieces[0].syllables
    if len(pieces) == 1 and 2 <= len(syllables) <= MAX_SPLIT_RUN:
        ends = range(1, min(len(syllables), MAX_FAMILY_CHARS + 1))
        splits = tuple(("".join(syllables[:k]), "".join(syllables[k:])) for k in ends)
        return NameForms(splits[0], splits, initials, script, True, readings)
    joined: list[str] = []
    glue = False
    glued = particles(tokens)
    for n, p in enumerate(pieces):
        if joined and (glue or p.hyphen_before):
            joined[-1] = (joined[-1] + p.text)[:MAX_TOKEN_LENGTH]
        else:
            joined.append(p.text)
        glue = n in glued
    if len(joined) < len(tokens):
        return NameForms(tokens, (tokens, tuple(joined)), initials, script, False, readings)
    return NameForms(tokens, (tokens,), initials, script, False, readings)


def particles(words: tuple[str, ...]) -> set[int]:
    """Positions of the particles in a name's words: only between two other words ("Bernard da Costa"), since
    first or last they are a name of their own (pinyin Du and Di are family names)."""
    return {n for n in range(1, len(words) - 1) if words[n] in PARTICLES}


def _first_words(pieces: list[_Piece]) -> list[_Piece]:
    """The first MAX_TOKENS words, particles not counted: "Ali bin Hassan bin Saleh al Harthi" keeps its names."""
    kept = 0
    for n, piece in enumerate(pieces):
        kept += piece.text not in PARTICLES
        if kept > MAX_TOKENS:
            return pieces[:n]
    return pieces


@lru_cache(maxsize=1 << 16)
def _chunk(chunk: str) -> _Chunk:
    """One space-free chunk of a name, parsed once per process (rosters repeat the same words over and over).

    A word is an initial when it is one letter of an alphabet with no mark: one Devanagari consonant with its
    vowel sign (झा, "Jha") is a syllable, not an initial, and neither is one Han character.
    """
    if chunk.isalpha() and not _CJK_RE.search(chunk):  # one word of letters, as most chunks are
        script = _script(chunk)
        latin = _latin(chunk)
        if not latin:
            return _Chunk((), script, False, False, "")
        initial = len(chunk) == 1 and not script & VOWELLESS
        title = latin in _TITLES and not script
        plain = "" if initial or title or latin in PARTICLES else latin
        alphabet = script & ~GREEK == FOREIGN  # Cyrillic, Greek...: not Latin, CJK or vowelless
        other = _other_spelling(chunk, script, plain) if plain and alphabet else ""
        return _Chunk((_Piece(latin, (), initial, False, title),), script, False, False, plain, other)
    if "々" in chunk[1:]:  # the iteration mark repeats the character before it: 佐々木 = 佐佐木
        chunk = chunk[0] + "".join(b if b != "々" else a for a, b in zip(chunk, chunk[1:], strict=False))
    pieces: list[_Piece] = []
    word: list[str] = []
    run: list[str] = []
    letters: list[str] = []
    hyphen = leading = False
    for char in chunk:
        if char in _APOSTROPHES:  # O'Brien == OBrien
            continue
        category = unicodedata.category(char)
        if category[0] in "LM":
            letters.append(char)
            if _CJK_RE.match(char):
                hyphen = _end_word(word, pieces, hyphen)
                run.append(char)
            else:
                hyphen = _end_run(run, pieces, hyphen)
                word.append(char)
        elif category != "Cf":  # Cf: zero-width spaces and joiners, RTL marks, soft hyphens are invisible
            hyphen = _end_run(run, pieces, _end_word(word, pieces, hyphen))
            if char in _HYPHENS:
                if pieces:
                    hyphen = True
                else:
                    leading = True
    trailing = _end_run(run, pieces, _end_word(word, pieces, hyphen))
    pieces = pieces[: 2 * MAX_TOKENS]
    plain = ""
    if len(pieces) == 1 and not (leading or trailing):
        only = pieces[0]
        if not (only.initial or only.syllables or only.title or only.text in PARTICLES):
            plain = only.text
    return _Chunk(tuple(pieces), _script("".join(letters)), leading, trailing, plain)


_CYRILLIC_G = str.maketrans({"г": "h", "Г": "H"})


def _other_spelling(word: str, script: int, latin: str) -> str:
    """A word's other common spelling in Latin letters, or "": a Greek word as spoken (greek.to_spoken), a
    Cyrillic word with г as h, as the official Ukrainian transliteration writes it (Heorhii, Bohdan, Hanna)."""
    if script & GREEK:
        other = _latin(greek.to_spoken(word))
    elif "г" in word or "Г" in word:
        other = _latin(word.translate(_CYRILLIC_G))
    else:
        return ""
    return other if other != latin else ""


def _end_word(word: list[str], pieces: list[_Piece], hyphen: bool) -> bool:
    """Close the word being read, if any; returns whether a hyphen is still waiting for the next piece."""
    if word:
        text = "".join(word)
        word.clear()
        latin = _latin(text)
        if latin:
            initial = len(text) == 1 and unicodedata.category(text)[0] == "L" and not _VOWELLESS_RE.match(text)
            title = latin in _TITLES and not _NON_LATIN_RE.search(text)
            pieces.append(_Piece(latin, (), initial, hyphen, title))
            return False
    return hyphen


def _end_run(run: list[str], pieces: list[_Piece], hyphen: bool) -> bool:
    """Close the CJK run being read, if any; returns whether a hyphen is still waiting for the next piece."""
    if run:
        syllables = tuple(s for s in map(_latin, run) if s)
        run.clear()
        if syllables:
            pieces.append(_Piece("".join(syllables)[:MAX_TOKEN_LENGTH], syllables, False, hyphen))
            return False
    return hyphen


def _script(text: str) -> int:
    if text.isascii() or not _NON_LATIN_RE.search(text):
        return 0
    script = FOREIGN | (VOWELLESS if _VOWELLESS_RE.search(text) else 0) | (CJK if _CJK_RE.search(text) else 0)
    if greek.GREEK_RE.search(text):
        script |= GREEK
    if script & CJK and _HANGUL_RE.search(text):
        script |= HANGUL
    return script


@lru_cache(maxsize=1 << 16)
def _latin(word: str) -> str:
    """One word in any script as lower-case a-z."""
    if not word.isascii():
        word = word.translate(_PRE_LATIN)
        if word.startswith(_ARABIC_ARTICLE) and len(word) > 3:
            word = "al" + word[2:]  # written "al", as people do, rather than anyascii's bare "l"
        if _WAW in word[1:]:
            word = word[0] + word[1:].replace(_WAW, "u")  # inside a word و writes a vowel: يوسف = Yusuf
        if greek.GREEK_RE.search(word):
            word = greek.to_latin(word)  # ELOT 743: Τουλούπη -> touloupi, where anyascii gives toyloypi
    return _NOT_AZ.sub("", anyascii(word).lower())[:MAX_TOKEN_LENGTH]

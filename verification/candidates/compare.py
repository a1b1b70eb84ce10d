"""Whether two names could be one person's: word by word, then as a whole.

Two strictness levels share one code path. `compatible` (strict) says whether a signer whose address is already
on the roster may be shown under the name they typed, so it must not let one person pass for another: every
word of the shorter name has to meet a word of the other, at least two words must meet (unless both names are a
single word), and at least one of them must be a firm match (the same word, the same transliteration, a slip in
a long word). Nicknames and initials never carry a match on their own, and short words must match exactly:
"Ana Lima" is not "Ana Lina". Candidate search (loose) also accepts one slip in a short word (see
LOOSE_TYPO_MIN_LENGTH) and, across scripts that leave vowels out, a bare consonant match, because a candidate
only ever gets a "was this you?". A short word with one slip is worth enough for a two-word name to reach the
challenge threshold (0.80) when its other word is the same (Rebecca Wnag), and not with a weaker match beside it.

Across scripts, each script's own transliteration conventions count as the same name (a "transliteration"):
Cyrillic г as g or h (words.fold_cyrillic), Greek by ELOT 743 or as spoken (greek.fold), Korean by RR, MR or
a conventional spelling (korean.fold, korean.same_family_name), and a Japanese reading in its passport, wāpuro
or Kunrei spelling (japanese.fold; a name's Japanese readings are compared only with names in Latin letters).
"""

import re
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from . import greek, japanese, korean
from .nameforms import CJK, FOREIGN, GREEK, HANGUL, VOWELLESS, NameForms, name_forms, particles
from .words import consonants, fold_cyrillic, initial_class, token_keys

# Strength of each kind of word match; a name's score is built from these (1.0 is kept for the same name).
EXACT = 1.0
TRANSLITERATION = 0.95
TYPO = 0.85
SOUND = 0.85
NICKNAME = 0.8
INITIAL = 0.7
SHORT_TYPO = 0.62  # candidates only: (1.0 + 0.62) / 2 = 0.81 for "Rebecca Wnag", (0.95 + 0.62) / 2 < 0.80
LOOSE = 0.5

TYPO_MIN_LENGTH = 5  # one slip allowed when both words are at least this long...
TWO_TYPOS_MIN_LENGTH = 9  # ...two from this length
# Candidates only: one slip in a short word, both words of 4 letters or more (Lima/Lina, Wang/Wnag), or a 3-letter
# word against a longer one (Wang/Wng) where spellings vary (a name in Latin letters). Not between two 3-letter
# words (Ana/Ada, Kim/Kin: a different name too often), nor where a word may be a short consonant skeleton that
# anyascii spelled (حسن: hsn).
LOOSE_TYPO_MIN_LENGTH = 4
LOOSE_TYPO_SHORTER = 3
MIN_SCORE = 0.6

# How the two names' scripts relate, for `relation`.
LATIN = 0  # at least one name in Latin letters, the other in Latin or CJK: spellings and typos vary freely
VOWELLESS_CROSS = 1  # one name only is in a script without written vowels: compare consonants
ALPHABET_CROSS = 2  # one name only is in another alphabet (Cyrillic, Greek...): j may be y, ё may be e or yo
SAME_SCRIPT = 3  # both in the same non-Latin script: anyascii spelled both, a different letter is a different name
BOTH_CJK = 4  # ... in CJK, where one character is a whole syllable: no letter-level slips at all
GREEK_CROSS = 5  # one name in Greek, the other in Latin letters: ELOT or spoken spellings (greek.fold)
KOREAN_CROSS = 6  # one name in Hangul, the other in Latin letters: RR, MR or conventional (korean.fold)
JAPANESE_CROSS = 7  # a Japanese reading of one name and a name in Latin letters (japanese.fold)
_CONVENTIONS = {GREEK_CROSS: greek.fold, KOREAN_CROSS: korean.fold, JAPANESE_CROSS: japanese.fold}
_SPELLINGS_VARY = (LATIN, ALPHABET_CROSS, GREEK_CROSS, KOREAN_CROSS, JAPANESE_CROSS)

_REASONS = ("exact", "word order", "spacing", "transliteration", "spelling", "nickname", "initial", "typo", "partial")


class Relation(NamedTuple):
    strength: float
    reason: str
    firm: bool  # may carry a match on its own (in practice, the family name)


@lru_cache(maxsize=1 << 16)
def relation(a: str, b: str, a_initial: bool, b_initial: bool, loose: bool, scripts: int = LATIN) -> Relation | None:
    """How word `a` relates to word `b`, or None. Cached: the same pairs of words recur across claims."""
    if a_initial or b_initial:
        if a_initial and b_initial:
            return Relation(INITIAL, "initial", False) if a == b else None
        full, short = (b, a) if a_initial else (a, b)
        if full.startswith(short) or token_keys(full).trans.startswith(token_keys(short).trans):
            return Relation(INITIAL, "initial", False)
        return None
    if a == b:
        return Relation(EXACT, "exact", True)
    ka, kb = token_keys(a), token_keys(b)
    ta, tb = ka.trans, kb.trans
    if scripts == ALPHABET_CROSS:
        ta, tb = fold_cyrillic(ta), fold_cyrillic(tb)
    elif scripts in _CONVENTIONS:
        convention = _CONVENTIONS[scripts]
        ta, tb = convention(a), convention(b)
    if ta == tb or scripts == KOREAN_CROSS and korean.same_family_name(a, b):
        return Relation(TRANSLITERATION, "transliteration", True)
    if b in ka.nicknames:
        return Relation(NICKNAME, "nickname", False)
    if scripts == BOTH_CJK:  # 崔 (cui) and 蔡 (cai) are different characters, not a slip
        return None
    slips = _slips(a, b)
    if slips <= _allowed_slips(a, b) or (ta != a or tb != b) and _slips(ta, tb) <= _allowed_slips(ta, tb):
        return Relation(TYPO, "typo", True)
    same_skeleton = ka.skeleton == kb.skeleton and ka.skeleton != ""
    if scripts == VOWELLESS_CROSS and not same_skeleton and consonants(a) == consonants(b) != "":
        same_skeleton = True  # the letters as written (see words.consonants): Zahy = zhy, Jwan = jun
        skeleton = consonants(a)
    else:
        skeleton = ka.skeleton
    # Mohamed = mhmd (محمد); with only two consonants, the first letters must agree too (Fayed = fayd).
    if (
        same_skeleton
        and scripts == VOWELLESS_CROSS
        and (len(skeleton) >= 3 or (len(skeleton) == 2 and initial_class(a) == initial_class(b)))
    ):
        return Relation(SOUND, "transliteration", True)
    if scripts == VOWELLESS_CROSS and _bare_words_meet(a, b):
        return Relation(SOUND, "transliteration", True)
    if same_skeleton and scripts in _SPELLINGS_VARY and _one_vowel_apart(ta, tb):
        # One vowel written differently, as ё can be: Fedor = Fyodor, Elkin = Yolkin.
        return Relation(SOUND, "transliteration", True)
    if not loose:
        return None
    if slips <= 1 and _short_typo_lengths(len(a), len(b), scripts):
        return Relation(SHORT_TYPO, "typo", False)
    if same_skeleton and scripts == VOWELLESS_CROSS:
        return Relation(LOOSE, "transliteration", False)
    return None


@lru_cache(maxsize=1 << 14)
def _bare(word: str) -> tuple[str, ...]:
    """A word as anyascii may have written it from a script without vowels, the word itself first: a word-initial
    alef or ain is written as a vowel by people (علي Ali, عمر Omar, أفراح Afrah) and as nothing by anyascii, and
    the article al (الحاج) may be written apart (el-Haj) or left out."""
    bare = [word]
    if word[0] in _VOWEL_LETTERS and len(word) > 2:
        bare.append(word[1:])
    if word.startswith(("al", "el")) and len(word) > 3:
        bare.append(word[2:])
    return tuple(bare)


def _bare_words_meet(a: str, b: str) -> bool:
    """Whether two words meet once bare (see `_bare`): the same transliteration, or the same consonants (at least
    two, starting alike)."""
    bare_a, bare_b = _bare(a), _bare(b)
    if len(bare_a) == len(bare_b) == 1:
        return False
    for x in bare_a:
        for y in bare_b:
            if x == a and y == b:
                continue
            if token_keys(x).trans == token_keys(y).trans:
                return True
            cx = consonants(x)
            if len(cx) >= 2 and cx == consonants(y) and initial_class(x) == initial_class(y):
                return True
    return False


def _short_typo_lengths(a: int, b: int, scripts: int) -> bool:
    shorter, longer = (a, b) if a < b else (b, a)
    if shorter >= LOOSE_TYPO_MIN_LENGTH:
        return True
    return shorter == LOOSE_TYPO_SHORTER and longer > shorter and scripts in _SPELLINGS_VARY


def _one_vowel_apart(a: str, b: str) -> bool:
    """Same consonants, in the same places, and one run of vowels spelled differently with more or fewer
    letters: Fedor/Fiodor. Not Martin/Morton (two runs, same counts), Sloan/Solana (vowels in other places), or
    Xin/Xiuyun (too far apart)."""
    runs_a, runs_b = _VOWEL_RUN.findall(a), _VOWEL_RUN.findall(b)
    return (
        len(a) != len(b)
        and _VOWEL_RUN.sub("*", a) == _VOWEL_RUN.sub("*", b)
        and sum(x != y for x, y in zip(runs_a, runs_b, strict=True)) == 1
        and _slips(a, b) <= 2
    )


_VOWEL_RUN = re.compile("[aeiou]+")
_VOWEL_LETTERS = frozenset("aeiou")


def _slips(a: str, b: str) -> int:
    """Edits between two words (a swap of neighbours counts as one), capped at 3."""
    return OSA.distance(a, b, score_cutoff=2) if -3 < len(a) - len(b) < 3 else 3


def _allowed_slips(a: str, b: str) -> int:
    shortest = len(a) if len(a) < len(b) else len(b)
    return 2 if shortest >= TWO_TYPOS_MIN_LENGTH else 1 if shortest >= TYPO_MIN_LENGTH else 0


def _scripts(a: NameForms, b: NameForms) -> int:
    sa, sb = a.script, b.script
    if (sa & VOWELLESS) != (sb & VOWELLESS):
        return VOWELLESS_CROSS
    if sa & CJK and sb & CJK:
        return BOTH_CJK
    if not (sa and sb):  # one of them in Latin letters
        if (sa | sb) & HANGUL:
            return KOREAN_CROSS
        if (sa | sb) & GREEK and not (sa | sb) & CJK:
            return GREEK_CROSS
    sa, sb = sa & ~(GREEK | HANGUL), sb & ~(GREEK | HANGUL)
    if (sa == FOREIGN) != (sb == FOREIGN) and not (sa | sb) & CJK:
        return ALPHABET_CROSS
    return LATIN if not (sa and sb) else SAME_SCRIPT


def _align(
    va: tuple[str, ...], vb: tuple[str, ...], ia: frozenset[str], ib: frozenset[str], loose: bool, scripts: int
) -> tuple[float, list[tuple[int, int, str]]] | None:
    """Pair the words of two segmentations, strongest pairs first: (score, [(i, j, reason)]), or None."""
    found = []
    if len(va) <= len(vb):
        for i, a in enumerate(va):
            a_initial = a in ia
            row = len(found)
            for j, b in enumerate(vb):
                r = relation(a, b, a_initial, b in ib, loose, scripts)
                if r is not None:
                    found.append((r.strength, r.firm, i, j, r.reason))
            if len(found) == row and not (len(va) > 2 and i in particles(va)):
                return None  # a word of the shorter name meets nothing: no need to look further
    else:
        for j, b in enumerate(vb):
            b_initial = b in ib
            row = len(found)
            for i, a in enumerate(va):
                r = relation(a, b, a in ia, b_initial, loose, scripts)
                if r is not None:
                    found.append((r.strength, r.firm, i, j, r.reason))
            if len(found) == row and not (len(vb) > 2 and j in particles(vb)):
                return None
    if not found:
        return None
    found.sort(reverse=True)
    used_a = [False] * len(va)
    used_b = [False] * len(vb)
    pairs = []
    total = 0.0
    firm = False
    for strength, is_firm, i, j, reason in found:
        if not (used_a[i] or used_b[j]):
            used_a[i] = used_b[j] = True
            pairs.append((i, j, reason))
            total += strength
            firm = firm or is_firm
    if not firm:
        return None
    # An unmatched particle is not a missing word: "Bernard Costa" is all of "Bernard da Costa".
    na = len(va) - (sum(1 for n in particles(va) if not used_a[n]) if len(va) > 2 else 0)
    nb = len(vb) - (sum(1 for n in particles(vb) if not used_b[n]) if len(vb) > 2 else 0)
    matched = len(pairs)
    if matched < min(na, nb) or (matched < 2 and max(na, nb) > 1):
        return None
    if not loose and na - matched > 1:
        return None  # the typed name may add a middle name, not a phrase: "John Smith, CEO of Google" is not John Smith
    return 2 * total / (na + nb), pairs


def best_match(a: NameForms, b: NameForms, loose: bool = False) -> tuple[float, str] | None:
    """(score 0-1, reason words) for the best way two names meet, or None if they do not.

    1.0 means the same normalised name, in any order, spacing or script. `a` is the typed name (or the claim),
    `b` the roster's. `loose` is the candidate-search level (see the module docstring); the default is
    `compatible`'s. (To compare one typed name with many roster names: `Typed(a).best_match(b)`.)
    """
    return Typed(a).best_match(b, loose)


class Typed:
    """A typed name (a claim) prepared once to be compared with many roster names, as candidate search does: its
    segmentations with their words sorted and joined, and its folded spelling for `similarity`. The answers are
    `best_match`'s and `similarity`'s, which go through it too."""

    __slots__ = ("_folded", "_readings", "_variants", "forms")

    def __init__(self, forms: NameForms) -> None:
        self.forms = forms
        self._variants = _sides(forms.variants)
        self._readings = _sides(forms.readings) if forms.readings else ()
        self._folded: str | None = None

    def similarity(self, b: NameForms) -> float:
        """`similarity(self.forms, b)`."""
        if self._folded is None:
            self._folded = _folded(self.forms)
        return fuzz.ratio(self._folded, _folded(b))

    def best_match(self, b: NameForms, loose: bool = False) -> tuple[float, str] | None:
        """`best_match(self.forms, b, loose)`."""
        a = self.forms
        if not a.tokens or not b.tokens:  # a letterless name (NameForms.__bool__, without the call)
            return None
        extra = set()
        if (not a.script) != (not b.script):  # a.transliterated != b.transliterated
            extra.add("transliteration")
        if a.respaced != b.respaced:
            extra.add("spacing")
        scripts = _scripts(a, b)
        pairings = self._pairings(b, scripts)
        same = self._same(pairings)
        if same is not None:
            return 1.0, _reason(extra if same == "exact" else extra | {same})
        return _aligned(a, b, pairings, scripts, loose, extra)

    def same_name(self, b: NameForms) -> bool:
        """Whether `best_match(self.forms, b)` scores 1.0 (the same normalised name, in any order, spacing or
        script): its first step alone, since only that step gives 1.0."""
        return bool(self.forms.tokens and b.tokens) and self._same(self._pairings(b, LATIN)) is not None

    def _pairings(self, b: NameForms, scripts: int) -> list:
        """Segmentations to compare, and how (`scripts`: see `relation`). A name's Japanese readings only meet a
        name in Latin letters (between two names in kanji, 陽一 and 要一 are two names though both read Yoichi).
        The other readings (Greek as spoken, Cyrillic г as h) are only index keys: the folds of `relation` already
        let their spellings meet."""
        a = self.forms
        pairings = [(self._variants, b.variants, scripts)]
        if b.readings and not a.script and b.script & CJK:
            pairings.append((self._variants, b.readings, JAPANESE_CROSS))
        if self._readings and not b.script and a.script & CJK:
            pairings.append((self._readings, b.variants, JAPANESE_CROSS))
        return pairings

    @staticmethod
    def _same(pairings: list) -> str | None:
        """How two segmentations are the same name ("exact", "word order", "spacing"), the first found; or None."""
        for a_sides, b_variants, _ in pairings:
            for va, sorted_a, joined_a in a_sides:
                for vb in b_variants:
                    if va == vb:
                        return "exact"
                    joined_b = "".join(vb)
                    if len(joined_b) != len(joined_a):
                        continue  # neither the same words in another order nor the same letters spaced otherwise
                    if sorted_a == sorted(vb):
                        return "word order"
                    if joined_a == joined_b:
                        return "spacing"
        return None


def _sides(variants: tuple[tuple[str, ...], ...]) -> tuple[tuple[tuple[str, ...], list[str], str], ...]:
    """Each segmentation with its words sorted and joined, for `Typed.best_match`'s same-name checks."""
    return tuple((v, sorted(v), "".join(v)) for v in variants)


def _aligned(a: NameForms, b: NameForms, pairings: list, scripts: int, loose: bool, extra: set[str]):
    """`best_match` for two names that are not the same name: their words paired (`_align`), the best pairing's
    score and reasons."""
    if scripts == BOTH_CJK and a.respaced and b.respaced:
        return None  # two unspaced CJK names meet only as the same name: their words are syllables, not names
    best = None
    for a_sides, b_variants, pairing_scripts in pairings:
        for va, _, _ in a_sides:
            for vb in b_variants:
                found = _align(va, vb, a.initials, b.initials, loose, pairing_scripts)
                if found is not None and (best is None or found[0] > best[0]):
                    best = (*found, va, vb)
    if best is None or best[0] < MIN_SCORE:
        return None
    score, pairs, va, vb = best
    reasons = {reason for _, _, reason in pairs if reason != "exact"} | extra
    if len(pairs) < max(_name_words(va), _name_words(vb)):
        reasons.add("partial")  # a word of the longer name is unmatched: a middle name, a second family name
    pairs.sort()
    if any(later[1] < earlier[1] for earlier, later in zip(pairs, pairs[1:], strict=False)):
        reasons.add("word order")
    if "transliteration" in extra:
        reasons.discard("typo")  # a different convention rather than a slip: Aleksandr / Alexander
    elif not (a.transliterated or b.transliterated) and "transliteration" in reasons:
        reasons.discard("transliteration")  # both written in Latin letters: Marc / Mark, Smith / Smyth
        reasons.add("spelling")
    return min(round(score, 3), 0.99), _reason(reasons)


def _name_words(words: tuple[str, ...]) -> int:
    """How many words a name has, particles between them not counted (an unmatched one is not a missing word)."""
    return len(words) - len(particles(words)) if len(words) > 2 else len(words)


def _reason(reasons: set[str]) -> str:
    return ", ".join(r for r in _REASONS if r in reasons) or "exact"


def similarity(a: NameForms, b: NameForms) -> float:
    """0-100 closeness of two spellings, word order aside: only used to order equally scored candidates."""
    return Typed(a).similarity(b)


def _folded(forms: NameForms) -> str:
    return " ".join(sorted(token_keys(t).trans for t in forms.tokens))


def compatible(typed_name: str, roster_name: str) -> bool:
    """Could `typed_name` plausibly be how the person on the roster as `roster_name` writes their name?

    True across case, accents, punctuation, word order, scripts, CJK spacing, a nickname or an initial for a
    given name, a one-letter typo in a long word, and one word more or several fewer than the roster has (a
    middle name); False for a different family name, a one-letter difference in a short word, a single word
    where the roster has more, more than one extra word, and any name without letters. Never raises.
    """
    return best_match(name_forms(typed_name), name_forms(roster_name)) is not None

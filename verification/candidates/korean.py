"""Korean names in Latin letters: the spellings a family name is written in, and a fold for the rest.

A Korean writes their name in Latin letters by one of several systems, or by none: the Revised Romanization
(RR, South Korea's official system since 2000, what anyascii gives: 김 gim, 박 bak, 정 jeong), McCune-Reischauer
(MR, official before 2000 and in the North: kim, pak, chŏng, without its breves chong), or a conventional
spelling that is neither (Lee, Park, Choi, Rhee). No library on PyPI gives these variants (korean-romanizer is
GPL-3.0 and gives RR only; hangul-romanize gives RR only and is unmaintained), so:

- `SURNAMES`: the common family names with their usual spellings, the conventional one first (it becomes the
  name's token, as before). Spellings that the fold below already joins (Kim/Gim, Kwon/Gwon) are listed anyway
  where they are common, because candidate search finds entries by exact spellings, not folds.
- `fold`: what RR, MR and conventional spellings of one syllable have in common, for comparing a name written in
  Hangul with one in Latin letters (never two Latin names): plain and aspirated consonants merge as MR/RR write
  them differently (k/g, t/d, p/b, ch/j, r/l), ㅓ ㅗ ㅜ ㅡ merge as eo/o/u/oo/eu/ou (Jeong, Jung, Chung; Sook,
  Suk; Young, Yeong), ㅢ merges with ㅣ (hui, eui, hee, hi), ㅐ ae/ai with ㅔ e, and a silent h after a vowel goes
  (Oh, Suh, Ahn).
"""

import re
from functools import lru_cache

from .words import fold as _trans_fold

# Hangul family name -> its spellings, the conventional one first (the token a Hangul name gets), then the RR and
# MR spellings and the other common ones. Only family names: the syllables of given names are left to `fold`.
SURNAMES: dict[str, tuple[str, ...]] = {
    "김": ("kim", "gim"),
    "이": ("lee", "yi", "rhee", "ri", "i", "rhie", "yee"),
    "리": ("lee", "ri", "rhee", "yi"),
    "박": ("park", "pak", "bak", "bahk"),
    "최": ("choi", "choe", "chwe", "choy"),
    "정": ("jung", "jeong", "chung", "cheong", "joung", "chong"),
    "강": ("kang", "gang"),
    "조": ("cho", "jo", "joe", "choh"),
    "윤": ("yoon", "yun", "youn"),
    "장": ("jang", "chang"),
    "임": ("lim", "im", "rim", "yim", "leem"),
    "림": ("lim", "rim", "im"),
    "한": ("han", "hahn"),
    "오": ("oh", "o"),
    "서": ("seo", "suh", "so", "sur"),
    "신": ("shin", "sin", "shinn"),
    "권": ("kwon", "gwon", "kweon"),
    "황": ("hwang", "whang"),
    "안": ("ahn", "an"),
    "송": ("song", "soung"),
    "전": ("jeon", "chun", "jun", "chon", "jeun"),
    "홍": ("hong",),
    "유": ("yoo", "yu", "you", "ryu"),
    "류": ("ryu", "yoo", "yu", "ryoo", "rhyu", "lyu"),
    "고": ("ko", "go", "koh"),
    "문": ("moon", "mun", "mon"),
    "양": ("yang", "ryang"),
    "손": ("son", "sohn"),
    "배": ("bae", "pae", "bai"),
    "백": ("baek", "paek", "paik", "baik", "back"),
    "허": ("huh", "heo", "hur", "her", "hu"),
    "남": ("nam",),
    "심": ("shim", "sim"),
    "노": ("noh", "roh", "no", "ro"),
    "로": ("roh", "noh", "ro"),
    "하": ("ha",),
    "곽": ("kwak", "gwak"),
    "성": ("sung", "seong"),
    "차": ("cha",),
    "주": ("joo", "ju", "chu", "choo"),
    "우": ("woo", "u", "wu"),
    "구": ("koo", "ku", "gu"),
    "민": ("min",),
    "진": ("jin", "chin"),
    "나": ("na", "ra"),
    "라": ("ra", "na"),
    "엄": ("um", "eom", "uhm", "ohm"),
    "채": ("chae", "chai"),
    "원": ("won",),
    "천": ("chun", "cheon"),
    "방": ("bang", "pang"),
    "공": ("kong", "gong"),
    "현": ("hyun", "hyeon"),
    "변": ("byun", "byeon", "pyun", "pyon"),
    "염": ("yeom", "yum", "yeum"),
    "여": ("yeo", "yuh", "yoh"),
    "추": ("choo", "chu"),
    "도": ("do", "doh"),
    "석": ("seok", "suk", "sok"),
    "선": ("sun", "seon"),
    "설": ("seol", "sul", "sol"),
    "마": ("ma",),
    "길": ("gil", "kil"),
    "연": ("yeon", "yun", "youn"),
    "표": ("pyo",),
    "명": ("myung", "myeong"),
    "기": ("ki", "gi"),
    "반": ("ban", "pan"),
    "왕": ("wang",),
    "금": ("keum", "geum", "kum"),
    "육": ("yook", "yuk"),
    "인": ("in",),
    "제": ("je", "jae"),
    "모": ("mo",),
    "탁": ("tak",),
    "국": ("kook", "guk", "kuk"),
    "남궁": ("namgoong", "namgung"),
    "황보": ("hwangbo",),
    "제갈": ("jegal",),
    "선우": ("sunwoo", "seonu"),
}

# Each spelling -> every spelling of every family name it may stand for ("yu" is 유 or 류: Yoo, Ryu...).
_SAME: dict[str, frozenset[str]] = {}
for _spellings in SURNAMES.values():
    for _spelling in _spellings:
        _SAME[_spelling] = _SAME.get(_spelling, frozenset()) | frozenset(_spellings)
_FAMILY_TOKENS = frozenset(spellings[0] for spellings in SURNAMES.values())
# Each spelling -> the tokens a Hangul name gets for the family names it may stand for (their first spelling).
_TOKENS: dict[str, frozenset[str]] = {}
for _spellings in SURNAMES.values():
    for _spelling in _spellings:
        _TOKENS[_spelling] = _TOKENS.get(_spelling, frozenset()) | {_spellings[0]}


def family_token(hangul: str) -> str | None:
    """The token a Hangul family name is written with (이 -> "lee"), or None for one not in the table."""
    spellings = SURNAMES.get(hangul)
    return spellings[0] if spellings else None


def same_family_name(a: str, b: str) -> bool:
    """Whether two Latin words may spell one Korean family name (Lee/Rhee/Yi, Park/Pak, Noh/Roh)."""
    return b in _SAME.get(a, ())


def is_family_token(word: str) -> bool:
    """Whether a word is the token a Hangul family name is written with (kim, lee, park...)."""
    return word in _FAMILY_TOKENS


def spellings_to_look_up(word: str, hangul: bool) -> frozenset[str]:
    """Other spellings to look a claim's word up under: for a claim in Latin letters, the token its family name
    has in Hangul names ("rhee" -> "lee"); for a claim in Hangul, every spelling of its family name."""
    found = _SAME.get(word, frozenset()) if hangul else _TOKENS.get(word, frozenset())
    return found - {word}


_SILENT_H = re.compile("(?<=[aeiouwy])h(?![aeiouwy])")
_CONSONANTS = str.maketrans({"k": "g", "t": "d", "p": "b", "r": "l", "f": "b"})
_VOWELS = re.compile("eo|eu|oo|ou|o")
_I = re.compile("eui|ui|ee")
_E = re.compile("ae|ai")


@lru_cache(maxsize=1 << 14)
def fold(word: str) -> str:
    """What the RR, MR and conventional spellings of a Korean name share (see the module docstring), in the
    transliteration fold of `words.fold`. Used on both words of a pair, one of them from a Hangul name."""
    folded = _SILENT_H.sub("", word)
    folded = folded.replace("tch", "j").replace("ch", "j").replace("sh", "s")
    folded = _I.sub("i", folded)
    folded = _E.sub("e", folded)
    folded = _VOWELS.sub("u", folded).translate(_CONSONANTS)
    return _trans_fold(folded)

"""Japanese names in kanji or kana, read the way their bearers write them in Latin letters.

anyascii reads kanji with their Chinese readings (鈴木 零 -> "lingmu ling"); a Japanese person writes "Suzuki Rei".
The Japanese reading of a name needs a dictionary: MeCab (through `fugashi`) with the UniDic-lite dictionary
(`unidic-lite`, bundled, nothing is downloaded at run time) segments the name and reads each word, and `cutlet`
turns the kana into Hepburn romaji (with jaconv for katakana to hiragana). All are MIT or BSD licensed;
pykakasi (GPL-3.0) is not used.

- Only a name that looks Japanese is read, since the Japanese reading of a Chinese name is noise that only
  crowds the index (王小明 as "O Shomei"): a name with kana; or, of those whose kanji all exist in JIS X 0208
  (cp932: a simplified Chinese character like 张 does not), one whose family name has two kanji or more (most
  Japanese ones do, few Chinese ones), or whose given name is one word of two kanji or more that UniDic knows
  as a given name (森 亮介). On rosters made with faker, that reads 98.6% of the Japanese names whose kanji
  pass, and 5% of the Chinese ones; a one-kanji family and given name (林 充) is left to its Chinese reading.
- A foreign name in katakana is written as UniDic spells it, where it does (マイケル Michael), as cutlet does.
- A reading is written as passports write it (modified Hepburn without long vowels: 佐藤 Sato, 陽一 Yoichi,
  but 恵子 Keiko and 井上 Inoue), from UniDic's pronunciation field, where long vowels are marked.
- An unspaced name is split between family and given name where MeCab tags them (姓, 名), after its first
  word when it tags none. The next-best parses add readings where every kanji word in them is tagged as
  a personal name (淳 Atsushi or Jun, 充 Mitsuru or Takashi), up to MAX_READINGS in all. They are only asked for
  when the best parse has a one-kanji word that is not a family name: a one-kanji given name is where the
  readings differ, and the n-best parses of the others add nothing but time.
- `fold` is what passport, wāpuro and Kunrei spellings of one reading share (Sato/Satou/Satoh, Ono/Ohno/Oono,
  Mitsuru/Mituru, Honma/Homma), for comparing a reading with a name typed in Latin letters.

Imported lazily and cached per name: a roster of 100,000 names pays for its Japanese names once. Without the
libraries (an install that left them out), names simply get no Japanese reading.
"""

import logging
import re
import threading
from functools import lru_cache

from .words import fold as _trans_fold

logger = logging.getLogger(__name__)

MAX_READINGS = 3
_NBEST = 3
_KANA = re.compile("[\u3041-\u3096\u30a1-\u30fa\u30fc\u31f0-\u31ff]")
_KANJI = re.compile("[\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_LATIN = re.compile("[a-z]+")
_SPACES = re.compile(r"\s+")
_LOCK = threading.Lock()  # a MeCab tagger is not to be used by two threads at once


def could_be_japanese(text: str) -> bool:
    """Whether a name may be Japanese: it has kana, or kanji that all exist in Japanese (JIS X 0208)."""
    if _KANA.search(text):
        return True
    if not _KANJI.search(text):
        return False
    try:
        text.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


class _Analyser:
    """MeCab with UniDic-lite, and cutlet's kana-to-romaji table."""

    def __init__(self, cutlet, jaconv) -> None:
        katsu = cutlet.Cutlet()
        self.tagger = katsu.tagger
        self._map_kana = katsu.map_kana
        self._kata2hira = jaconv.kata2hira
        fields = self.tagger("名")[0].feature._fields  # UniDic's field order, from the dictionary in use
        self.fields = tuple(fields.index(name) for name in ("pos3", "pos4", "lemma", "pron", "kana"))

    @lru_cache(maxsize=1 << 14)  # noqa: B019  (one analyser per process, kept for the process's life)
    def romaji(self, kana: str) -> str:
        return _passport(self._map_kana(self._kata2hira(kana)))


@lru_cache(maxsize=1)
def _analyser() -> "_Analyser | None":
    """The analyser, or None when the libraries are not installed."""
    try:
        import cutlet  # noqa: PLC0415  (lazy: only rosters with Japanese names load the dictionary)
        import jaconv  # noqa: PLC0415

        return _Analyser(cutlet, jaconv)
    except (ImportError, RuntimeError) as error:
        logger.warning("Japanese readings unavailable (%s): kanji names are read as Chinese", error)
        return None


class _Morpheme:
    __slots__ = ("ambiguous", "family", "given", "kana", "kanji", "latin", "named")

    def __init__(self, kana: str, latin: str, kanji: int = 0, tags: tuple[str, str] = ("", "")) -> None:
        self.kana, self.latin, self.kanji = kana, latin, kanji  # kanji: how many the word is written with
        self.named = tags[0] in ("人名", "地名")  # a person's or a place's name (many family names are both)
        self.family = tags[1] == "姓"
        self.given = tags[1] == "名"
        self.ambiguous = kanji == 1 and not self.family  # a one-kanji given name: readings differ (淳, 充)


@lru_cache(maxsize=1 << 14)
def readings(text: str, max_words: int = 6, max_length: int = 40) -> tuple[tuple[str, ...], ...]:
    """The Japanese readings of a name as lower-case Latin words (at most `max_words` of `max_length` letters),
    most likely first; () if it has none."""
    if not could_be_japanese(text):
        return ()
    if not _KANA.search(text) and len(_KANJI.findall(text)) < 3:
        return ()  # without kana, `_looks_japanese` wants three kanji or more: 王伟, 林 学 need no parse
    analyser = _analyser()
    if analyser is None:
        return ()
    # n-best nodes carry no whitespace flag: an ideographic space is parsed as a node of its own, a separator.
    spaced = _SPACES.sub("\u3000", text.strip())
    with _LOCK:
        best = _morphemes(analyser.tagger(spaced), False, analyser.fields)
        if best is None or not _KANA.search(text) and not _looks_japanese(best):
            return ()  # a kanji MeCab does not know, or most likely a Chinese name
        parses = [best]
        if any(m is not None and m.ambiguous for m in best):
            alternatives = analyser.tagger.nbestToNodeList(spaced, _NBEST)[1:]
            parses += [_morphemes(parse, True, analyser.fields) for parse in alternatives]
    found: dict[tuple[str, ...], None] = {}
    for parse in parses:
        if parse is not None:
            for variant in _variants(parse, text, analyser.romaji):
                words = tuple(word[:max_length] for word in variant[:max_words] if word)
                if words:
                    found.setdefault(words)
    return tuple(found)[:MAX_READINGS]


def _morphemes(nodes, alternative: bool, fields: tuple[int, ...]) -> list[_Morpheme | None] | None:
    """A parse as morphemes (None for a separator), or None if it cannot be read (or, for an alternative
    parse, if a kanji word in it is not tagged as a personal name)."""
    pos3, pos4, lemma, pron, kana = fields
    out: list[_Morpheme | None] = []
    for node in nodes:
        surface = node.surface
        kanji = _KANJI.search(surface)
        if kanji or _KANA.search(surface):
            raw = node.feature_raw
            feature = raw.split(",") if '"' not in raw else [str(f) for f in node.feature]
            count = len(feature)
            reading = feature[pron] if pron < count else ""
            if not reading or reading == "*":
                reading = feature[kana] if kana < count else ""
            if not reading or reading == "*":
                if node.is_unk and not kanji:
                    reading = surface  # kana MeCab does not know, read as written
                else:
                    return None
            if alternative and kanji and (feature[pos3] if pos3 < count else "") != "人名":
                return None
            foreign = (feature[lemma] if lemma < count else "").partition("-")[2]
            if foreign.isascii() and foreign.isalpha():  # a name in katakana: マイケル is Michael, not Maikeru
                out.append(_Morpheme("", foreign.lower()))
            else:
                tags = (feature[pos3] if pos3 < count else "", feature[pos4] if pos4 < count else "")
                out.append(_Morpheme(reading, "", len(_KANJI.findall(surface)), tags))
        elif (latin := "".join(_LATIN.findall(surface.lower()))) and surface.isascii():
            out.append(_Morpheme("", latin))
        else:
            out.append(None)
    return out


def _looks_japanese(parse: list[_Morpheme | None]) -> bool:
    """A family name of two kanji or more (the first word, or the words MeCab tags as a family name), or a given
    name that is one known given name of two kanji or more (see the module docstring)."""
    words = [m for m in parse if m is not None]
    if not words:
        return False
    family = 0
    while family < len(words) and words[family].family:
        family += 1
    family = family or 1
    if sum(m.kanji for m in words[:family]) >= 2 and all(m.named for m in words[:family]):
        return True
    given = words[family:]
    return len(given) == 1 and given[0].given and given[0].kanji >= 2


def _variants(parse: list[_Morpheme | None], text: str, to_romaji) -> list[tuple[str, ...]]:
    words: list[list[_Morpheme]] = []
    new_word = True
    for morpheme in parse:
        if morpheme is None:
            new_word = True
            continue
        if new_word or morpheme.latin or words[-1][-1].latin:
            words.append([])
        words[-1].append(morpheme)
        new_word = False
    if not words:
        return []

    def romaji(morphemes: list[_Morpheme]) -> str:
        latin = "".join(m.latin for m in morphemes)
        kana = "".join(m.kana for m in morphemes)
        return latin + (to_romaji(kana) if kana else "")

    if len(words) == 1 and len(words[0]) > 1 and not any(c.isspace() for c in text.strip()):
        # One unspaced name: split it between family and given name.
        word = words[0]
        family = 0
        while family < len(word) and word[family].family:
            family += 1
        k = family if 0 < family < len(word) else 1  # untagged (王小明, most often not Japanese): the first word
        return [(romaji(word[:k]), romaji(word[k:]))]
    return [tuple(romaji(word) for word in words)]


_LONG = re.compile("(?<=o)o|(?<=u)u")  # long vowels from the pronunciation's ー: oo (サトー), uu (ユータ)


def _passport(romaji: str) -> str:
    """Hepburn as on passports: long o and u not written (Sato, Yuta), a long e written ei (Keiko), and ou that
    is two vowels kept (井上 Inoue: the pronunciation field marks a long vowel with ー, never with ウ); a-z only."""
    return _LONG.sub("", "".join(_LATIN.findall(romaji.lower())).replace("ee", "ei"))


_FOLDS = (
    # Kunrei-shiki and Nihon-shiki into Hepburn: Mituru = Mitsuru, Syouta = Shouta.
    (re.compile("(?<![sc])hu"), "fu"),
    (re.compile("si"), "shi"),
    (re.compile("ti"), "chi"),
    (re.compile("tu"), "tsu"),
    (re.compile("zi|di"), "ji"),
    (re.compile("sy"), "sh"),
    (re.compile("ty"), "ch"),
    (re.compile("[zj]y"), "j"),
    # Long vowels, written or not: Satou, Satoh, Sato; Oono, Ohno, Ono; Yuuki, Yuki.
    (re.compile("o[ou]|oh(?![aeiouy])"), "o"),
    (re.compile("uu"), "u"),
    # Syllabic n before b, m, p, written m in older Hepburn: Homma = Honma.
    (re.compile("m(?=[bmp])"), "n"),
)


@lru_cache(maxsize=1 << 14)
def fold(word: str) -> str:
    """What the spellings of one Japanese reading share (see the module docstring), in the transliteration fold
    of `words.fold`. Used on both words of a pair, one of them from a Japanese reading."""
    for pattern, replacement in _FOLDS:
        word = pattern.sub(replacement, word)
    return _trans_fold(word)

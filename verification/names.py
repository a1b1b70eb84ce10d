"""The canonical form of a name, so that matching ignores how people type it (addresses: signatures.addresses)."""

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+")
_APOSTROPHES = re.compile(r"['’ʼ`´]")
# Letters that Unicode does not decompose into a base letter and an accent.
_UNDECOMPOSED = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "ŧ": "t", "æ": "ae", "œ": "oe"})
# The same two rules for an ASCII name, as one bytes.translate() in C (a byte table: a third of the time of
# str.translate with a dict): apostrophes dropped, other non-word characters (all but letters and digits) made
# spaces.
_ASCII_WORDS = bytes(code if chr(code).isalnum() else ord(" ") for code in range(256))
_ASCII_APOSTROPHES = b"'`"


class _Unmarked(dict):
    """A str.translate() table that deletes combining marks, learning each character's answer once (in C from
    then on, where a generator over unicodedata.combining() cost a Python call per character)."""

    def __missing__(self, code: int) -> str | None:
        self[code] = None if unicodedata.combining(chr(code)) else chr(code)
        return self[code]


_UNMARKED = _Unmarked()


def name_key(full_name: str) -> str:
    """Case, accents, spacing, punctuation and word order folded away: "Núñez, Ana" == "ana nunez".

    Apostrophes join rather than split ("O'Brien" == "OBrien"); other punctuation separates words.
    """
    if full_name.isascii():  # most names: nothing to decompose (a roster import computes hundreds of thousands)
        return " ".join(sorted(full_name.encode().lower().translate(_ASCII_WORDS, _ASCII_APOSTROPHES).decode().split()))
    folded = unicodedata.normalize("NFKD", full_name.casefold()).translate(_UNDECOMPOSED)
    words = _NON_WORD.sub(" ", _APOSTROPHES.sub("", folded.translate(_UNMARKED))).split()
    return " ".join(sorted(words))

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


class _Folded(dict):
    """One str.translate() table for the rules after decomposition, learning each character's answer once (in C
    from then on): the letters Unicode does not decompose replaced, combining marks and apostrophes dropped,
    other non-word characters made spaces. (Applied one after the other, as the rules read, they took three
    passes over the name and two regular expressions; each character's answer is the same.)"""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        if code in _UNDECOMPOSED:
            folded = _UNDECOMPOSED[code]
        elif unicodedata.combining(char) or _APOSTROPHES.fullmatch(char):
            folded = None
        else:
            folded = " " if _NON_WORD.fullmatch(char) else char
        self[code] = folded
        return folded


_FOLDED = _Folded()


def name_key(full_name: str) -> str:
    """Case, accents, spacing, punctuation and word order folded away: "Núñez, Ana" == "ana nunez".

    Apostrophes join rather than split ("O'Brien" == "OBrien"); other punctuation separates words.
    """
    if full_name.isascii():  # most names: nothing to decompose (a roster import computes hundreds of thousands)
        return " ".join(sorted(full_name.encode().lower().translate(_ASCII_WORDS, _ASCII_APOSTROPHES).decode().split()))
    return " ".join(sorted(unicodedata.normalize("NFKD", full_name.casefold()).translate(_FOLDED).split()))

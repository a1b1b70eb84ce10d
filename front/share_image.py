"""The picture link previews show (Open Graph / Twitter card): the title and the count, 1200 × 630 PNG.

Drawn with Pillow (installed with WeasyPrint) in DejaVu Sans when the machine has it (Debian's
fonts-dejavu-core; it covers Latin, Greek, Cyrillic and more), else Pillow's built-in font. Cached per
letter, title and count, so a busy letter is drawn again only when its count moves.
"""

import logging

from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from petitions.models import Petition

logger = logging.getLogger(__name__)

SIZE = (1200, 630)
MARGIN = 72
BLUE, INK, GREY = "#0b57d0", "#1a1a1a", "#444444"
FONTS = ["/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"]
CACHE_SECONDS = 24 * 3600


class ImageUnavailable(RuntimeError):
    """Pillow is not installed here."""


def _font(size: int, bold: bool = True):
    from PIL import ImageFont

    try:
        return ImageFont.truetype(FONTS[0] if bold else FONTS[1], size)
    except OSError:
        return ImageFont.load_default(size=size)


def _wrap(draw, text: str, font, width: int, max_lines: int) -> list[str]:
    """Lines of `text` no wider than `width` pixels; the last one shortened with … if it does not fit."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while draw.textlength(line, font=font) > width:  # one word wider than the card
            cut = len(line) - 1
            while cut > 1 and draw.textlength(line[:cut], font=font) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def share_png(petition: Petition) -> bytes:
    key = f"share-png:{petition.pk}:{petition.current_version_id}:{petition.signature_count}:{petition.goal}"
    try:
        cached = cache.get(key)
    except Exception:  # the cache is down: drawing costs a few milliseconds, draw it
        logger.warning("cache unavailable; drawing the share picture", exc_info=True)
        cached = None
    if cached is not None:
        return cached
    try:
        from io import BytesIO

        from PIL import Image, ImageDraw
    except ImportError as error:
        raise ImageUnavailable(str(error)) from error
    image = Image.new("RGB", SIZE, "#ffffff")
    draw = ImageDraw.Draw(image)
    width = SIZE[0] - 2 * MARGIN
    draw.rectangle([0, 0, SIZE[0], 16], fill=BLUE)
    draw.text((MARGIN, 56), "Undersigned", font=_font(34), fill=BLUE)
    title_font = _font(60)
    y = 130
    for line in _wrap(draw, petition.title, title_font, width, max_lines=4):
        draw.text((MARGIN, y), line, font=title_font, fill=INK)
        y += 74
    count = petition.signature_count
    signed = ngettext("%(count)d confirmed signature", "%(count)d confirmed signatures", count) % {"count": count}
    if petition.goal:
        signed = _("%(signed)s of %(goal)d") % {"signed": signed, "goal": petition.goal}
    draw.text((MARGIN, SIZE[1] - 150), signed, font=_font(44, bold=False), fill=GREY)
    if petition.goal:
        top, bottom = SIZE[1] - 80, SIZE[1] - 56
        draw.rounded_rectangle([MARGIN, top, SIZE[0] - MARGIN, bottom], radius=12, fill="#e3e3e3")
        done = MARGIN + int(width * min(count / petition.goal, 1))
        if done > MARGIN:
            draw.rounded_rectangle([MARGIN, top, max(done, MARGIN + 24), bottom], radius=12, fill=BLUE)
    buffer = BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    data = buffer.getvalue()
    try:
        cache.set(key, data, timeout=CACHE_SECONDS)
    except Exception:  # served all the same; the next request draws it again
        logger.warning("cache unavailable; the share picture is not kept", exc_info=True)
    return data

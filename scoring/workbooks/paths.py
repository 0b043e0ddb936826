"""Names inside the evidence zip: folder and file names that Windows, macOS and Linux all
accept, and ASCII file names for downloads. (What a workbook cell may hold is
:mod:`core.xlsx`'s business.)"""

from __future__ import annotations

import re
import unicodedata


def ascii_slug(text: str, fallback: str = "x", limit: int = 40) -> str:
    """An ASCII file-name part: "Sở Nội vụ" → "so-noi-vu" (đ → d, accents dropped)."""
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:limit].strip("-")
    return slug or fallback


_PATH_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def path_part(text: str, fallback: str = "_", limit: int = 80) -> str:
    """One folder or file name inside a zip that Windows, macOS and Linux all accept: no
    separators or reserved characters, no leading dots, no trailing dots or spaces, NFC."""
    name = unicodedata.normalize("NFC", text)
    name = _PATH_FORBIDDEN.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".")
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 8 and stem:
            name = stem[: limit - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:limit]
    name = name.rstrip(". ")
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
    return name or fallback


_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}

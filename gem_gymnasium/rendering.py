"""Images of what the agent sees, for ``render_mode="rgb_array"``: drawn with Pillow.

A few drawing helpers cover every env: a text card (tasks, and any state without a drawing), a
grid of labelled, coloured cells (boards, puzzles, rows of guesses) and pegs with disks (Tower of
Hanoi). Every helper is a pure function of its arguments, draws with Pillow's bundled font and
no anti-aliasing choice left to the machine, so the same state gives the same pixels.

Pillow loads on first use (the ``[render]`` extra); ``import gem_gymnasium`` stays light.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from gem_gymnasium.extras import optional_imports

if TYPE_CHECKING:
    from PIL import Image as PILImage

__all__ = [
    "CARD_SIZE",
    "COLORS",
    "Cell",
    "grid_image",
    "pegs_image",
    "text_card",
    "to_array",
]

#: ``(label, fill colour)`` of one grid cell; the colour is a name of :data:`COLORS`.
Cell = tuple[str, str]

#: The palette, by role; grids name these rather than raw RGB so that games look alike.
COLORS: Mapping[str, tuple[int, int, int]] = {
    "background": (250, 250, 247),
    "text": (33, 37, 41),
    "muted": (120, 124, 130),
    "line": (173, 181, 189),
    "empty": (255, 255, 255),
    "hidden": (206, 212, 218),
    "given": (233, 236, 239),
    "wall": (73, 80, 87),
    "green": (106, 170, 100),
    "yellow": (201, 180, 88),
    "gray": (134, 136, 138),
    "red": (224, 49, 49),
    "blue": (77, 171, 247),
    "orange": (253, 126, 20),
    "highlight": (255, 236, 153),
    "target": (255, 201, 201),
    "player": (116, 192, 252),
    "box": (194, 145, 90),
}

#: Width and height of a text card; fixed so that a video of a text task has one frame size.
CARD_SIZE = (512, 320)
_MARGIN = 12
_FONT_SIZE = 13
_CAPTION_HEIGHT = 24


@cache
def _pil() -> tuple[Any, Any, Any]:
    with optional_imports("render_mode='rgb_array'"):
        from PIL import Image, ImageDraw, ImageFont
    return Image, ImageDraw, ImageFont


@cache
def _font(size: int) -> Any:
    # Pillow's bundled font: the same glyphs on every machine, unlike a system font.
    return _pil()[2].load_default(size=size)


def _canvas(width: int, height: int) -> tuple[PILImage.Image, Any]:
    image_mod, draw_mod, _ = _pil()
    # Even sides: video encoders (H.264 in 4:2:0) reject odd frame sizes.
    size = (width + width % 2, height + height % 2)
    image = image_mod.new("RGB", size, COLORS["background"])
    return image, draw_mod.Draw(image)


def to_array(image: PILImage.Image) -> np.ndarray:
    """An RGB image as Gymnasium's ``rgb_array``: ``uint8`` of shape ``(height, width, 3)``."""
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _caption(draw: Any, text: str, width: int, top: int) -> None:
    font = _font(_FONT_SIZE)
    line = _fit(draw, _printable(text), width - 2 * _MARGIN, font)
    draw.text((_MARGIN, top + 5), line, fill=COLORS["text"], font=font)


def _fit(draw: Any, text: str, width: int, font: Any) -> str:
    """``text`` cut with an ellipsis to fit ``width`` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "...", font=font) > width:
        text = text[:-1]
    return text + "..."


#: Control characters (newline kept) drawn as "?"; tabs as four spaces.
_CONTROL = {**{code: "?" for code in (*range(32), 127) if code != 10}, 9: "    "}


def _printable(text: str) -> str:
    """``text`` as the font can draw it: no control characters, no lone surrogates."""
    return text.encode("utf-8", "replace").decode("utf-8").translate(_CONTROL)


def text_card(text: str, *, title: str = "", size: tuple[int, int] = CARD_SIZE) -> PILImage.Image:
    """``text`` wrapped onto a card of a fixed ``size``, under an optional ``title`` line.

    Lines that do not fit are dropped from the end and the last shown line says how many.
    """
    width, height = size
    image, draw = _canvas(width, height)
    font = _font(_FONT_SIZE)
    line_height = _FONT_SIZE + 4
    top = _MARGIN
    if title:
        draw.rectangle((0, 0, width, _CAPTION_HEIGHT), fill=COLORS["given"])
        _caption(draw, title, width, 0)
        top = _CAPTION_HEIGHT + 6
    columns = max(8, int((width - 2 * _MARGIN) / (0.6 * _FONT_SIZE)))
    room = max(1, (height - top - _MARGIN) // line_height)
    lines: list[str] = []
    # Wrap only what can be shown: an observation may hold a megabyte of agent text.
    for raw in _printable(text[: 4 * room * columns]).splitlines():
        lines += textwrap.wrap(raw, columns, drop_whitespace=False) or [""]
        if len(lines) > room:
            break
    if len(lines) > room or len(text) > 4 * room * columns:
        lines = [*lines[: room - 1], "... (cut: more text than the card holds)"]
    for i, line in enumerate(lines):
        draw.text(
            (_MARGIN, top + i * line_height),
            _fit(draw, line, width - 2 * _MARGIN, font),
            fill=COLORS["text"],
            font=font,
        )
    return image


def grid_image(
    cells: Sequence[Sequence[Cell]],
    *,
    caption: str = "",
    cell_size: int = 36,
    labels: bool = False,
    shape: tuple[int, int] | None = None,
) -> PILImage.Image:
    """A grid of square cells, each filled with its colour and its label centred in it.

    Args:
        cells: Rows of ``(label, colour name)``; rows may differ in length (rows of guesses).
        caption: A status line under the grid.
        cell_size: Side of a cell in pixels.
        labels: Number the rows and columns (0-based) along the top and left edges.
        shape: ``(rows, columns)`` the image has room for, so that a grid that grows during an
            episode (rows of guesses) keeps one frame size; default: the size of ``cells``.
    """
    rows = len(cells)
    cols = max((len(row) for row in cells), default=0)
    if shape is not None:
        if rows > shape[0] or cols > shape[1]:
            raise ValueError(f"grid_image: {rows}x{cols} cells do not fit shape {shape}")
        rows, cols = shape
    offset = cell_size // 2 + 4 if labels else 0
    width = max(2 * _MARGIN + offset + cols * cell_size, 160)
    grid_height = 2 * _MARGIN + offset + rows * cell_size
    image, draw = _canvas(width, grid_height + (_CAPTION_HEIGHT if caption else 0))
    font = _font(max(10, cell_size // 2))
    small = _font(max(9, cell_size // 3))
    x0, y0 = _MARGIN + offset, _MARGIN + offset
    if labels:
        for c in range(cols):
            draw.text(
                (x0 + c * cell_size + cell_size / 2, _MARGIN + offset / 2),
                str(c),
                fill=COLORS["muted"],
                font=small,
                anchor="mm",
            )
        for r in range(rows):
            draw.text(
                (_MARGIN + offset / 2, y0 + r * cell_size + cell_size / 2),
                str(r),
                fill=COLORS["muted"],
                font=small,
                anchor="mm",
            )
    for r, row in enumerate(cells):
        for c, (label, color) in enumerate(row):
            x, y = x0 + c * cell_size, y0 + r * cell_size
            draw.rectangle(
                (x, y, x + cell_size - 1, y + cell_size - 1),
                fill=COLORS[color],
                outline=COLORS["line"],
            )
            if label:
                dark = color in {"wall", "green", "yellow", "gray", "red", "blue", "orange"}
                draw.text(
                    (x + cell_size / 2, y + cell_size / 2),
                    label,
                    font=font,
                    anchor="mm",
                    fill=COLORS["empty"] if dark else COLORS["text"],
                )
    if caption:
        _caption(draw, caption, width, grid_height - _MARGIN // 2)
    return image


def pegs_image(
    pegs: Mapping[str, Sequence[int]], num_disks: int, *, caption: str = ""
) -> PILImage.Image:
    """Pegs side by side with their disks stacked bottom up; disk ``k`` is ``k`` units wide."""
    unit, disk_height = 10, 14
    peg_width = 2 * unit * num_disks + 2 * unit
    width = 2 * _MARGIN + len(pegs) * peg_width
    base = _MARGIN + (num_disks + 1) * disk_height + 10
    image, draw = _canvas(width, base + 22 + (_CAPTION_HEIGHT if caption else 0))
    font = _font(_FONT_SIZE)
    for i, (name, disks) in enumerate(pegs.items()):
        centre = _MARGIN + i * peg_width + peg_width // 2
        draw.rectangle((centre - 2, _MARGIN, centre + 2, base), fill=COLORS["wall"])
        draw.rectangle(
            (centre - peg_width // 2 + 4, base, centre + peg_width // 2 - 4, base + 3),
            fill=COLORS["wall"],
        )
        for level, disk in enumerate(disks):
            half = unit * disk + 2
            top = base - (level + 1) * disk_height
            draw.rectangle(
                (centre - half, top, centre + half, top + disk_height - 2),
                fill=COLORS["orange"],
                outline=COLORS["text"],
            )
            draw.text(
                (centre, top + disk_height // 2 - 1),
                str(disk),
                fill=COLORS["text"],
                font=_font(10),
                anchor="mm",
            )
        draw.text((centre, base + 12), name, fill=COLORS["text"], font=font, anchor="mm")
    if caption:
        _caption(draw, caption, width, base + 20)
    return image

"""The demo products' pictures: simple drawings of what each product is (an oud oil vial, a
brass incense burner, a plate of dates, a dallah…), generated with Pillow so the demo needs
no network and no stock photos. No text on them: a picture shows the product, the page
names it."""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw

SIZE = 800
GOLD, BRASS, CREAM, WHITE = (206, 164, 82), (181, 134, 58), (244, 232, 205), (255, 255, 255)
DATE_BROWN, DARK_DATE = (110, 58, 30), (78, 38, 20)


def _background(colour: tuple[int, int, int]) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    canvas = Image.new("RGB", (SIZE, SIZE), colour)
    draw = ImageDraw.Draw(canvas)
    for step in range(0, SIZE, 8):  # a soft vertical light
        shade = tuple(min(255, c + step // 7) for c in colour)
        draw.rectangle([0, step, SIZE, step + 8], fill=shade)
    draw.ellipse([170, 640, 630, 720], fill=tuple(max(0, c - 30) for c in colour))  # shadow
    return canvas, draw


def vial(draw):  # oud oil: a small cut-glass vial with a gold cap
    draw.polygon([(330, 330), (470, 330), (500, 660), (300, 660)], fill=(120, 70, 30),
                 outline=GOLD, width=6)
    draw.rectangle([355, 250, 445, 330], fill=GOLD)
    draw.ellipse([370, 200, 430, 260], fill=GOLD)
    draw.line([(340, 420), (460, 420)], fill=(170, 110, 50), width=6)


def bottle(draw, liquid):  # perfume: a faceted bottle, a round stopper
    draw.rounded_rectangle([260, 320, 540, 660], radius=36, fill=liquid, outline=WHITE, width=8)
    draw.rectangle([360, 250, 440, 320], fill=GOLD)
    draw.ellipse([330, 150, 470, 260], fill=GOLD, outline=WHITE, width=4)
    draw.line([(300, 380), (300, 620)], fill=WHITE, width=6)


def rose(draw, x, y, r):
    for angle in range(0, 360, 60):
        dx, dy = r * math.cos(math.radians(angle)) / 2, r * math.sin(math.radians(angle)) / 2
        draw.ellipse([x + dx - r / 2, y + dy - r / 2, x + dx + r / 2, y + dy + r / 2],
                     fill=(214, 80, 110))
    draw.ellipse([x - r / 3, y - r / 3, x + r / 3, y + r / 3], fill=(170, 40, 80))


def bakhoor(draw):  # scented wood chips in an open wooden box
    draw.rectangle([200, 430, 600, 650], fill=(120, 72, 40), outline=(80, 45, 20), width=8)
    for index in range(14):
        x, y = 230 + (index * 67) % 330, 400 + (index * 37) % 70
        draw.polygon([(x, y), (x + 50, y + 10), (x + 40, y + 40), (x - 5, y + 30)],
                     fill=(70, 35, 20) if index % 2 else (95, 50, 25))


def burner(draw):  # a brass mabkhara: square body on a foot, a domed top with smoke
    draw.polygon([(300, 660), (500, 660), (460, 600), (340, 600)], fill=BRASS)
    draw.rectangle([320, 420, 480, 600], fill=GOLD, outline=BRASS, width=8)
    draw.polygon([(300, 420), (500, 420), (440, 340), (360, 340)], fill=BRASS)
    for x in (345, 400, 455):
        draw.ellipse([x - 14, 480, x + 14, 540], fill=BRASS)
    for index, x in enumerate((380, 410, 395)):  # smoke
        draw.arc([x - 40, 180 + index * 50, x + 40, 280 + index * 50], 200, 340,
                 fill=(235, 235, 235), width=8)


def plate(draw):
    draw.ellipse([150, 470, 650, 680], fill=WHITE, outline=(220, 210, 190), width=6)


def dates(draw, colour=DATE_BROWN, stuffed=False):
    plate(draw)
    spots = [(260, 520), (340, 500), (420, 510), (500, 525), (300, 575), (385, 570),
             (465, 580), (545, 565), (350, 455), (440, 455)]
    for x, y in spots:
        draw.ellipse([x - 45, y - 28, x + 45, y + 28], fill=colour, outline=DARK_DATE, width=4)
        draw.line([(x - 25, y - 4), (x + 20, y - 10)], fill=(150, 90, 50), width=4)
        if stuffed:
            draw.ellipse([x - 12, y - 14, x + 12, y + 14], fill=(190, 214, 120))  # pistachio


def gift_box(draw):
    draw.rectangle([190, 380, 610, 650], fill=(150, 30, 50), outline=GOLD, width=8)
    draw.rectangle([180, 340, 620, 400], fill=(170, 40, 60), outline=GOLD, width=8)
    draw.rectangle([385, 340, 415, 650], fill=GOLD)
    draw.ellipse([320, 270, 400, 350], outline=GOLD, width=14)
    draw.ellipse([400, 270, 480, 350], outline=GOLD, width=14)


def maamoul(draw):
    plate(draw)
    for x, y in [(290, 540), (400, 520), (510, 540), (345, 600), (455, 600), (400, 460)]:
        draw.ellipse([x - 55, y - 40, x + 55, y + 40], fill=(222, 186, 130),
                     outline=(180, 140, 90), width=5)
        for offset in (-24, 0, 24):
            draw.line([(x + offset, y - 25), (x + offset, y + 25)], fill=(190, 150, 100),
                      width=4)


def syrup_jar(draw):
    draw.rounded_rectangle([280, 330, 520, 660], radius=30, fill=(70, 30, 15),
                           outline=WHITE, width=8)
    draw.rectangle([300, 280, 500, 330], fill=GOLD)
    draw.rectangle([300, 450, 500, 560], fill=CREAM)
    draw.ellipse([365, 470, 435, 540], fill=DATE_BROWN)


def coffee_bag(draw, colour=(196, 160, 110)):
    draw.polygon([(260, 300), (540, 300), (560, 660), (240, 660)], fill=colour,
                 outline=(120, 90, 60), width=6)
    draw.rectangle([260, 290, 540, 330], fill=(150, 110, 70))
    for x, y in [(340, 480), (400, 520), (460, 480), (370, 580), (430, 590)]:
        bean(draw, x, y, (90, 140, 60) if colour == (196, 160, 110) else (80, 50, 30))


def bean(draw, x, y, colour=(80, 50, 30)):
    draw.ellipse([x - 28, y - 20, x + 28, y + 20], fill=colour)
    draw.arc([x - 20, y - 20, x + 20, y + 20], 250, 110, fill=(40, 25, 15), width=4)


def beans(draw):
    plate(draw)
    for index in range(22):
        x, y = 220 + (index * 83) % 360, 500 + (index * 29) % 120
        bean(draw, x, y, (96, 60, 35))


def dallah(draw):  # the Arabic coffee pot: round body, tall neck, crescent spout
    draw.polygon([(300, 660), (500, 660), (470, 480), (330, 480)], fill=BRASS)
    draw.polygon([(350, 480), (450, 480), (425, 330), (375, 330)], fill=GOLD)
    draw.polygon([(370, 330), (430, 330), (420, 280), (380, 280)], fill=BRASS)
    draw.ellipse([385, 230, 415, 280], fill=GOLD)
    draw.line([(330, 500), (220, 330)], fill=GOLD, width=22)  # spout
    draw.polygon([(200, 300), (250, 330), (215, 350)], fill=GOLD)
    draw.arc([450, 400, 560, 600], 270, 90, fill=BRASS, width=20)  # handle


def tea(draw):  # a tea glass on a saucer, a box behind
    draw.rectangle([430, 320, 620, 640], fill=(150, 30, 40), outline=GOLD, width=6)
    draw.ellipse([180, 600, 460, 660], fill=WHITE, outline=(210, 200, 180), width=4)
    draw.polygon([(230, 420), (410, 420), (380, 630), (260, 630)], fill=(180, 60, 30),
                 outline=WHITE, width=6)
    draw.arc([230, 300, 300, 420], 180, 360, fill=(235, 235, 235), width=6)


def cups(draw):  # a finjan set: small handleless cups on a tray
    draw.ellipse([130, 520, 670, 690], fill=GOLD, outline=BRASS, width=8)
    for x, y in [(260, 560), (400, 540), (540, 560), (330, 620), (470, 620)]:
        draw.polygon([(x - 50, y - 60), (x + 50, y - 60), (x + 35, y + 20), (x - 35, y + 20)],
                     fill=WHITE, outline=GOLD, width=5)
        draw.line([(x - 48, y - 45), (x + 48, y - 45)], fill=GOLD, width=6)


DRAWINGS = {
    "GE-OUD-001": vial,
    "GE-OUD-002": bakhoor,
    "GE-PRF-003": lambda draw: bottle(draw, (236, 236, 244)),
    "GE-PRF-004": lambda draw: (bottle(draw, (232, 150, 170)), rose(draw, 560, 560, 70)),
    "GE-OUD-005": burner,
    "GE-DAT-101": dates,
    "GE-DAT-102": lambda draw: dates(draw, colour=(52, 26, 16)),
    "GE-DAT-103": maamoul,
    "GE-DAT-104": gift_box,
    "GE-DAT-105": syrup_jar,
    "GE-COF-201": coffee_bag,
    "GE-COF-202": beans,
    "GE-COF-203": dallah,
    "GE-TEA-204": tea,
    "GE-COF-205": cups,
}


def product_picture(sku: str, colour: tuple[int, int, int]) -> bytes:
    """A PNG drawing of the product `sku` (a plain box for one this module does not know)."""
    canvas, draw = _background(colour)
    DRAWINGS.get(sku, gift_box)(draw)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()

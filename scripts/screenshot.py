#!/usr/bin/env python3
"""Takes the README screenshots of the real binary: runs `posthorn --demo` in tmux,
sends keys, captures the pane with its colours (capture-pane -e) and draws it into a
PNG with DejaVu Sans Mono. Needs tmux, fonts-dejavu-core and Pillow.

    scripts/screenshot.py assets/screenshot.png 120 32 "jjj"
"""
import os
import re
import subprocess
import sys
import time

from PIL import Image, ImageDraw, ImageFont

PALETTE = [(0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16), (36, 114, 200), (188, 63, 188),
           (17, 168, 205), (229, 229, 229), (102, 102, 102), (241, 76, 76), (35, 209, 139), (245, 245, 67),
           (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255)]
FG, BG = (220, 220, 220), (24, 24, 28)

def capture(binary, cols, rows, keys):
    subprocess.run(["tmux", "kill-session", "-t", "shot"], stderr=subprocess.DEVNULL)
    subprocess.run(["tmux", "new-session", "-d", "-s", "shot", "-x", str(cols), "-y", str(rows), binary + " --demo"], check=True)
    time.sleep(1.5)
    for k in keys.split(" ") if keys else []:
        subprocess.run(["tmux", "send-keys", "-t", "shot", k], check=True)
        time.sleep(0.3)
    out = subprocess.run(["tmux", "capture-pane", "-e", "-N", "-p", "-t", "shot"], check=True, capture_output=True).stdout.decode()
    subprocess.run(["tmux", "kill-session", "-t", "shot"])
    return out.split("\n")[:rows]

def cells(line):
    """Yields (char, fg, bg, bold, reverse) for one captured line."""
    fg, bg, bold, rev = None, None, False, False
    for part in re.split(r"(\x1b\[[0-9;]*m)", line):
        if part.startswith("\x1b["):
            codes = [int(c) if c else 0 for c in part[2:-1].split(";")]
            i = 0
            while i < len(codes):
                c = codes[i]
                if c == 0: fg, bg, bold, rev = None, None, False, False
                elif c == 1: bold = True
                elif c == 7: rev = True
                elif c == 22: bold = False
                elif c == 27: rev = False
                elif 30 <= c <= 37: fg = PALETTE[c - 30]
                elif 90 <= c <= 97: fg = PALETTE[c - 90 + 8]
                elif 40 <= c <= 47: bg = PALETTE[c - 40]
                elif 100 <= c <= 107: bg = PALETTE[c - 100 + 8]
                elif c == 39: fg = None
                elif c == 49: bg = None
                elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                    col = PALETTE[codes[i + 2]] if codes[i + 2] < 16 else FG
                    if c == 38: fg = col
                    else: bg = col
                    i += 2
                i += 1
        else:
            for ch in part:
                yield ch, fg, bg, bold, rev

def main():
    out, cols, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    keys = sys.argv[4] if len(sys.argv) > 4 else ""
    binary = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "release", "posthorn")
    lines = capture(binary, cols, rows, keys)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 15)
    bold = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf", 15)
    cjk_path = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
    cjk = ImageFont.truetype(cjk_path, 15) if os.path.exists(cjk_path) else font
    symbols = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 13)
    cw, ch = 9, 19
    img = Image.new("RGB", (cols * cw + 16, rows * ch + 16), BG)
    d = ImageDraw.Draw(img)
    import unicodedata
    for y, line in enumerate(lines):
        x = 0
        for c, fg, bg, b, rev in cells(line):
            f, g = (fg or FG), (bg or BG)
            if rev: f, g = g, f
            w = 2 if unicodedata.east_asian_width(c) in "WF" else 1
            px, py = 8 + x * cw, 8 + y * ch
            d.rectangle([px, py, px + w * cw - 1, py + ch - 1], fill=g)
            face = cjk if w == 2 else symbols if 0x2400 <= ord(c) <= 0x243F or c == "\ufffd" else bold if b else font
            d.text((px, py + 1), c, font=face, fill=f)
            x += w
    img.save(out)
    print(f"wrote {out}")

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes Tests/EpiCodecsTests/Fixtures/qr_reference.json from third-party QR encoders.

segno (pure Python) provides the expected module matrix of every case for
each of the eight masks, so the Swift tests compare placement, ECC,
interleaving, format and version information bit for bit. zxing-cpp's own
encoder provides its automatic mask choice, to compare mask selection.

Requires: pip install segno zxing-cpp numpy
"""
import json
from pathlib import Path

import segno
import segno.encoder
import zxingcpp

# segno 1.6.6 pads with 8 zero bits when the stream already ends on a
# codeword boundary (`8 - length % 8` instead of `(8 - length % 8) % 8`),
# contrary to ISO/IEC 18004 §7.4.10. Byte-mode streams always hit this after
# the terminator, so the reference generator patches it before use.
def _write_padding_bits(buff, version, length):
    if version not in (segno.consts.VERSION_M1, segno.consts.VERSION_M3):
        buff.extend([0] * ((8 - length % 8) % 8))

segno.encoder.write_padding_bits = _write_padding_bits

ROOT = Path(__file__).resolve().parent.parent
CASES = [
    ("01234567", "M", "numeric"),
    ("HELLO WORLD", "Q", "alphanumeric"),
    ("HELLO WORLD", "M", "alphanumeric"),
    ("EPICOMMAND HC1:6BF+70790T9WJWG.FKY*4GO0.O1CV2 O5 N2FBBRW1*70HS8WY04AC*WIFN0AHCD8KD97TK0F90KECTHGWJC0FDC:5AIA%G7X+AQB9746HS80:54IBQF60R6$A80X6S1BTYACG6M+9XG8KIAWNA91AY%67092L", "Q", "alphanumeric"),
    ("Nguyễn Văn Đức — Hà Nội", "H", "byte"),
    ("https://epicommand.example/vn/certificates/verify?id=URN:UVCI:01:VN:EPI00000000000000001%23T&lang=vi", "M", "byte"),
    ("3141592653589793238462643383279502884197169399375105820974944592307816406286208998628034825342117067982148086513282306647093844609550582231725359408128481117450284102701938521105559644622948954930381964428810975665933446128475648233786783165271201909145648566923460348610454326648213393607260249141273", "L", "numeric"),
]

def rows_from_segno(qr):
    return ["".join("#" if cell else "." for cell in row) for row in qr.matrix]

def rows_from_zxing(text, level):
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=level)
    import numpy
    image = numpy.array(zxingcpp.write_barcode_to_image(barcode, scale=1, add_quiet_zones=False))
    return ["".join("#" if value < 128 else "." for value in row) for row in image]

def mask_from_rows(rows, level):
    # Read the first format copy (bits 14..0) and undo the XOR mask.
    positions = [(8, 0), (8, 1), (8, 2), (8, 3), (8, 4), (8, 5), (8, 7), (8, 8), (7, 8), (5, 8), (4, 8), (3, 8), (2, 8), (1, 8), (0, 8)]
    bits = 0
    for i, (x, y) in enumerate(positions):
        if rows[y][x] == "#":
            bits |= 1 << i
    return ((bits ^ 0x5412) >> 10) & 7

cases = []
for text, level, mode in CASES:
    auto = segno.make_qr(text, error=level, mode=mode, boost_error=False)
    version = auto.version
    masks = [rows_from_segno(segno.make_qr(text, error=level, mode=mode, version=version, mask=m, boost_error=False)) for m in range(8)]
    zx_rows = rows_from_zxing(text, level)
    cases.append({
        "text": text, "level": level, "mode": mode, "version": version,
        "masks": masks,
        "segnoAutoMask": auto.mask,
        "zxingRows": zx_rows,
        "zxingMask": mask_from_rows(zx_rows, level),
    })
    print(text[:20], level, mode, "v", version, "segno mask", auto.mask, "zxing mask", cases[-1]["zxingMask"], "zxing size", len(zx_rows))

out = ROOT / "Tests" / "EpiCodecsTests" / "Fixtures" / "qr_reference.json"
out.write_text(json.dumps({"generator": f"segno {segno.__version__} (padding patched), zxing-cpp {zxingcpp.__version__ if hasattr(zxingcpp, '__version__') else '?'}", "cases": cases}, indent=1))
print("wrote", out)

#!/usr/bin/env python3
"""Cross-check EpiCodecs output with independent third-party Python libraries.

Steps:
  1. Build and run the Swift `codec-fixtures` tool to write an HC1 string,
     its trust list, PNG/SVG QR codes and a set of QR round-trip cases.
  2. Verify everything with third-party code only: zxing-cpp reads the QR
     images, `base45` and `zlib` undo the transport encoding, `pycose`
     verifies the COSE_Sign1 signature against the trust list, `cbor2`
     decodes the CWT, and `cryptography` checks the signer certificate and
     re-verifies the signature by hand.
  3. Flip single bytes in the signed message and require verification to fail.

Exit status is 0 only if every check passed.

Requires: pip install zxing-cpp pillow base45 cbor2==5.6.5 pycose cryptography
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

results: list[tuple[bool, str]] = []


def check(condition: bool, label: str, detail: str = "") -> bool:
    results.append((bool(condition), label))
    status = "PASS" if condition else "FAIL"
    print(f"[{status}] {label}" + (f" — {detail}" if detail and not condition else ""))
    return bool(condition)


def import_dependencies():
    try:
        import base45  # noqa: F401
        import cbor2  # noqa: F401
        import zxingcpp  # noqa: F401
        from cryptography import x509  # noqa: F401
        from PIL import Image  # noqa: F401
        from pycose.messages import CoseMessage  # noqa: F401
        import cbor2 as _cbor2
        from importlib.metadata import version

        if int(version("cbor2").split(".")[0]) >= 6:
            # cbor2 6 decodes arrays as tuples, which pycose 1.1.0 rejects.
            print("cbor2 >= 6 is incompatible with pycose 1.1.0; install cbor2==5.6.5")
            sys.exit(2)
    except ImportError as error:  # pragma: no cover - environment problem
        print(f"missing Python dependency: {error}")
        print("install with: pip install zxing-cpp pillow base45 cbor2==5.6.5 pycose cryptography")
        sys.exit(2)


def generate_fixtures(out_dir: Path, binary: str | None) -> None:
    if binary is None:
        build = subprocess.run(
            ["swift", "build", "--product", "codec-fixtures"], cwd=ROOT, capture_output=True, text=True
        )
        if build.returncode != 0:
            print(build.stdout[-4000:], build.stderr[-4000:])
            check(False, "swift build --product codec-fixtures")
            finish()
        bin_path = subprocess.run(
            ["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        binary = os.path.join(bin_path, "codec-fixtures")
    run = subprocess.run([binary, "--out", str(out_dir)], capture_output=True, text=True)
    print(run.stdout.strip())
    check(run.returncode == 0, "codec-fixtures wrote fixtures", run.stderr[-2000:])
    if run.returncode != 0:
        finish()


def decode_qr(image) -> str | None:
    import zxingcpp

    found = zxingcpp.read_barcodes(image)
    qr = [r for r in found if r.format == zxingcpp.BarcodeFormat.QRCode]
    return qr[0].text if len(qr) == 1 else None


def svg_to_image(svg_text: str, scale: int = 4):
    """Rasterise our SVG by parsing its single path; checks the SVG geometry independently."""
    from PIL import Image, ImageDraw

    view = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg_text)
    path = re.search(r'<path[^>]* d="([^"]*)"', svg_text)
    if not view or not path or svg_text.count("<path") != 1:
        return None
    side = int(view.group(1))
    image = Image.new("L", (side * scale, side * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, run in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", path.group(1)):
        x, y, run = int(x), int(y), int(run)
        draw.rectangle([x * scale, y * scale, (x + run) * scale - 1, (y + 1) * scale - 1], fill=0)
    return image


def load_trust_list(path: Path):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    raw = json.loads(path.read_text())
    trust = {}
    for kid_b64, entry in raw.items():
        kid = base64.b64decode(kid_b64)
        der = base64.b64decode(entry["certificate"])
        certificate = x509.load_der_x509_certificate(der)
        public_key = serialization.load_der_public_key(base64.b64decode(entry["publicKey"]))
        pem_cert = x509.load_pem_x509_certificate(entry["certificatePem"].encode())
        trust[kid] = {"der": der, "certificate": certificate, "public_key": public_key, "pem_cert": pem_cert}
    return trust


def pycose_verify(cose_bytes: bytes, trust: dict) -> tuple[bool, str]:
    """Verify with pycose; returns (valid, reason)."""
    from cryptography.hazmat.primitives import serialization
    from pycose.headers import KID
    from pycose.keys import CoseKey
    from pycose.messages import CoseMessage

    try:
        message = CoseMessage.decode(cose_bytes)
    except Exception as error:  # malformed input counts as a failed verification
        return False, f"decode error: {error!r}"
    kid = message.phdr.get(KID) or message.uhdr.get(KID)
    if kid not in trust:
        return False, "unknown kid"
    pem = trust[kid]["public_key"].public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    message.key = CoseKey.from_pem_public_key(pem.decode())
    try:
        return bool(message.verify_signature()), "signature checked"
    except Exception as error:
        return False, f"verify error: {error!r}"


def manual_verify(cose_bytes: bytes, trust: dict) -> bool:
    """Second, hand-built verification with cbor2 + cryptography (no COSE library)."""
    import cbor2
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    try:
        tagged = cbor2.loads(cose_bytes)
        if not isinstance(tagged, cbor2.CBORTag) or tagged.tag != 18:
            return False
        protected, _unprotected, payload, signature = tagged.value
        header = cbor2.loads(protected)
        if header.get(1) != -7 or len(signature) != 64:
            return False
        key = trust[header[4]]["public_key"]
        to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        key.verify(der, to_be_signed, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, KeyError, ValueError, TypeError, cbor2.CBORDecodeError):
        return False


def check_hc1(out: Path) -> None:
    import base45
    import cbor2
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: F401
    from PIL import Image

    hc1 = (out / "hc1.txt").read_text()
    expected = json.loads((out / "expected.json").read_text())
    trust = load_trust_list(out / "trustlist.json")

    # QR images → text.
    png_text = decode_qr(Image.open(out / "hc1.png"))
    check(png_text == hc1, "zxing-cpp decodes hc1.png to the HC1 string")
    svg_text = (out / "hc1.svg").read_text()
    check(
        'shape-rendering="crispEdges"' in svg_text and "viewBox=" in svg_text and svg_text.count("<path") == 1,
        "hc1.svg has one path, a viewBox and crispEdges",
    )
    svg_image = svg_to_image(svg_text)
    check(svg_image is not None and decode_qr(svg_image) == hc1, "zxing-cpp decodes the rasterised hc1.svg")

    # Transport decoding with third-party base45 and stdlib zlib.
    check(hc1.startswith("HC1:"), "HC1 prefix present")
    compressed = base45.b45decode(hc1[4:])
    check(compressed[0] == 0x78 and (compressed[0] * 256 + compressed[1]) % 31 == 0, "zlib header (RFC 1950) valid")
    cose = zlib.decompress(compressed)
    check(len(cose) > 64, f"zlib inflates to {len(cose)} COSE bytes")

    # Trust list consistency: kid = SHA-256(DER)[0:8], key matches certificate.
    for kid, entry in trust.items():
        check(hashlib.sha256(entry["der"]).digest()[:8] == kid, "kid equals first 8 bytes of SHA-256(certificate DER)")
        cert = entry["certificate"]
        check(cert.public_key().public_numbers() == entry["public_key"].public_numbers(), "trust-list key matches certificate key")
        check(entry["pem_cert"] == cert, "PEM and DER certificate agree")
        subject = cert.subject.rfc4514_string()
        check("CN=EpiCommand DSC" in subject and "C=VN" in subject, f"certificate subject {subject}")
        try:
            cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
            self_signed = True
        except Exception:
            self_signed = False
        check(self_signed, "self-signed certificate signature verifies")
        try:
            eku = [oid.dotted_string for oid in cert.extensions.get_extension_for_class(
                __import__("cryptography.x509", fromlist=["ExtendedKeyUsage"]).ExtendedKeyUsage).value]
        except Exception:
            eku = []
        check("1.3.6.1.4.1.1847.2021.1.2" in eku, "certificate has the DCC vaccination extended key usage")

    # COSE verification with pycose and by hand.
    valid, reason = pycose_verify(cose, trust)
    check(valid, "pycose verifies the COSE_Sign1 signature with the trust list", reason)
    check(manual_verify(cose, trust), "cbor2 + cryptography verify the Sig_structure by hand")

    tagged = cbor2.loads(cose)
    check(isinstance(tagged, cbor2.CBORTag) and tagged.tag == 18, "COSE_Sign1 carries tag 18")
    protected = cbor2.loads(tagged.value[0])
    check(protected.get(1) == -7, "protected header alg = ES256 (-7)")
    check(base64.b64encode(protected.get(4, b"")).decode() == expected["kid"], "protected header kid matches the signer")
    check(tagged.value[1] == {}, "unprotected header is empty")
    check(len(tagged.value[3]) == 64, "signature is 64-byte raw r||s")

    # CWT claims and DCC content.
    payload = tagged.value[2]
    claims = cbor2.loads(payload)
    check(claims.get(1) == expected["iss"], "claim 1 (iss)")
    check(claims.get(6) == expected["iat"], "claim 6 (iat)")
    check(claims.get(4) == expected["exp"], "claim 4 (exp)")
    hcert = claims.get(-260, {}).get(1)
    check(hcert == expected["hcert"], "claim -260/1 equals the expected DCC JSON", f"{hcert} != {expected['hcert']}")
    check(cbor2.dumps(claims, canonical=True) == payload, "payload is canonical (deterministic) CBOR")
    check(hcert is not None and re.fullmatch(r"[A-Z<]*", hcert["nam"]["fnt"] + hcert["nam"]["gnt"]) is not None,
          "fnt/gnt match ^[A-Z<]*$")
    check(hcert is not None and hcert["v"][0]["ci"].startswith("URN:UVCI:01:VN:"), "ci is a VN UVCI")

    # Tampering: flip single bytes in payload, signature, protected header.
    body = tagged.value
    def rebuild(protected_bytes, payload_bytes, signature_bytes) -> bytes:
        return cbor2.dumps(cbor2.CBORTag(18, [protected_bytes, body[1], payload_bytes, signature_bytes]))

    flips = {
        "payload byte 10": rebuild(body[0], flip(body[2], 10), body[3]),
        "last payload byte": rebuild(body[0], flip(body[2], len(body[2]) - 1), body[3]),
        "signature byte 0": rebuild(body[0], body[2], flip(body[3], 0)),
        "signature byte 63": rebuild(body[0], body[2], flip(body[3], 63)),
        "protected header kid byte": rebuild(flip(body[0], len(body[0]) - 1), body[2], body[3]),
    }
    for label, tampered in flips.items():
        valid, reason = pycose_verify(tampered, trust)
        if "kid" in label:
            # A changed kid must not find a key (or must fail the signature).
            check(not valid and reason in ("unknown kid", "signature checked"), f"pycose rejects flipped {label}", reason)
        else:
            # The rejection must come from the signature check itself, not a parse error.
            check(not valid and reason == "signature checked", f"pycose signature check fails for flipped {label}", reason)
        check(not manual_verify(tampered, trust), f"manual check rejects flipped {label}")
    # A flip anywhere in the raw COSE bytes must also fail (or fail to parse).
    raw_flip = flip(cose, len(cose) // 2)
    check(not pycose_verify(raw_flip, trust)[0], "pycose rejects a flipped byte in the middle of the COSE bytes")


def flip(data: bytes, index: int) -> bytes:
    buffer = bytearray(data)
    buffer[index] ^= 0x01
    return bytes(buffer)


def check_qr_cases(out: Path) -> None:
    from PIL import Image

    manifest = json.loads((out / "qr" / "manifest.json").read_text())
    versions = set()
    for case in manifest:
        image = Image.open(out / "qr" / case["file"])
        text = decode_qr(image)
        versions.add(case["version"])
        check(
            text == case["text"],
            f"zxing-cpp decodes {case['file']} (v{case['version']}-{case['level']}, {case['mode']}, mask {case['mask']}, {case['bitDepth']}-bit)",
            f"got {text[:60] if text else None!r}",
        )
    check(len(versions) >= 15 and 40 in versions and 1 in versions, f"QR cases cover {len(versions)} versions incl. 1 and 40")


def finish() -> None:
    passed = sum(1 for ok, _ in results if ok)
    failed = [label for ok, label in results if not ok]
    print()
    print(f"{passed} passed, {len(failed)} failed")
    if failed:
        print("FAILED CHECKS:")
        for label in failed:
            print(f"  - {label}")
        print("RESULT: FAIL")
        sys.exit(1)
    print("RESULT: PASS")
    sys.exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", help="use an already built codec-fixtures binary")
    parser.add_argument("--keep", metavar="DIR", help="write fixtures to DIR and keep them")
    args = parser.parse_args()
    import_dependencies()
    if args.keep:
        out = Path(args.keep)
        out.mkdir(parents=True, exist_ok=True)
        run_all(out, args.binary)
    else:
        with tempfile.TemporaryDirectory(prefix="epicodecs-") as tmp:
            run_all(Path(tmp), args.binary)


def run_all(out: Path, binary: str | None) -> None:
    generate_fixtures(out, binary)
    try:
        check_hc1(out)
        check_qr_cases(out)
    except Exception as error:  # an unexpected exception is a failed check, not a crash
        import traceback

        traceback.print_exc()
        check(False, f"unexpected exception: {error!r}")
    finish()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A vaccination certificate issued by the running server, judged by third-party code only.

Against a demo server (`serve --demo`) and its database file:
  1. A token for the demo's vaccination-site account (`epicommand user token`), and a resident of its
     ward with a dose and no certificate yet (read from the database file).
  2. `POST /api/v1/vaccination/people/{id}/certificate` issues a certificate; the printable QR
     (`/vaccination/certificates/{id}/qr.png`) is read by zxing-cpp and must give the same HC1 text.
  3. The public trust list (`/api/v1/certificates/trust-list`) is the only key material used: each
     listed `kid` must be the first 8 bytes of the SHA-256 of its certificate's DER; `base45`, `zlib`,
     `pycose` and `cbor2` then verify the signature and read the EU DCC claims (name, date of birth,
     dose), which must match the resident in the database. The same check by hand with `cryptography`.
  4. One changed byte in the signed message fails both verifications.
  5. The server's own verify endpoint says valid; after `revoke` it says revoked, and the public
     revocation list names the UVCI.

Exit status 0 only if every check passed. Requires: pip install zxing-cpp pillow base45 cbor2==5.6.5 pycose cryptography
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_codecs import check, decode_qr, import_dependencies, manual_verify, pycose_verify, results  # noqa: E402

VACCINATION_ACCOUNT = "vax.minhkhai"
# Revocation is the district's (docs/roles.md); the demo's district holds Minh Khai.
DISTRICT_ACCOUNT = "q.haibatrung"


def request(base: str, method: str, path: str, token: str | None = None, body: dict | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def resident_with_dose(database: str) -> tuple[str, str, str] | None:
    """(person id, full name, birth date) of a resident of the account's ward with a dose and no certificate."""
    with sqlite3.connect(database) as db:
        row = db.execute(
            """
            SELECT p.id, p.full_name, p.birth_date FROM persons p
            JOIN users u ON u.username = ?
            WHERE (p.unit_path = u.unit_path OR p.unit_path LIKE u.unit_path || '/%')
              AND p.merged_into IS NULL AND p.birth_date IS NOT NULL
              AND EXISTS (SELECT 1 FROM vaccine_doses d WHERE d.person_id = p.id)
              AND NOT EXISTS (SELECT 1 FROM vaccine_certificates c WHERE c.person_id = p.id)
            ORDER BY p.id LIMIT 1
            """,
            (VACCINATION_ACCOUNT,),
        ).fetchone()
    return row


def trust_from_list(listing: dict) -> dict:
    """The vaccination keys of the public trust list, keyed by kid, each checked against its certificate."""
    from cryptography import x509

    trust = {}
    for key in listing.get("keys", []):
        if key.get("purpose") != "vaccination":
            continue
        der = base64.b64decode(key["certificate"])
        kid = base64.b64decode(key["kid"])
        check(kid == hashlib.sha256(der).digest()[:8], f"trust list kid {key.get('kid_hex', '?')} is the first 8 bytes of SHA-256 of its certificate")
        certificate = x509.load_der_x509_certificate(der)
        trust[kid] = {"der": der, "certificate": certificate, "public_key": certificate.public_key()}
    return trust


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8080")
    parser.add_argument("--binary", default=".build/debug/epicommand")
    parser.add_argument("--database", required=True, help="the demo server's SQLite file")
    args = parser.parse_args()
    import_dependencies()
    import base45
    import cbor2
    from PIL import Image

    base = args.base_url.rstrip("/")
    def token_for(username: str) -> str:
        return subprocess.run(
            [args.binary, "user", "token", "--username", username, "--name", "certificate-check", "--days", "1", "--database", args.database],
            check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]

    token = token_for(VACCINATION_ACCOUNT)
    resident = resident_with_dose(args.database)
    if not check(resident is not None, f"the demo has a resident of {VACCINATION_ACCOUNT}'s ward with a dose and no certificate"):
        return 1
    person_id, full_name, birth_date = resident

    status, body = request(base, "POST", f"/api/v1/vaccination/people/{person_id}/certificate", token, {})
    if not check(status == 201, "the server issues a certificate", f"HTTP {status}: {body[:300]!r}"):
        return 1
    certificate = json.loads(body)["data"]
    hc1 = certificate["payload"]
    check(hc1.startswith("HC1:"), "the certificate payload is an HC1 string")

    status, png = request(base, "GET", f"/vaccination/certificates/{certificate['id']}/qr.png", token)
    check(status == 200 and png.startswith(b"\x89PNG"), "the printable QR is served as PNG", f"HTTP {status}")
    if status == 200:
        check(decode_qr(Image.open(io.BytesIO(png))) == hc1, "zxing-cpp reads the served PNG as the issued HC1 string")

    status, body = request(base, "GET", "/api/v1/certificates/trust-list")
    check(status == 200, "the trust list is public", f"HTTP {status}")
    trust = trust_from_list(json.loads(body))
    check(len(trust) >= 1, "the trust list holds a vaccination key")

    cose = zlib.decompress(base45.b45decode(hc1[4:]))
    valid, reason = pycose_verify(cose, trust)
    check(valid, "pycose verifies the issued certificate with only the public trust list", reason)
    check(manual_verify(cose, trust), "cryptography verifies the same signature by hand")

    claims = cbor2.loads(cbor2.loads(cose).value[2])
    dcc = claims.get(-260, {}).get(1, {})
    dose = (dcc.get("v") or [{}])[0]
    check(dcc.get("dob") == birth_date, "the certificate's date of birth is the resident's", f"{dcc.get('dob')} vs {birth_date}")
    names = dcc.get("nam", {})
    check(names.get("fn") and names.get("fn") in full_name, "the certificate's family name is the resident's", f"{names} vs {full_name}")
    check(dose.get("ci") == certificate["uvci"], "the DCC's UVCI is the one the server recorded")
    check(claims.get(4, 0) > claims.get(6, 0) + 360 * 86400, "the certificate is valid about 12 months")

    tampered = bytearray(cose)
    tampered[len(tampered) // 2] ^= 0x01
    valid, _ = pycose_verify(bytes(tampered), trust)
    check(not valid, "pycose rejects the certificate with one changed byte")
    check(not manual_verify(bytes(tampered), trust), "cryptography rejects it too")

    status, body = request(base, "POST", "/api/v1/certificates/verify", body={"code": hc1})
    check(status == 200 and json.loads(body)["data"]["status"] == "valid", "the server's verify endpoint says valid", body[:200].decode(errors="replace"))
    status, _ = request(base, "POST", f"/api/v1/vaccination/certificates/{certificate['id']}/revoke", token, {"reason": "Kiểm tra CI: thu hồi thử"})
    check(status == 403, "the vaccination site may not revoke", f"HTTP {status}")
    status, body = request(base, "POST", f"/api/v1/vaccination/certificates/{certificate['id']}/revoke", token_for(DISTRICT_ACCOUNT), {"reason": "Kiểm tra CI: thu hồi thử"})
    check(status == 200, "the district revokes the certificate", f"HTTP {status}: {body[:200]!r}")
    status, body = request(base, "POST", "/api/v1/certificates/verify", body={"code": hc1})
    check(status == 200 and json.loads(body)["data"]["status"] == "revoked", "after revocation the verify endpoint says revoked", body[:200].decode(errors="replace"))
    status, body = request(base, "GET", "/api/v1/certificates/revocations")
    check(status == 200 and certificate["uvci"] in body.decode(), "the public revocation list names the UVCI")

    failed = [label for ok, label in results if not ok]
    print(f"{len(results) - len(failed)} checks passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

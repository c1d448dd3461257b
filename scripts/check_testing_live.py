#!/usr/bin/env python3
"""End-to-end check of the testing chain's network interfaces on the real binary, judged by
third-party libraries (run with the ./.venv that scripts/check_labformats.py prepares).

  1. `epicommand serve --demo --mllp-port M` starts the laboratories' MLLP listener beside the web server.
  2. The city registers a laboratory with its HL7 facility id (POST /api/v1/testing/labs).
  3. A laboratory system sends an ORU^R01 over MLLP for a tube label nobody recorded: the ACK, parsed
     with python-hl7, is AA with ERR-3 = 204 (stored, waiting for review), acknowledging our MSH-10;
     a message from an unregistered facility gets AE.
  4. The review queue (GET /api/v1/testing/review) holds that result.
  5. FHIR R4 export of the demo: /fhir/Condition (the demo's F0s) and /fhir/Patient/{id} of one of
     them validate with fhir.resources (FHIR 4.0.1 models that refuse unknown elements); so do that
     Patient and a duplicate of it after a merge, linked replaces / replaced-by.

    .venv/bin/python scripts/check_testing_live.py --binary .build/debug/epicommand --database /tmp/x.sqlite
Prints PASS/FAIL per check; exits 1 if any failed.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import hl7
from fhir.resources import construct_fhir_element

VT, FS, CR = b"\x0b", b"\x1c", b"\x0d"
failures = []


def check(name, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else f"  ({detail})"))
    if not ok:
        failures.append(name)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(base, method, path, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def mllp_exchange(port, message):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(VT + message.encode() + FS + CR)
        buf = b""
        while FS + CR not in buf:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    return buf.strip(VT).split(FS)[0].decode()


def oru(control_id, facility, label):
    now = time.strftime("%Y%m%d%H%M%S") + "+0700"
    return "\r".join([
        f"MSH|^~\\&|LIS|{facility}|EPICOMMAND|HANOI_CDC|{now}||ORU^R01^ORU_R01|{control_id}|P|2.5.1|||AL|NE|VNM|UNICODE UTF-8",
        f"PID|1||LOCAL-{control_id}^^^BVBM^PI||NGUYEN^AN",
        f"OBR|1|{control_id}^LIS||94500-6^SARS-CoV-2^LN|||{now}|||||||||||||||{now}|||F",
        f"OBX|1|CWE|94500-6^SARS-CoV-2^LN||260415000^^SCT||||||F|||{now}|||||{now}",
        f"SPM|1|{label}||258500001^Nasopharyngeal swab^SCT|||||||||||||{now}|",
    ])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--database", required=True)
    args = ap.parse_args()
    port, mllp = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    keys = tempfile.mkdtemp()
    log = open(args.database + ".log", "w")
    server = subprocess.Popen([args.binary, "serve", "--demo", "--port", str(port), "--mllp-port", str(mllp), "--database", args.database, "--keys-dir", keys],
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/health", timeout=2)
                break
            except Exception:
                time.sleep(0.5)
        token = subprocess.run([args.binary, "user", "token", "--username", "tp.chihuy", "--name", "live-check", "--days", "1", "--database", args.database],
                               capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]

        status, body = http(base, "POST", "/api/v1/testing/labs", token,
                            {"code": "BVBM", "name": "Bệnh viện Bạch Mai — khoa Vi sinh", "unit": "01/007", "hl7_facility": "BVBM_LIS"})
        check("the city registers a laboratory with its HL7 facility id", status in (200, 201), f"HTTP {status}: {body[:200]!r}")

        ack = mllp_exchange(mllp, oru("LIVE0001", "BVBM_LIS", "HN-LIVE-000001"))
        parsed = hl7.parse(ack)
        msa = parsed.segment("MSA")
        errors = [str(seg[3]).split("^")[0] for seg in parsed if str(seg[0]) == "ERR"]
        check("over MLLP an unknown tube is acknowledged AA (stored for review), parsed by python-hl7",
              str(msa[1]) == "AA" and str(msa[2]) == "LIVE0001" and "204" in errors, f"MSA {msa}, ERR-3 {errors}")
        check("the ACK is an ACK message", str(parsed.segment("MSH")[9]).startswith("ACK"), str(parsed.segment("MSH")[9]))

        ack = hl7.parse(mllp_exchange(mllp, oru("LIVE0002", "UNKNOWN_LIS", "HN-LIVE-000002")))
        check("a message from an unregistered facility is refused with AE", str(ack.segment("MSA")[1]) == "AE", str(ack.segment("MSA")))

        status, body = http(base, "GET", "/api/v1/testing/review", token)
        check("the review queue holds the unmatched result", status == 200 and b"HN-LIVE-000001" in body, f"HTTP {status}: {body[:300]!r}")

        status, body = http(base, "GET", "/fhir/Condition", token)
        ok = status == 200
        detail = f"HTTP {status}"
        patient_ref = None
        if ok:
            bundle = json.loads(body)
            construct_fhir_element("Bundle", bundle)
            entries = bundle.get("entry", [])
            ok = len(entries) > 0
            detail = f"{len(entries)} entries"
            for e in entries:
                construct_fhir_element(e["resource"]["resourceType"], e["resource"])
                subject = e["resource"].get("subject", {}).get("reference", "")
                if subject.startswith("Patient/") and patient_ref is None:
                    patient_ref = subject
        check("/fhir/Condition (the demo's F0s) is a valid FHIR R4 Bundle", ok, detail)
        if patient_ref:
            status, body = http(base, "GET", "/fhir/" + patient_ref, token)
            valid = status == 200
            if valid:
                construct_fhir_element("Patient", json.loads(body))
            check(f"/fhir/{patient_ref} is a valid FHIR R4 Patient", valid, f"HTTP {status}")
            # A duplicate of that person merged into it: both Patients still validate, linked as FHIR says.
            pid = patient_ref.split("/", 1)[1]
            status, body = http(base, "GET", "/api/v1/people/" + pid, token)
            person = json.loads(body).get("data", {}) if status == 200 else {}
            status, body = http(base, "POST", "/api/v1/people", token, {"full_name": person.get("full_name", ""), "unit": person.get("unit_path", ""), "address": "Bản ghi trùng"})
            duplicate = json.loads(body).get("data", {}).get("id") if status in (200, 201) else None
            status, body = http(base, "POST", f"/api/v1/people/{pid}/merge", token, {"duplicate_id": duplicate or ""})
            merged = status == 200
            links = []
            for ref in ([f"Patient/{duplicate}", patient_ref] if merged else []):
                status, body = http(base, "GET", "/fhir/" + ref, token)
                resource = json.loads(body) if status == 200 else {}
                construct_fhir_element("Patient", resource)
                links.append((resource.get("active"), [(l["type"], l["other"]["reference"]) for l in resource.get("link", [])]))
            check("after a merge, the duplicate's Patient is inactive and replaced-by the kept one, which replaces it (valid FHIR R4)",
                  links == [(False, [("replaced-by", patient_ref)]), (True, [("replaces", f"Patient/{duplicate}")])], f"merge HTTP {status}, {links}")
        else:
            check("a Condition names its Patient", False, "no subject reference")
    except Exception as e:  # a validation error or a dead server is a failure, with its reason
        check("live testing interfaces", False, repr(e)[:500])
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    if failures:
        print(open(args.database + ".log").read()[-3000:])
    print(f"testing live check: {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Cross-checks EpiLabFormats against third-party implementations.

(a) HL7 v2: every fixture in Tests/EpiLabFormatsTests/Fixtures/hl7 is parsed with the
    PyPI package `hl7` (python-hl7); the field values our Swift parser reported
    (via `labformats-fixtures hl7-expect`) must agree, and our ACKs must parse with
    python-hl7 and carry the expected MSH-9, MSA-1, MSA-2 and ERR-3 codes.
(b) FHIR R4: every resource/Bundle/NDJSON line our encoder produces
    (`labformats-fixtures fhir-emit`) is validated with `fhir.resources` 6.1.0,
    whose models are generated from FHIR 4.0.1 (R4) and forbid unknown elements.
(c) Round trip: the Bundles we emit are decoded again by our own decoder.
(d) Official example: if FHIR_R4_EXAMPLES_DIR points at the unzipped official R4
    examples-json, our decoder must accept every transaction/batch Bundle in it.

Prints PASS/FAIL per check and exits non-zero if any check fails.
Dependencies are pinned and installed into ./.venv on first run (PyPI only).
"""
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PINS = ["hl7==0.4.5", "fhir.resources==6.1.0", "pydantic[email]>=1.10,<2"]
HL7_DIR = ROOT / "Tests/EpiLabFormatsTests/Fixtures/hl7"
FHIR_DIR = ROOT / "Tests/EpiLabFormatsTests/Fixtures/fhir"


def ensure_dependencies():
    """Re-runs this script inside ./.venv with the pinned packages (system pydantic is v2, fhir.resources 6.x needs v1)."""
    try:
        import hl7  # noqa: F401
        import fhir.resources  # noqa: F401
        import pydantic

        if fhir.resources.__fhir_version__ == "4.0.1" and pydantic.VERSION.startswith("1."):
            return
    except ImportError:
        pass
    if os.environ.get("LABFORMATS_IN_VENV"):
        sys.exit("FAIL setup: pinned packages not importable inside .venv")
    py = VENV / "bin" / "python"
    if not py.exists():
        venv.create(VENV, with_pip=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", *PINS], check=True)
    env = dict(os.environ, LABFORMATS_IN_VENV="1")
    os.execve(str(py), [str(py), __file__, *sys.argv[1:]], env)


ensure_dependencies()

import hl7  # noqa: E402
import fhir.resources  # noqa: E402
from fhir.resources import construct_fhir_element  # noqa: E402

RESULTS = []


def check(name, ok, detail=""):
    RESULTS.append(ok)
    print(f"{'PASS' if ok else 'FAIL'} {name}" + (f" — {detail}" if detail and not ok else ""))


def build_tool():
    subprocess.run(["swift", "build", "--product", "labformats-fixtures"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True,
                             text=True).stdout.strip()
    return Path(bin_dir) / "labformats-fixtures"


# ---------------------------------------------------------------- HL7 helpers

SNOMED = {"260373001": "260373001", "10828004": "260373001", "260415000": "260415000", "260385009": "260415000"}
TEXT = {"dương tính": "260373001", "pos": "260373001", "âm tính": "260415000", "neg": "260415000"}
FLAGS = {"A": "260373001", "AA": "260373001", "N": "260415000"}
TESTS = {"94500-6", "94558-4"}
CT_CODES = {"94745-7", "94746-5", "94510-5", "94509-7", "94511-3", "94642-6", "94313-4"}

# file -> (MSA-1, number of results, ERR-3.1 codes in order)
EXPECT = {
    "oru_pcr_positive.hl7": ("AA", 1, []),
    "oru_pcr_negative.hl7": ("AA", 1, []),
    "oru_pooled.hl7": ("AA", 5, []),
    "oru_antigen.hl7": ("AA", 1, []),
    "oru_multi.hl7": ("AA", 3, ["103"]),
    "oru_missing_pid3.hl7": ("AE", 0, ["101"]),
    "oru_bad_dates.hl7": ("AE", 0, ["102", "102", "102"]),
    "oru_unknown_loinc.hl7": ("AE", 0, ["103"]),
    "oru_escapes.hl7": ("AA", 1, []),
    # Generated below into a temp dir: message-level refusals.
    "zz_adt.hl7": ("AR", 0, ["200"]),
    "zz_version23.hl7": ("AR", 0, ["203"]),
}


def val(msg, key):
    """python-hl7 accessor value (unescaped), '' when absent."""
    try:
        v = msg[key]
    except (IndexError, KeyError):
        return ""
    return "" if v is None else str(v)


def utc(dtm):
    """HL7 DTM -> aware UTC datetime, assuming Vietnam time (+0700) when no zone is given."""
    if not dtm:
        return None
    tz = dt.timezone(dt.timedelta(hours=7))
    core = dtm
    if len(dtm) > 5 and dtm[-5] in "+-":
        sign = 1 if dtm[-5] == "+" else -1
        tz = dt.timezone(sign * dt.timedelta(hours=int(dtm[-4:-2]), minutes=int(dtm[-2:])))
        core = dtm[:-5]
    core = core.split(".")[0]
    fmt = {4: "%Y", 6: "%Y%m", 8: "%Y%m%d", 10: "%Y%m%d%H", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}[len(core)]
    return dt.datetime.strptime(core, fmt).replace(tzinfo=tz).astimezone(dt.timezone.utc)


def groups(msg):
    """Independent ORU_R01 walk: yields (pid_index, obr_index, [obx_index...], spm_index) with 1-based occurrence numbers."""
    counters, out, cur = {}, [], None
    pid = None
    for seg in msg:
        sid = str(seg[0])
        counters[sid] = counters.get(sid, 0) + 1
        n = counters[sid]
        if sid == "PID":
            pid = n
        elif sid == "OBR":
            cur = {"pid": pid, "obr": n, "obx": [], "spm": None}
            out.append(cur)
        elif sid == "OBX" and cur is not None and cur["spm"] is None:
            cur["obx"].append(n)
        elif sid == "SPM" and cur is not None and cur["spm"] is None:
            cur["spm"] = n
    return out


def expected_result(msg, obx):
    vtype = val(msg, f"OBX{obx}.F2")
    if vtype in ("CWE", "CE"):
        r = SNOMED.get(val(msg, f"OBX{obx}.F5.R1.C1"))
    else:
        r = TEXT.get(val(msg, f"OBX{obx}.F5").strip().lower())
    if r is None:
        r = FLAGS.get(val(msg, f"OBX{obx}.F8.R1.C1"))
    return r


def check_hl7(tool):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for f in HL7_DIR.glob("*.hl7"):
            (tmp / f.name).write_bytes(f.read_bytes())
        base = (HL7_DIR / "oru_pcr_positive.hl7").read_text(encoding="utf-8")
        (tmp / "zz_adt.hl7").write_text(base.replace("ORU^R01^ORU_R01", "ADT^A01^ADT_A01"), encoding="utf-8")
        (tmp / "zz_version23.hl7").write_text(base.replace("|P|2.5.1|", "|P|2.3|"), encoding="utf-8")
        ours = json.loads(subprocess.run([str(tool), "hl7-expect", str(tmp)], check=True, capture_output=True,
                                         text=True).stdout)
        originals = {f.name: f.read_text(encoding="utf-8").replace("\n", "\r") for f in tmp.glob("*.hl7")}

    check("hl7: fixtures tool reported every fixture", sorted(o["file"] for o in ours) == sorted(EXPECT),
          str(sorted(o["file"] for o in ours)))
    for o in ours:
        name = o["file"]
        msg = hl7.parse(originals[name])
        problems = []
        msa_expected, n_expected, err_expected = EXPECT.get(name, ("?", -1, []))

        if o["parsed"]:
            if o["controlID"] != val(msg, "MSH.F10"):
                problems.append(f"MSH-10 {o['controlID']} != {val(msg, 'MSH.F10')}")
            if o["sendingApplication"] != val(msg, "MSH.F3.R1.C1"):
                problems.append("MSH-3")
            if o["sendingFacility"] != val(msg, "MSH.F4.R1.C1"):
                problems.append("MSH-4")
        if len(o["entries"]) != n_expected:
            problems.append(f"{len(o['entries'])} results, expected {n_expected}")

        by_obx = {}
        for g in groups(msg):
            for x in g["obx"]:
                by_obx[x] = g
        for e in o["entries"]:
            x = e["obxSequence"]
            g = by_obx.get(x)
            if g is None:
                problems.append(f"OBX{x} not in an order group")
                continue
            p, obr, spm = g["pid"], g["obr"], g["spm"]
            checks = {
                "loinc": (e["loinc"], val(msg, f"OBX{x}.F3.R1.C1")),
                "status": (e["status"], val(msg, f"OBX{x}.F11") or val(msg, f"OBR{obr}.F25")),
                "result": (e["result"], expected_result(msg, x)),
                "label": (e["label"], val(msg, f"SPM{spm}.F2.R1.C1.S1")),
                "family": (e["family"], val(msg, f"PID{p}.F5.R1.C1.S1") or None),
                "given": (e["given"], val(msg, f"PID{p}.F5.R1.C2") or None),
                "middle": (e["middle"], val(msg, f"PID{p}.F5.R1.C3") or None),
                "birthDate": (e["birthDate"], val(msg, f"PID{p}.F7") or None),
                "sex": (e["sex"], val(msg, f"PID{p}.F8") or None),
                "phone": (e["phone"], val(msg, f"PID{p}.F13.R1.C1") or val(msg, f"PID{p}.F13.R1.C12") or None),
                "placer": (e["placer"], val(msg, f"OBR{obr}.F2.R1.C1")),
                "filler": (e["filler"], val(msg, f"OBR{obr}.F3.R1.C1")),
                "collectedAt": (utc(e["collectedAt"]), utc(val(msg, f"SPM{spm}.F17.R1.C1") or val(msg, f"OBR{obr}.F7"))),
                "resultedAt": (utc(e["resultedAt"]), utc(val(msg, f"OBX{x}.F19") or val(msg, f"OBR{obr}.F22")
                                                          or val(msg, "MSH.F7"))),
                "labName": (e["labName"], val(msg, f"OBX{x}.F23.R1.C1") or val(msg, "MSH.F4.R1.C1")),
            }
            pool = val(msg, f"SPM{spm}.F13")
            if pool:
                checks["poolSize"] = (e["poolSize"], int(pool))
            # PID-3 identifier values, in order.
            reps = msg.segments("PID")[p - 1](3)
            ids = [val(msg, f"PID{p}.F3.R{r}.C1") for r in range(1, len(reps) + 1)]
            checks["identifiers"] = ([i["value"] for i in e["identifiers"]], [i for i in ids if i])
            # Ct: a cycle-threshold OBX in the same order.
            ct = None
            for y in g["obx"]:
                if val(msg, f"OBX{y}.F3.R1.C1") in CT_CODES:
                    ct = float(val(msg, f"OBX{y}.F5"))
            if e["loinc"] == "94500-6":
                checks["ct"] = (e["ct"], ct)
            for k, (mine, theirs) in checks.items():
                if mine != theirs:
                    problems.append(f"OBX{x} {k}: ours={mine!r} python-hl7={theirs!r}")
        check(f"hl7 values {name}", not problems, "; ".join(problems))

        # The ACK must parse with python-hl7 and say the right thing.
        ack = hl7.parse(o["ack"])
        errs = [val(ack, f"ERR{i}.F3.R1.C1") for i in range(1, len(ack.segments("ERR")) + 1)] if any(
            str(s[0]) == "ERR" for s in ack) else []
        ack_problems = []
        if val(ack, "MSA.F1") != msa_expected:
            ack_problems.append(f"MSA-1 {val(ack, 'MSA.F1')} != {msa_expected}")
        if val(ack, "MSA.F2") != val(msg, "MSH.F10"):
            ack_problems.append(f"MSA-2 {val(ack, 'MSA.F2')} != {val(msg, 'MSH.F10')}")
        ack_type = [val(ack, f"MSH.F9.R1.C{c}") for c in (1, 2, 3)]
        if ack_type != ["ACK", val(msg, "MSH.F9.R1.C2"), "ACK"]:
            ack_problems.append(f"MSH-9 {ack_type}")
        if val(ack, "MSH.F5.R1.C1") != val(msg, "MSH.F3.R1.C1") or val(ack, "MSH.F3.R1.C1") != val(msg, "MSH.F5.R1.C1"):
            ack_problems.append("sender/receiver not swapped")
        if val(ack, "MSH.F12") != val(msg, "MSH.F12"):
            ack_problems.append("MSH-12 differs")
        if errs != err_expected:
            ack_problems.append(f"ERR-3 {errs} != {err_expected}")
        check(f"hl7 ACK {name} ({msa_expected})", not ack_problems, "; ".join(ack_problems))


def random_er7(rng):
    """A random but well-formed ER7 message: repetitions, components, subcomponents, escapes, Vietnamese text."""
    words = ["Nguyễn", "Văn", "Hà Nội", "ABC", "12.5", "x", " lead", "trail ", "Đỗ", "phố Huế", "Ct"]
    escapes = ["\\F\\", "\\S\\", "\\T\\", "\\R\\", "\\E\\", "\\X41\\", "\\X2D\\"]

    def text():
        parts = [rng.choice(words) if rng.random() < 0.75 else rng.choice(escapes) for _ in range(rng.randint(1, 3))]
        return "".join(parts)

    def joined(level):
        if level == 3:
            return text() if rng.random() < 0.8 else ""
        sep = "~^&"[level]
        n = rng.choice([1, 1, 1, 2, 3]) if level else rng.choice([1, 1, 2])
        return sep.join(joined(level + 1) for _ in range(n))

    segs = ["MSH|^~\\&|APP|FAC|||20210815||ORU^R01|R%d|P|2.5.1" % rng.randint(1, 10 ** 6)]
    for _ in range(rng.randint(1, 8)):
        sid = rng.choice(["PID", "OBX", "NTE", "ZXY", "SPM"])
        fields = [joined(0) if rng.random() < 0.7 else "" for _ in range(rng.randint(1, 14))]
        segs.append("|".join([sid] + fields))
    return "\r".join(segs)


def split_leaves(raw_segment):
    """Independent reference split of one non-MSH segment into non-empty (f, r, c, s) leaves (raw, still escaped)."""
    out = {}
    fields = raw_segment.split("|")
    for f, field in enumerate(fields[1:], start=1):
        for r, rep in enumerate(field.split("~"), start=1):
            for c, comp in enumerate(rep.split("^"), start=1):
                for s_, sub in enumerate(comp.split("&"), start=1):
                    if sub:
                        out[(f, r, c, s_)] = sub
    return out, len(fields) - 1


def check_er7(tool):
    """Generic ER7 layer: every leaf our parser reports equals python-hl7's unescaped value, and none is missing."""
    import random

    rng = random.Random(2021)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        messages = {}
        for i in range(300):
            messages[f"rand_{i:03d}.hl7"] = random_er7(rng)
        for f in HL7_DIR.glob("*.hl7"):
            messages[f.name] = f.read_text(encoding="utf-8").replace("\n", "\r")
        for name, text in messages.items():
            (tmp / name).write_text(text, encoding="utf-8")
        dump = json.loads(subprocess.run([str(tool), "hl7-dump", str(tmp)], check=True, capture_output=True,
                                         text=True).stdout)
    problems, leaves_checked = [], 0
    for entry in dump:
        name = entry["file"]
        text = messages[name]
        if not entry["parsed"]:
            problems.append(f"{name}: not parsed")
            continue
        msg = hl7.parse(text)
        raw_segments = [s for s in text.split("\r") if s]
        if len(raw_segments) != len(entry["segments"]):
            problems.append(f"{name}: {len(entry['segments'])} segments, expected {len(raw_segments)}")
            continue
        for raw, seg in zip(raw_segments, entry["segments"]):
            sid, seq = seg["id"], seg["sequence"]
            if sid == "MSH":
                continue
            reference, field_count = split_leaves(raw)
            ours = {tuple(l[:4]): l[4] for l in seg["leaves"]}
            if field_count != seg["fieldCount"] or set(ours) != set(reference):
                problems.append(f"{name} {sid}{seq}: leaf positions differ")
                continue
            for (f, r, c, s_), value in ours.items():
                theirs = val(msg, f"{sid}{seq}.F{f}.R{r}.C{c}.S{s_}")
                leaves_checked += 1
                # python-hl7 strips trailing blanks off each segment; our parser keeps raw field text.
                if value != theirs and not (f == field_count and raw != raw.rstrip() and value.rstrip() == theirs):
                    problems.append(f"{name} {sid}{seq}-{f}.{r}.{c}.{s_}: ours={value!r} python-hl7={theirs!r}")
    check(f"hl7 generic ER7 layer vs python-hl7 ({len(dump)} messages, {leaves_checked} leaves)", not problems,
          "; ".join(problems[:5]))


# ---------------------------------------------------------------- FHIR helpers

def empties(node, path="$"):
    """FHIR JSON forbids null, "", [] and {} anywhere."""
    bad = []
    if node is None or node == "" or node == [] or node == {}:
        bad.append(path)
    elif isinstance(node, dict):
        for k, v in node.items():
            bad += empties(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            bad += empties(v, f"{path}[{i}]")
    return bad


# fhir.resources 6.1.0 checks structure, cardinality, primitive formats and unknown elements, but not
# required-binding code lists or invariants, so those we emit are checked here by hand (FHIR 4.0.1 values).
REQUIRED_CODES = {
    ("Observation", "status"): {"registered", "preliminary", "final", "amended", "corrected", "cancelled",
                                "entered-in-error", "unknown"},
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
    ("Bundle", "type"): {"document", "message", "transaction", "transaction-response", "batch", "batch-response",
                         "history", "searchset", "collection"},
}
ISSUE_SEVERITY = {"fatal", "error", "warning", "information"}
ISSUE_TYPE = {"invalid", "structure", "required", "value", "invariant", "security", "login", "unknown", "expired",
              "forbidden", "suppressed", "processing", "not-supported", "duplicate", "multiple-matches", "not-found",
              "deleted", "too-long", "code-invalid", "extension", "too-costly", "business-rule", "conflict",
              "transient", "lock-error", "no-store", "exception", "timeout", "incomplete", "throttled",
              "informational"}
CLINICAL = {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}
VERIFICATION = {"unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error"}


def codes(concept):
    return [c.get("code") for c in (concept or {}).get("coding", [])]


def bindings_and_invariants(r):
    """Returns a list of violations for the required bindings and invariants relevant to what we emit."""
    bad = []
    rt = r["resourceType"]
    for (t, el), allowed in REQUIRED_CODES.items():
        if rt == t and el in r and r[el] not in allowed:
            bad.append(f"{rt}.{el}={r[el]}")
    if rt == "Observation":
        if "dataAbsentReason" in r and any(k.startswith("value") for k in r):
            bad.append("obs-6")
    if rt == "Condition":
        if not set(codes(r.get("clinicalStatus"))) <= CLINICAL or not set(codes(r.get("verificationStatus"))) <= VERIFICATION:
            bad.append("Condition status codes")
        if any(k.startswith("abatement") for k in r) and not set(codes(r.get("clinicalStatus"))) & {"inactive", "resolved", "remission"}:
            bad.append("con-4")
        if "entered-in-error" in codes(r.get("verificationStatus")) and "clinicalStatus" in r:
            bad.append("con-5")
    if rt == "OperationOutcome":
        for i in r.get("issue", []):
            if i.get("severity") not in ISSUE_SEVERITY or i.get("code") not in ISSUE_TYPE:
                bad.append(f"issue {i.get('severity')}/{i.get('code')}")
    if rt == "Bundle":
        t = r.get("type")
        if "total" in r and t not in ("searchset", "history"):
            bad.append("bdl-1")
        seen = set()
        for i, e in enumerate(r.get("entry", [])):
            if not ({"resource", "request", "response"} & set(e)):
                bad.append(f"bdl-5 entry[{i}]")
            if "search" in e and t != "searchset":
                bad.append(f"bdl-2 entry[{i}]")
            if ("request" in e) != (t in ("batch", "transaction", "history")):
                bad.append(f"bdl-3 entry[{i}]")
            if ("response" in e) != (t in ("batch-response", "transaction-response", "history")):
                bad.append(f"bdl-4 entry[{i}]")
            if e.get("search", {}).get("mode", "match") not in ("match", "include", "outcome"):
                bad.append("search.mode")
            if e.get("request", {}).get("method", "GET") not in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"):
                bad.append("request.method")
            key = (e.get("fullUrl"), (e.get("resource", {}).get("meta") or {}).get("versionId"))
            if e.get("fullUrl") and key in seen:
                bad.append("bdl-7")
            seen.add(key)
            if "resource" in e:
                bad += bindings_and_invariants(e["resource"])
            if "outcome" in e.get("response", {}):
                bad += bindings_and_invariants(e["response"]["outcome"])
    return bad


def validate(data):
    construct_fhir_element(data["resourceType"], data)
    bad = empties(data)
    if bad:
        raise ValueError(f"empty values at {bad[:5]}")
    bad = bindings_and_invariants(data)
    if bad:
        raise ValueError(f"binding/invariant violations: {bad[:5]}")


def check_fhir(tool):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run([str(tool), "fhir-emit", str(tmp), str(HL7_DIR), str(FHIR_DIR)], check=True)
        files = sorted(tmp.glob("*.json"))
        kinds = {}
        for f in files:
            data = json.loads(f.read_text(encoding="utf-8"))
            kinds[data.get("resourceType")] = kinds.get(data.get("resourceType"), 0) + 1
            try:
                validate(data)
                check(f"fhir R4 {f.name}", True)
            except Exception as exc:  # noqa: BLE001 - report any validator complaint
                check(f"fhir R4 {f.name}", False, str(exc).replace("\n", " ")[:400])
        needed = {"Patient", "Observation", "Condition", "Specimen", "Bundle", "OperationOutcome"}
        check("fhir emitted every resource type", needed <= set(kinds), str(kinds))

        nd = tmp / "ndjson"
        lines_ok, problems = 0, []
        for f in sorted(nd.glob("*.ndjson")):
            text = f.read_text(encoding="utf-8")
            if not text.endswith("\n"):
                problems.append(f"{f.name}: no trailing newline")
            for i, line in enumerate(text.splitlines()):
                try:
                    data = json.loads(line)
                    if f.name != data["resourceType"] + ".ndjson":
                        raise ValueError("wrong file for resourceType")
                    validate(data)
                    lines_ok += 1
                except Exception as exc:  # noqa: BLE001
                    problems.append(f"{f.name}:{i + 1}: {str(exc)[:200]}")
        manifest = json.loads((tmp / "manifest.json.notfhir").read_text(encoding="utf-8"))
        counted = sum(o["count"] for o in manifest["output"])
        if counted != lines_ok:
            problems.append(f"manifest counts {counted} != {lines_ok} lines")
        check(f"fhir NDJSON ({lines_ok} lines, Bulk Data layout)", not problems and lines_ok > 0, "; ".join(problems))

        # Round trip: our own request Bundles must decode cleanly with every Observation mapped.
        for name in ("Bundle-transaction.json", "Bundle-batch.json"):
            out = json.loads(subprocess.run([str(tool), "fhir-decode", str(tmp / name)], check=True,
                                            capture_output=True, text=True).stdout)
            bad = [e for e in out.get("entries", []) if not e["ok"]]
            n_obs = sum(1 for e in out.get("entries", []) if e["resourceType"] == "Observation")
            check(f"fhir round trip {name} ({out.get('results')} results)",
                  out.get("decoded") and not bad and out.get("results") == n_obs, json.dumps(bad)[:300])

    # Our FHIR test inputs must themselves be valid R4 (except the deliberately broken one).
    for f in sorted(FHIR_DIR.glob("*.json")):
        data = json.loads(f.read_text(encoding="utf-8"))
        broken = "fail" in f.name
        try:
            validate(data)
            check(f"fhir input fixture {f.name} is valid R4", not broken, "invalid date was accepted by validator")
        except Exception as exc:  # noqa: BLE001
            check(f"fhir input fixture {f.name} is {'invalid (as intended)' if broken else 'valid R4'}", broken,
                  str(exc)[:300])


def check_official(tool):
    root = os.environ.get("FHIR_R4_EXAMPLES_DIR")
    if not root:
        print("SKIP official FHIR R4 example bundles — set FHIR_R4_EXAMPLES_DIR to a folder with JSON files from the "
              "FHIR 4.0.1 examples (hl7.fhir.r4.examples); none are shipped here")
        return
    found = 0
    # Why an entry of a general-purpose example may be refused by a lab-results endpoint.
    expected_refusals = {"fhir.unsupported_request", "fhir.missing_element", "fhir.transaction_failed"}
    for f in sorted(Path(root).glob("*.json")):
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if data.get("resourceType") != "Bundle" or data.get("type") not in ("transaction", "batch"):
            continue
        found += 1
        try:
            construct_fhir_element("Bundle", data)
            check(f"official example {f.name} is valid R4 for fhir.resources", True)
        except Exception as exc:  # noqa: BLE001
            check(f"official example {f.name} is valid R4 for fhir.resources", False, str(exc)[:300])
        out = json.loads(subprocess.run([str(tool), "fhir-decode", str(f)], capture_output=True, text=True).stdout)
        entries = out.get("entries", [])
        ok = sum(1 for e in entries if e["ok"])
        codes = sorted({c for e in entries for c in e["issues"]})
        unexpected = [c for c in codes if c not in expected_refusals]
        check(f"official example {f.name} decoded ({len(entries)} entries: {ok} accepted, refusals {codes})",
              bool(out.get("decoded")) and len(entries) == len(data.get("entry", [])) and not unexpected,
              json.dumps(out)[:300])
    check("official examples: found transaction/batch bundles", found > 0)


def main():
    print(f"python-hl7 {hl7.__version__}, fhir.resources {fhir.resources.__version__} "
          f"(FHIR {fhir.resources.__fhir_version__})")
    tool = build_tool()
    check_er7(tool)
    check_hl7(tool)
    check_fhir(tool)
    check_official(tool)
    failed = RESULTS.count(False)
    print(f"{RESULTS.count(True)} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

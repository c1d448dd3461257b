#!/usr/bin/env python3
"""Generates the ORU^R01 test fixtures in Tests/EpiLabFormatsTests/Fixtures/hl7.

Segments are written from {field number: value} maps so field positions are exact;
files use LF between segments for readability (the parser accepts CR, LF and CRLF,
and the tests also feed CR-only variants). Re-run after editing; output is stable.
"""
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "Tests/EpiLabFormatsTests/Fixtures/hl7"

PCR = "94500-6^SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe detection^LN"
AG = "94558-4^SARS-CoV-2 (COVID-19) Ag [Presence] in Respiratory specimen by Rapid immunoassay^LN"
CT = "94745-7^SARS-CoV-2 (COVID-19) RNA [Cycle Threshold #] in Respiratory specimen by NAA with probe detection^LN"
DETECTED = "260373001^Detected^SCT"
NOT_DETECTED = "260415000^Not detected^SCT"
NP_SWAB = "258500001^Nasopharyngeal swab^SCT"
LAB = "CDC Hà Nội - Khoa Xét nghiệm^L^^^^CDC_HANOI&2.16.840.1.113883.3.9999.1&ISO^XX^^^01D0123456"


def seg(name, fields):
    top = max(fields) if fields else 0
    parts = [name] + [fields.get(i, "") for i in range(1, top + 1)]
    return "|".join(parts)


def msh(control_id, ts="20210815103000+0700", msg_type="ORU^R01^ORU_R01", version="2.5.1", sender="LIS_CDC",
        facility="CDC_HANOI^2.16.840.1.113883.3.9999.1^ISO"):
    # MSH-1 is the separator itself, so field n sits at split position n-1.
    f = {3: sender, 4: facility, 5: "EPICOMMAND", 6: "SYT_HANOI", 7: ts, 9: msg_type, 10: control_id, 11: "P",
         12: version, 15: "AL", 16: "NE", 17: "VNM", 18: "UNICODE UTF-8"}
    return "MSH|^~\\&|" + "|".join(f.get(i, "") for i in range(3, 19))


def pid(set_id, ids, name, dob, sex, address="", phone=""):
    return seg("PID", {1: set_id, 3: ids, 5: name, 7: dob, 8: sex, 11: address, 13: phone})


def orc(placer, filler):
    return seg("ORC", {1: "RE", 2: placer + "^LIS_CDC", 3: filler + "^CDC_HANOI", 5: "CM"})


def obr(set_id, placer, filler, service, observed, reported, status="F"):
    return seg("OBR", {1: set_id, 2: placer + "^LIS_CDC", 3: filler + "^CDC_HANOI", 4: service, 7: observed,
                       22: reported, 25: status})


def obx(set_id, vtype, code, value, status="F", observed="", analysed="", flags="", units="", lab=LAB):
    return seg("OBX", {1: set_id, 2: vtype, 3: code, 5: value, 6: units, 8: flags, 11: status, 14: observed,
                       19: analysed, 23: lab})


def spm(set_id, label, collected, received="", stype=NP_SWAB, pool=""):
    return seg("SPM", {1: set_id, 2: label + "&LIS_CDC", 4: stype, 13: pool, 17: collected, 18: received})


def write(name, segments):
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / name).write_text("\n".join(segments) + "\n", encoding="utf-8")


T_COL = "20210815073000+0700"
T_AN = "20210815100000+0700"
T_REP = "20210815101500+0700"

# 1. RT-PCR positive, CCCD plus hospital MR number, Ct reported in a separate OBX.
write("oru_pcr_positive.hl7", [
    msh("CDC20210815-0001"),
    pid("1", "001085012345^^^BCA^NI~BN21-778899^^^BVBM^MR", "Nguyễn^Nam^Văn", "19850312", "M",
        "Số 12 ngõ 34 phố Huế^^Hai Bà Trưng^Hà Nội^^VNM", "0912345678^PRN^CP"),
    orc("XN-000123", "KQ-000123"),
    obr("1", "XN-000123", "KQ-000123", PCR, T_COL, T_REP),
    obx("1", "CWE", PCR, DETECTED, observed=T_COL, analysed=T_AN, flags="A"),
    obx("2", "NM", CT, "24.5", units="{Ct_value}^Ct^UCUM", observed=T_COL),
    spm("1", "HN-0815-000123", T_COL, "20210815090000+0700"),
])

# 2. RT-PCR negative given as Vietnamese text, old CMND, birth year only, local time without zone.
write("oru_pcr_negative.hl7", [
    msh("CDC20210815-0002", ts="20210815103100"),
    pid("1", "012345678^^^BCA^NI", "Trần^Hoa^Thị", "1992", "F", "Phường Láng Hạ^^Đống Đa^Hà Nội",
        "^PRN^CP^^^^^^^^^0987654321"),
    orc("XN-000124", "KQ-000124"),
    obr("1", "XN-000124", "KQ-000124", PCR, "20210815074500", "20210815102000"),
    obx("1", "ST", PCR, "Âm tính", observed="20210815074500", lab=""),
    spm("1", "HN-0815-000124", "20210815074500"),
])

# 3. Pooled tube: 5 people, one label, SPM-13 = 5, result not detected.
people = [
    ("001190000001", "Lê^Tuấn^Minh", "19900101", "M"),
    ("001290000002", "Phạm^Lan^Thị", "19900202", "F"),
    ("001090000003", "Hoàng^Anh^Đức", "19700303", "M"),
    ("001388000004", "Vũ^Mai^Thị", "20050404", "F"),
    ("001200000005", "Đặng^Bảo^Quốc", "20000505", "M"),
]
pooled = [msh("CDC20210816-0100", ts="20210816080000+0700")]
for i, (cccd, name, dob, sex) in enumerate(people, start=1):
    placer = f"XN-POOL-77-{i}"
    pooled += [
        pid(str(i), cccd + "^^^BCA^NI", name, dob, sex, "Ngõ 158 Ngọc Khánh^^Ba Đình^Hà Nội"),
        orc(placer, "KQ-POOL-77"),
        obr("1", placer, "KQ-POOL-77", PCR, "20210816063000+0700", "20210816075500+0700"),
        obx("1", "CWE", PCR, NOT_DETECTED, observed="20210816063000+0700", analysed="20210816074000+0700"),
        spm("1", "HN-POOL5-0077", "20210816063000+0700", pool="5"),
    ]
write("oru_pooled.hl7", pooled)

# 4. Rapid antigen positive for a foreign passport holder, SNOMED "Positive" qualifier.
write("oru_antigen.hl7", [
    msh("TYT-BD-20210817-0042", ts="20210817143000+0700", sender="TYT_BADINH",
        facility="TYT_BADINH^2.16.840.1.113883.3.9999.7^ISO"),
    pid("1", "C1234567^^^KOR^PPN", "Kim^Minjun", "19880720", "M", "", "0901111222^PRN^CP"),
    orc("TN-0042", "TN-0042"),
    obr("1", "TN-0042", "TN-0042", AG, "20210817140000+0700", "20210817142000+0700"),
    obx("1", "CWE", AG, "10828004^Positive^SCT", observed="20210817140000+0700",
        lab="Trạm Y tế phường Điện Biên^L^^^^TYT_BADINH&2.16.840.1.113883.3.9999.7&ISO^XX^^^TYT-BD-01"),
    spm("1", "BD-AG-0042", "20210817140000+0700", stype="871810001^Mid-turbinate nasal swab^SCT"),
])

# 5. Two patients; multiple OBX: a corrected result, a preliminary antigen result, an extra OBX with a
#    non-COVID LOINC (ignored with a warning), a result given only by its abnormal flag, and an NTE.
write("oru_multi.hl7", [
    msh("BVBM-LAB-20210818-0007", ts="20210818200000+0700", sender="LIS_BVBM",
        facility="BVBM^2.16.840.1.113883.3.9999.2^ISO"),
    pid("1", "079201001234^^^BCA^NI", "Bùi^Trang^Thu", "20010115", "F", "", "0933000111^PRN^CP"),
    orc("BM-9001", "BM-R-9001"),
    obr("1", "BM-9001", "BM-R-9001", PCR, "20210818090000+0700", "20210818193000+0700", status="C"),
    obx("1", "CWE", PCR, NOT_DETECTED, status="C", observed="20210818090000+0700", analysed="20210818190000+0700",
        lab="Bệnh viện Bạch Mai - Khoa Vi sinh^L^^^^BVBM&2.16.840.1.113883.3.9999.2&ISO^XX^^^BM-VS"),
    obx("2", "NM", "2345-7^Glucose [Mass/volume] in Serum or Plasma^LN", "5.4", units="mmol/L"),
    "NTE|1||Mẫu được xét nghiệm lại theo yêu cầu của CDC.",
    spm("1", "BM-0818-9001", "20210818090000+0700"),
    orc("BM-9002", "BM-R-9002"),
    obr("2", "BM-9002", "BM-R-9002", AG, "20210818091500+0700", "20210818100000+0700", status="P"),
    obx("1", "CWE", AG, "", status="P", flags="A", observed="20210818091500+0700"),
    spm("1", "BM-0818-9002", "20210818091500+0700"),
    pid("2", "BN22-000555^^^BVBM^MR~038099001122^^^BCA^NI", "Đỗ^Yến^Hải", "19991230", "F"),
    orc("BM-9003", "BM-R-9003"),
    obr("1", "BM-9003", "BM-R-9003", PCR, "20210818093000+0700", "20210818194500+0700"),
    obx("1", "CWE", PCR, DETECTED, observed="20210818093000+0700", analysed="20210818191500+0700"),
    obx("2", "NM", CT, "31", units="{Ct_value}^Ct^UCUM"),
    spm("1", "BM-0818-9003", "20210818093000+0700"),
])

# 6. PID-3 missing: the order must be refused with ERR 101 at PID-3.
write("oru_missing_pid3.hl7", [
    msh("CDC20210819-0003", ts="20210819090000+0700"),
    pid("1", "", "Ngô^Huy^Gia", "19950606", "M"),
    orc("XN-000200", "KQ-000200"),
    obr("1", "XN-000200", "KQ-000200", PCR, T_COL, T_REP),
    obx("1", "CWE", PCR, NOT_DETECTED, observed=T_COL),
    spm("1", "HN-0819-000200", T_COL),
])

# 7. Bad dates: impossible month in OBR-7, birth year 1880 (outside 1900-2100).
write("oru_bad_dates.hl7", [
    msh("CDC20210819-0004", ts="20210819091000+0700"),
    pid("1", "001085099999^^^BCA^NI", "Lý^Long^Văn", "18800101", "M"),
    orc("XN-000201", "KQ-000201"),
    obr("1", "XN-000201", "KQ-000201", PCR, "20211345073000+0700", T_REP),
    obx("1", "CWE", PCR, NOT_DETECTED),
    spm("1", "HN-0819-000201", "20211345073000+0700"),
    pid("2", "001085088888^^^BCA^NI", "Lý^Phượng^Thị", "19870101", "F"),
    orc("XN-000202", "KQ-000202"),
    obr("1", "XN-000202", "KQ-000202", PCR, "20210230073000+0700", T_REP),
    obx("1", "CWE", PCR, NOT_DETECTED),
    spm("1", "HN-0819-000202", "20210230073000+0700"),
])

# 8. Only a non-COVID LOINC: the order has no usable result (ERR 103 at OBX-3).
write("oru_unknown_loinc.hl7", [
    msh("CDC20210819-0005", ts="20210819092000+0700"),
    pid("1", "001085077777^^^BCA^NI", "Trịnh^Sơn^Công", "19800808", "M"),
    orc("XN-000203", "KQ-000203"),
    obr("1", "XN-000203", "KQ-000203", "94309-2^SARS-CoV-2 (COVID-19) RNA [Presence] in Specimen by NAA^LN", T_COL, T_REP),
    obx("1", "CWE", "94309-2^SARS-CoV-2 (COVID-19) RNA [Presence] in Specimen by NAA with probe detection^LN", DETECTED),
    spm("1", "HN-0819-000203", T_COL),
])

# 9. Escape sequences in names, address, lab name and tube label.
write("oru_escapes.hl7", [
    msh("CDC20210820-0006", ts="20210820080000+0700"),
    pid("1", "001085066666^^^BCA^NI", "Nguyễn\\T\\Trần^Khoa^Đăng", "19770707", "M",
        "Số 5\\F\\7 ngõ 12\\S\\A phố Kim Mã \\E\\ tầng 3^^Ba Đình^Hà Nội", "0911222333^PRN^CP"),
    orc("XN-000300", "KQ-000300"),
    obr("1", "XN-000300", "KQ-000300", PCR, T_COL, T_REP),
    obx("1", "ST", PCR, "Dương tính", observed=T_COL,
        lab="Phòng XN \\R\\ Trung tâm \\X41\\BC^L^^^^CDC_HANOI&2.16.840.1.113883.3.9999.1&ISO^XX^^^01D0123456"),
    spm("1", "HN\\T\\0820\\S\\300", T_COL),
])

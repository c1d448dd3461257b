"""OpenAPI fragment: testing campaigns, sampling points, tubes, batches, lab results (CSV, HL7 v2, FHIR R4), review, re-tests, FHIR R4 export (issue 12)."""
from oa_common import *  # noqa: F401,F403

TARGET = "EpiTesting"

i = {"type": "integer"}
s = {"type": "string"}
ns = {"type": ["string", "null"]}
ni = {"type": ["integer", "null"]}
b = {"type": "boolean"}
num = {"type": "number"}
LAB = q("lab", "Laboratory code (or id); a lab account's own lab when it has one")

campaign = {"type": "object", "properties": {
    "id": s, "name": s, "unit_path": s, "group_code": s, "target_kind": {"type": "string", "enum": ["units", "zone", "group"]},
    "target_group": {"type": ["string", "null"], "enum": ["market_traders", "shippers", "drivers", "health_workers", "factory_workers", "chronic_illness", "frontline", "teachers", "police", "military", "other", None]},
    "zone_id": ns, "test": {"type": "string", "enum": ["rt_pcr", "rapid_antigen"]}, "pool_size": i, "starts_on": {"type": "string", "format": "date"},
    "deadline_on": {"type": "string", "format": "date"}, "status": {"type": "string", "enum": ["active", "closed"]}, "notes": s,
    "created_by": s, "created_at": s, "updated_at": s, "version": i}}
campaign_input = {"type": "object", "required": ["name", "deadline_on"], "properties": {
    "name": s, "unit": {"type": "string", "description": "District, ward or the city (path, slug or code); the caller's unit when absent"},
    "target_kind": {"type": "string", "enum": ["units", "zone", "group"], "default": "units"},
    "target_group": {"type": "string", "enum": ["market_traders", "shippers", "drivers", "health_workers", "factory_workers", "chronic_illness", "frontline", "teachers", "police", "military", "other"]},
    "zone_id": {"type": "string", "description": "An active lockdown zone (target_kind zone)"},
    "wards": arr({"type": "string", "description": "Ward code or path"}),
    "targets": {"type": "object", "additionalProperties": i, "description": "Group size per ward (code or path), for target_kind group"},
    "group_size": {"type": "integer", "description": "One group size for every ward; without it or targets, each ward's people of the group recorded in the registry (POST /api/v1/testing/people/{id}/risk-groups)"},
    "test": {"type": "string", "enum": ["rt_pcr", "rapid_antigen"]}, "pool_size": {"type": "integer", "minimum": 1},
    "starts_on": {"type": "string", "description": "dd/mm/yyyy or yyyy-mm-dd; today when absent"}, "deadline_on": {"type": "string"}, "notes": s}}
ward_progress = {"type": "object", "properties": {"unit_path": s, "target": i, "people": i, "tubes": i, "per_day": num, "projected": i, "will_miss": b, "days_needed": ni,
    "capacity_per_day": {"type": "integer", "description": "People a day the ward's active sampling points can take"},
    "needed_per_day": {"type": ["integer", "null"], "description": "People a day still needed to finish by the deadline"},
    "beyond_capacity": {"type": "boolean", "description": "Even at full capacity of its points the ward cannot finish (also in will_miss)"}}}
campaign_body = {"type": "object", "properties": {"data": ref("Campaign"), "wards": arr(ref("WardProgress")), "will_miss": arr(s)}}
lab = {"type": "object", "properties": {"id": s, "code": s, "name": s, "unit_path": s, "group_code": s, "hl7_facility": ns, "active": b,
                                          "created_by": s, "created_at": s, "updated_at": s, "version": i}}
lab_input = {"type": "object", "required": ["code", "name"], "properties": {"code": s, "name": s, "unit": s,
             "hl7_facility": {"type": "string", "description": "MSH-4 of the lab's HL7 messages: how a message over MLLP names its lab"}, "active": b}}
point = {"type": "object", "properties": {"id": s, "campaign_id": s, "unit_path": s, "group_code": s, "name": s, "address": s, "daily_capacity": i, "active": b,
                                            "created_by": s, "created_at": s}}
point_input = {"type": "object", "required": ["unit", "name", "daily_capacity"], "properties": {"unit": s, "name": s, "address": s, "daily_capacity": {"type": "integer", "minimum": 1}}}
sample = {"type": "object", "properties": {
    "id": s, "label": s, "campaign_id": ns, "point_id": ns, "unit_path": s, "group_code": s, "kind": {"type": "string", "enum": ["individual", "pooled"]},
    "test": {"type": "string", "enum": ["rt_pcr", "rapid_antigen"]}, "pool_size": i, "team": s, "symptomatic": b, "sampled_at": s, "sampled_on": s,
    "status": {"type": "string", "enum": ["collected", "in_transit", "received", "resulted"]}, "batch_id": ns, "lab_id": ns,
    "result_value": {"type": ["string", "null"], "enum": ["detected", "not_detected", "inconclusive", "invalid", None]}, "resulted_at": ns, "result_id": ns,
    "created_by": s, "created_at": s}}
member = {"type": "object", "properties": {"id": s, "sample_id": s, "position": i, "person_id": ns, "full_name": s, "name_folded": s, "citizen_id": ns, "phone": ns,
                                             "birth_year": ni, "unit_path": s, "group_code": s, "retest_id": ns}}
sample_input = {"type": "object", "required": ["point_id", "label", "members"], "properties": {
    "point_id": s, "label": {"type": "string", "description": "The label printed on the tube (scanned or typed)"},
    "test": {"type": "string", "enum": ["rt_pcr", "rapid_antigen"], "description": "The campaign's test when absent"},
    "members": arr({"type": "object", "properties": {"person_id": {"type": "string", "description": "A registered person"},
                                                     "full_name": s, "phone": s, "citizen_id": s, "birth_year": i}}),
    "symptomatic": b, "team": s, "sampled_at": {"type": "string", "description": "dd/mm/yyyy hh:mm (Hanoi) or ISO 8601; now when absent"}}}
sample_row = {"type": "object", "properties": {"id": s, "label": s, "kind": s, "test": s, "pool_size": i, "unit_path": s, "point_id": ns, "sampled_at": s,
                                                 "status": s, "batch_id": ns, "result_value": ns, "resulted_at": ns}}
batch = {"type": "object", "properties": {
    "id": s, "code": s, "unit_path": s, "group_code": s, "point_id": ns, "lab_id": s, "sent_at": s, "expected_by": s, "declared_count": i,
    "status": {"type": "string", "enum": ["in_transit", "received", "discrepancy"]}, "received_at": ns, "received_count": ni, "received_by": ns,
    "note": s, "carrier": s, "created_by": s, "created_at": s, "version": i}}
batch_input = {"type": "object", "required": ["point_id", "lab"], "properties": {"point_id": s, "lab": {"type": "string", "description": "Lab code or id"},
               "labels": arr(s), "carrier": s, "note": s}}
result = {"type": "object", "properties": {
    "id": s, "source_key": s, "lab_id": s, "source": {"type": "string", "enum": ["csv", "hl7", "fhir", "manual"]}, "message_id": s, "label": s,
    "sample_id": ns, "member_id": ns, "person_id": ns, "test": s, "value": {"type": "string", "enum": ["detected", "not_detected", "inconclusive", "invalid"]},
    "status": {"type": "string", "enum": ["final", "preliminary", "corrected", "cancelled"]}, "ct": {"type": ["number", "null"]}, "sampled_at": ns,
    "resulted_at": s, "received_at": s, "unit_path": s, "group_code": s, "match_status": {"type": "string", "enum": ["matched", "person_only", "review", "dismissed"]},
    "review_reason": {"type": ["string", "null"], "enum": ["unknown_sample", "identity_mismatch", "changed_result", None]}, "reported_name": s, "reported_id": s,
    "reported_birth": s, "reported_phone": s, "action": s, "action_status": {"type": "string", "enum": ["none", "pending", "done", "failed"]}, "case_id": ns,
    "reviewed_by": ns, "reviewed_at": ns, "review_note": s, "created_by": s}}
row_error = {"type": "object", "properties": {"line": i, "message": s}}
import_report = {"type": "object", "properties": {"import_id": s, "lab": s, "total_rows": i, "added": i, "already_recorded": i, "failed": i, "matched": i, "person_only": i,
                                                    "review": i, "positives": i, "cases_opened": i, "retests": i, "errors": arr(row_error), "previous_import_at": ns}}
resolve_input = {"type": "object", "required": ["action"], "properties": {
    "action": {"type": "string", "enum": ["link_sample", "accept", "link_person", "register", "dismiss", "retry"]}, "label": s, "person_id": s, "unit": s, "note": s}}
retest = {"type": "object", "properties": {"id": s, "result_id": s, "sample_id": ns, "member_id": ns, "person_id": ns, "full_name": s, "unit_path": s, "group_code": s,
                                             "reason": {"type": "string", "enum": ["pool_positive", "confirm_pcr", "resample"]}, "status": {"type": "string", "enum": ["open", "sampled", "done", "cancelled"]},
                                             "created_at": s, "new_sample_id": ns, "closed_at": ns,
                                             "outcome": {"type": ["string", "null"], "enum": ["detected", "not_detected", "inconclusive", "invalid", None], "description": "The result a ward closed the task with by hand"},
                                             "close_note": ns, "closed_by": ns}}
figures = {"type": "object", "properties": {
    "days": arr({"type": "object", "properties": {"day": s, "tubes": i, "people": i, "results": i, "positives": i}}),
    "turnaround": arr({"type": "object", "properties": {"lab_id": s, "results": i, "p50_hours": ni, "p90_hours": ni}}),
    "overdue": i, "overdue_by_unit": arr({"type": "object", "properties": {"unit_path": s, "count": i, "oldest_sampled_at": s}}),
    "positivity7d": arr({"type": "object", "properties": {"unit_path": s, "results": i, "positives": i}})}}
fhir_json = {"description": "FHIR R4 JSON", "content": {"application/fhir+json": {"schema": {"type": "object"}}}}
fhir_err = {"description": "OperationOutcome", "content": {"application/fhir+json": {"schema": {"type": "object"}}}}

def fhir_errors(*codes): return {str(c): fhir_err for c in codes}

risk_groups = {"type": "object", "properties": {"person_id": {"type": "string"}, "groups": arr({"type": "string"})}}

PATHS = {
    "/api/v1/testing/figures": {"get": {"operationId": "testingFigures", "summary": "14-day series, turnaround p50/p90 per lab (7 days), overdue tubes, 7-day positivity per ward",
        "parameters": [q("unit", "A unit below the caller's, e.g. 01.007")], "responses": {"200": ok(figures)} | errors(401, 403, 404)}},
    "/api/v1/testing/campaigns": {
        "get": {"operationId": "listCampaigns", "summary": "Campaigns the caller runs or that cover its wards", "responses": {"200": ok(data(arr(ref("Campaign"))))} | errors(401, 403)},
        "post": {"operationId": "createCampaign", "summary": "A testing campaign: wards with targets from the registry (or a zone's residents, or a group's size per ward), start and deadline",
                 "requestBody": body(ref("CampaignInput")), "responses": {"201": ok(campaign_body, "Created")} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/testing/campaigns/{id}": {"get": {"operationId": "getCampaign", "summary": "A campaign with each ward's progress against its target and whether it will miss the deadline at its pace",
        "parameters": [ID, q("unit", "A unit below the caller's")], "responses": {"200": ok(campaign_body)} | errors(401, 403, 404)}},
    "/api/v1/testing/campaigns/{id}/points": {"post": {"operationId": "addSamplingPoint", "summary": "A sampling point in one of the campaign's wards, with its daily capacity",
        "parameters": [ID], "requestBody": body(ref("PointInput")), "responses": {"201": ok(data(ref("SamplingPoint")), "Created")} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/testing/people/{id}/risk-groups": {
        "get": {"operationId": "getRiskGroups", "summary": "The groups at risk a registered person of the caller's jurisdiction belongs to (market_traders, shippers, drivers, health_workers, factory_workers, chronic_illness, frontline, teachers, police, military, other)",
                "parameters": [ID], "responses": {"200": ok(data(risk_groups))} | errors(401, 403, 404)},
        "post": {"operationId": "setRiskGroups", "summary": "Replace a person's groups at risk (an empty list clears them); audited with the old and new lists; a group campaign counts these people",
                 "parameters": [ID], "requestBody": body({"type": "object", "properties": {"groups": arr({"type": "string", "enum": ["market_traders", "shippers", "drivers", "health_workers", "factory_workers", "chronic_illness", "frontline", "teachers", "police", "military", "other"]})}}),
                 "responses": {"200": ok(data(risk_groups))} | errors(401, 403, 404, 422)}},
    "/api/v1/testing/risk-groups": {"get": {"operationId": "riskGroupCounts", "summary": "Registered people of each group at risk inside the caller's jurisdiction (what a group campaign targets when no size is typed)",
        "responses": {"200": ok({"type": "object", "properties": {"unit": {"type": "string"}, "data": arr({"type": "object", "properties": {
            "group": {"type": "string"}, "label_vi": {"type": "string"}, "label_en": {"type": "string"}, "registered": {"type": "integer"}}})}})} | errors(401, 403)}},
    "/api/v1/testing/risk-groups/import": {"post": {"operationId": "importRiskGroupList",
        "summary": "CSV list of people of a group at risk (cccd, nhom, optional ho_ten; nhom: a code or name, several separated by ;) from a market board, a delivery company, a transport firm: each person found by citizen ID in the caller's jurisdiction, the name (if given) must match; groups are added, never removed; bad rows by line, good rows kept; the same list again adds nothing; each person changed is audited",
        "requestBody": {"required": True, "content": {"text/csv": {"schema": s}}},
        "responses": {"200": ok(data({"type": "object", "properties": {"rows": {"type": "integer"}, "people": {"type": "integer", "description": "People given at least one group"},
            "added": {"type": "integer"}, "unchanged": {"type": "integer", "description": "Groups of the list the person already had"},
            "problems": arr({"type": "object", "properties": {"line": {"type": "integer"}, "reason": {"type": "string"}}})}}))} | errors(401, 403, 413, 422)}},
    "/api/v1/testing/labs": {
        "get": {"operationId": "listLabs", "summary": "Laboratories", "responses": {"200": ok(data(arr(ref("Lab"))))} | errors(401, 403)},
        "post": {"operationId": "createLab", "summary": "Register a laboratory (code, ward, HL7 facility id)", "requestBody": body(ref("LabInput")),
                 "responses": {"201": ok(data(ref("Lab")), "Created")} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/testing/labs/{id}": {"put": {"operationId": "updateLab", "summary": "Edit a laboratory in the caller's jurisdiction: its name, HL7 facility id, active; absent fields stay, the code cannot change (422)",
        "parameters": [ID], "requestBody": body({"type": "object", "properties": {"name": s, "hl7_facility": {"type": "string", "description": "Empty clears it"}, "active": {"type": "boolean"},
                                                                                "code": {"type": "string", "description": "Only the lab's own code is accepted"}}}),
        "responses": {"200": ok(data(ref("Lab")))} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/testing/samples": {
        "get": {"operationId": "listSamples", "summary": "Tubes newest first (keyset); view=pending|overdue|positive",
                "parameters": [q("view"), q("after", "next_cursor of the previous page"), q("limit", typ="integer")],
                "responses": {"200": ok({"type": "object", "properties": {"data": arr(sample_row), "next_cursor": ns}})} | errors(401, 403)},
        "post": {"operationId": "recordSample", "summary": "One tube: one person is an individual sample, several a pool (up to the pool size in force); Idempotency-Key makes it repeat-safe",
                 "requestBody": body(ref("SampleInput")), "responses": {"201": ok({"type": "object", "properties": {"data": ref("Sample"), "members": arr(ref("SampleMember"))}}, "Created")}
                 | errors(401, 403, 409, 422)}},
    "/api/v1/testing/samples/{id}": {"get": {"operationId": "getSample", "summary": "A tube, its people (by initials for a laboratory) and results", "parameters": [ID],
        "responses": {"200": ok({"type": "object", "properties": {"data": ref("Sample"), "members": arr({"type": "object"}), "results": arr(ref("TestResult"))}})} | errors(401, 403, 404)}},
    "/api/v1/testing/batches": {
        "get": {"operationId": "listBatches", "summary": "Batches sent from the caller's wards, or received by its laboratory", "responses": {"200": ok(data(arr(ref("SampleBatch"))))} | errors(401, 403)},
        "post": {"operationId": "sendBatch", "summary": "Send tubes from a point to a laboratory with a manifest (the labels, or every tube of the point not yet sent)",
                 "requestBody": body(ref("BatchInput")), "responses": {"201": ok(data(ref("SampleBatch")), "Created")} | errors(401, 403, 422)}},
    "/api/v1/testing/batches/{id}": {"get": {"operationId": "getBatch", "summary": "A batch and its manifest", "parameters": [ID],
        "responses": {"200": ok({"type": "object", "properties": {"data": ref("SampleBatch"), "labels": arr(s)}})} | errors(401, 403, 404)}},
    "/api/v1/testing/batches/{id}/receive": {"post": {"operationId": "receiveBatch", "summary": "The laboratory confirms receipt and the count it found (a different count is a discrepancy)",
        "parameters": [ID], "requestBody": body({"type": "object", "required": ["received_count"], "properties": {"received_count": {"type": "integer", "minimum": 0}, "note": s}}),
        "responses": {"200": ok(data(ref("SampleBatch")))} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/testing/retests": {"get": {"operationId": "listRetests", "summary": "People to sample again (pooled positive, rapid positive to confirm, unreadable tube)",
        "responses": {"200": ok(data(arr(ref("Retest"))))} | errors(401, 403)}},
    "/api/v1/testing/retests/{id}/close": {"post": {"operationId": "closeRetest", "summary": "Close a newcomer's re-test task (someone kept on a tube by name) as done, with the result the ward learnt; a registered person's task answers 409",
        "parameters": [ID], "requestBody": body({"type": "object", "required": ["result"], "properties": {"result": {"type": "string", "enum": ["detected", "not_detected", "inconclusive", "invalid"]}, "note": s}}),
        "responses": {"200": ok(data(ref("Retest")))} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/testing/retests/{id}/cancel": {"post": {"operationId": "cancelRetest", "summary": "Cancel a newcomer's re-test task, with the reason",
        "parameters": [ID], "requestBody": body({"type": "object", "required": ["reason"], "properties": {"reason": s}}),
        "responses": {"200": ok(data(ref("Retest")))} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/testing/results": {"get": {"operationId": "listResults", "summary": "Results newest first (keyset); view=positive|review",
        "parameters": [q("view"), q("after"), q("limit", typ="integer")], "responses": {"200": ok({"type": "object", "properties": {"data": arr(ref("TestResult")), "next_cursor": ns}})} | errors(401, 403)}},
    "/api/v1/testing/results/import": {"post": {"operationId": "importResults",
        "summary": "CSV of results (ma_ong_mau, ket_qua, thoi_gian_tra_ket_qua, loai_xet_nghiem, thoi_gian_lay_mau, trang_thai, ct, so_dinh_danh, ho_ten, ngay_sinh, so_dien_thoai): bad rows by line, good rows kept, the same file again adds nothing",
        "parameters": [LAB, q("filename")], "requestBody": {"required": True, "content": {"text/csv": {"schema": s}}},
        "responses": {"200": ok(data(ref("ResultImportReport")))} | errors(401, 403, 404, 413, 422)}},
    "/api/v1/testing/results/hl7": {"post": {"operationId": "postHL7Result", "summary": "One HL7 v2.5.1 ORU^R01 message (ER7); the answer is its ACK (AA, AE with ERR segments, AR), as over MLLP",
        "parameters": [LAB], "requestBody": {"required": True, "content": {"x-application/hl7-v2+er7": {"schema": s}, "text/plain": {"schema": s}}},
        "responses": {"200": {"description": "ACK^R01^ACK", "content": {"x-application/hl7-v2+er7": {"schema": s}}}} | errors(401, 403, 404, 413, 422)}},
    "/api/v1/testing/results/fhir": {"post": {"operationId": "postFHIRBundle", "summary": "A FHIR R4 transaction or batch Bundle of Observations with Patients and Specimens; a transaction-/batch-response Bundle back (a failed transaction: an OperationOutcome)",
        "parameters": [LAB], "requestBody": {"required": True, "content": {"application/fhir+json": {"schema": {"type": "object"}}, "application/json": {"schema": {"type": "object"}}}},
        "responses": {"200": fhir_json} | fhir_errors(400, 404, 422) | errors(401, 403, 413)}},
    "/api/v1/testing/review": {"get": {"operationId": "reviewQueue", "summary": "Results awaiting review (no tube or person, a person not in the tube, a changed result) and failed actions",
        "parameters": [q("after"), q("limit", typ="integer")], "responses": {"200": ok({"type": "object", "properties": {"data": arr(ref("TestResult")), "next_cursor": ns}})} | errors(401, 403)}},
    "/api/v1/testing/results/{id}/resolve": {"post": {"operationId": "resolveResult", "summary": "Settle a result in review: link a tube or a person, register a person, accept, set aside, or retry its action",
        "parameters": [ID], "requestBody": body(ref("ResolveInput")), "responses": {"200": ok(data(ref("TestResult")))} | errors(401, 403, 404, 409, 422)}},
    "/fhir/Patient/{id}": {"get": {"operationId": "fhirPatient", "summary": "A registered person as a FHIR R4 Patient (audited as a view); a record merged into another is inactive with link replaced-by, the record kept links the ids it replaces", "parameters": [ID],
        "responses": {"200": fhir_json} | fhir_errors(401, 403, 404)}},
    "/fhir/Observation": {"get": {"operationId": "fhirObservations", "summary": "A person's results as Observations (searchset); a pooled tube gives one per person in it",
        "parameters": [q("patient", "Patient/{id} or the id", required=True)], "responses": {"200": fhir_json} | fhir_errors(401, 403, 404, 422)}},
    "/fhir/Observation/{id}": {"get": {"operationId": "fhirObservation", "summary": "One Observation by the id a search entry or a result POST's Location gives it ({result} or {result}.{position} for one person of a pooled tube); audited as a view of the person it is about",
        "parameters": [ID], "responses": {"200": fhir_json} | fhir_errors(401, 403, 404)}},
    "/fhir/Condition": {"get": {"operationId": "fhirConditions", "summary": "F0 cases as Conditions: one person's, or every F0 in the caller's jurisdiction in pages",
        "parameters": [q("patient", "Patient/{id} or the id"), q("_count", typ="integer"), q("_cursor")], "responses": {"200": fhir_json} | fhir_errors(401, 403, 404)}},
    "/fhir/Group/{slug}/$export": {"get": {"operationId": "fhirBulkExport", "summary": "FHIR Bulk Data kick-off for a unit: 202 with Content-Location to poll",
        "parameters": [SLUG], "responses": {"202": {"description": "Accepted"}} | fhir_errors(401, 403, 404)}},
    "/fhir/bulk/{id}": {"get": {"operationId": "fhirBulkStatus", "summary": "Export status: 202 while running, then the Bulk Data manifest", "parameters": [ID],
        "responses": {"200": ok({"type": "object"}), "202": {"description": "In progress"}} | fhir_errors(401, 403, 404)}},
    "/fhir/bulk/{id}/{file}": {"get": {"operationId": "fhirBulkFile", "summary": "One NDJSON file of an export (Patient-1.ndjson …)", "parameters": [ID, path_param("file")],
        "responses": {"200": {"description": "NDJSON", "content": {"application/fhir+ndjson": {"schema": s}}}} | fhir_errors(401, 403, 404)}},
}
SCHEMAS = {"Campaign": campaign, "CampaignInput": campaign_input, "WardProgress": ward_progress, "Lab": lab, "LabInput": lab_input, "SamplingPoint": point,
           "PointInput": point_input, "Sample": sample, "SampleMember": member, "SampleInput": sample_input, "SampleBatch": batch, "BatchInput": batch_input,
           "TestResult": result, "ResultImportReport": import_report, "ResolveInput": resolve_input, "Retest": retest}

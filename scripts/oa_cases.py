"""OpenAPI paths and schemas of cases, tracing, quarantine, facilities, zones, risk levels and rules."""
from oa_common import *  # noqa: F401,F403

TARGET = "EpiTracing"

s = {"type": "string"}
i = {"type": "integer"}
b = {"type": "boolean"}
ns = nullable_str
date = {"type": "string", "description": "yyyy-mm-dd or dd/mm/yyyy"}
def obj(props, required=()):
    o = {"type": "object", "properties": props}
    if required:
        o["required"] = list(required)
    return o
def created(schema): return ok(schema, "Created")
IDP = path_param("id")
KEY = {"name": "Idempotency-Key", "in": "header", "schema": s, "description": "Send the same key again (retry, double click) and nothing is created twice"}

case = obj({k: s for k in ["id", "case_number", "person_id", "unit_path", "group_code", "confirmed_on", "test_type", "test_place", "detected_in", "symptoms",
                           "clinical_status", "care_setting", "outcome", "notes", "created_by", "created_at", "updated_at"]}
           | {k: ns for k in ["sampled_on", "symptom_onset", "facility_id", "outcome_on", "cluster_id"]} | {"version": i},
           ["id", "case_number", "person_id", "unit_path", "confirmed_on", "outcome"])
case["properties"]["detected_in"] = {"type": "string", "enum": ["community", "quarantine", "lockdown"]}
case["properties"]["care_setting"] = {"type": "string", "enum": ["home", "facility", "hospital"]}
case["properties"]["outcome"] = {"type": "string", "enum": ["active", "recovered", "transferred", "died", "ruled_out"]}
contact_input = obj({"person_id": s, "full_name": s, "phone": s, "citizen_id": s, "unit": {"type": "string", "description": "ward code or path where the contact lives; default: the case's ward"},
                     "group_code": s, "setting": {"type": "string", "enum": ["household", "workplace", "market", "transport", "healthcare", "other"]},
                     "closeness": {"type": "string", "enum": ["close", "direct", "same_space"]}, "day": date, "note": s})
case_input = obj({"person_id": {"type": "string", "description": "a registered person in your jurisdiction; or send `person`"}, "person": ref("PersonInput"),
                  "confirmed_on": date, "sampled_on": date, "test_type": {"type": "string", "enum": ["rt_pcr", "pooled_pcr", "rapid_antigen"]}, "test_place": s,
                  "detected_in": {"type": "string", "enum": ["community", "quarantine", "lockdown"]}, "symptom_onset": date, "symptoms": s,
                  "clinical_status": {"type": "string", "enum": ["asymptomatic", "mild", "moderate", "severe", "critical"]},
                  "care_setting": {"type": "string", "enum": ["home", "facility", "hospital"]}, "facility_id": s, "cluster_id": s, "notes": s,
                  "contacts": arr(ref("ContactInput"))})
case_update = obj({"clinical_status": s, "care_setting": s, "facility_id": s, "outcome": s, "outcome_on": date, "symptom_onset": date, "symptoms": s,
                   "cluster_id": s, "detected_in": s, "notes": s, "version": {"type": "integer", "description": "the version read; a stale one answers 409"}})
case_row = obj({k: s for k in ["id", "case_number", "person_id", "full_name", "unit_path", "confirmed_on", "detected_in", "care_setting", "clinical_status", "outcome"]} | {"birth_date": ns})
contact_row = obj({k: s for k in ["person_id", "full_name", "unit_path", "group_code", "since"]} | {"level": i}
                  | {k: ns for k in ["birth_date", "phone", "via_person_id", "episode_id", "episode_setting", "episode_end", "facility_id"]})
tracing = obj({k: s for k in ["id", "case_id", "unit_path", "group_code", "opened_at", "due_at", "status", "note"]} | {"closed_at": ns, "closed_by": ns})
task_row = obj({k: s for k in ["id", "case_id", "case_number", "full_name", "unit_path", "opened_at", "due_at", "status"]} | {"to_reach": i})
cluster = obj({k: s for k in ["id", "name", "place", "unit_path", "group_code", "started_on", "status", "notes", "created_by", "created_at", "updated_at"]} | {"version": i})
level = obj({k: s for k in ["person_id", "since", "unit_path", "group_code", "updated_at"]} | {"level": i, "via_person_id": ns})
episode = obj({k: s for k in ["id", "person_id", "kind", "subject", "setting", "unit_path", "group_code", "start_date", "planned_end", "monitoring_end", "rule_id",
                              "status", "note", "created_by", "created_at", "updated_at"]} | {"facility_id": ns, "released_on": ns, "extra_days": i, "version": i})
episode["properties"]["kind"] = {"type": "string", "enum": ["quarantine", "isolation"]}
test = obj({k: s for k in ["id", "episode_id", "due_on", "result"]} | {"day_number": i, "taken_on": ns, "recorded_by": ns, "recorded_at": ns})
facility = obj({k: s for k in ["id", "name", "kind", "unit_path", "group_code", "address", "created_at", "updated_at"]} | {"capacity": i, "occupancy": i, "active": b, "version": i})
transfer = obj({k: s for k in ["id", "person_id", "kind", "unit_path", "group_code", "pickup", "destination", "vehicle", "scheduled_at", "status", "requested_by",
                               "created_at", "updated_at"]} | {"episode_id": ns, "facility_id": ns, "completed_at": ns, "version": i})
zone = obj({k: s for k in ["id", "unit_path", "group_code", "name", "reason", "status", "started_on", "groups", "addresses", "created_by", "created_at", "updated_at"]}
           | {"ended_on": ns, "current_version": i, "version": i})
zone_input = obj({"unit": s, "name": s, "reason": s, "groups": arr(s), "addresses": {"type": "string", "description": "one alley or address per line"},
                  "started_on": date, "note": s, "version": i})
risk_row = obj({k: s for k in ["unit_path", "week", "rule_set_id", "scheme", "decided_vi", "decided_en", "computed_at", "computed_by"]}
               | {"level": {"type": ["integer", "null"]}, "community_cases": i, "population": {"type": ["integer", "null"]}, "rate": {"type": ["number", "null"]},
                  "coverage_met": {"type": ["boolean", "null"]}, "capacity_met": {"type": ["boolean", "null"]}})
risk_rules = {"type": "object", "description": "RiskRuleSet: levels, zero-case levels, bands (min_rate, level_if_coverage_met, level_if_coverage_not_met), coverage targets, capacity rule, aggregation and share rules"}

PATHS = {
    "/api/v1/cases": {
        "get": {"operationId": "listCases", "summary": "Cases in your jurisdiction, newest first, keyset-paginated",
                "parameters": [q("outcome", "active, recovered, transferred, died, ruled_out; all when absent"), q("after", "next_cursor of the previous page"), q("limit", typ="integer")],
                "responses": {"200": ok(obj({"data": arr(ref("CaseRow")), "next_cursor": ns}))} | errors(401, 403)},
        "post": {"operationId": "recordCase", "summary": "Record an F0 (registered or new person) with its contacts; opens a tracing task and updates F1/F2 at once",
                 "parameters": [KEY], "requestBody": body(ref("CaseInput")),
                 "responses": {"201": created(obj({"data": ref("Case"), "contacts_added": i, "repeated": b})), "200": ok(obj({"data": ref("Case"), "repeated": b}), "Repeated request: the first result")}
                 | errors(401, 403, 404, 409, 422)}},
    "/api/v1/cases/{id}": {
        "get": {"operationId": "getCase", "summary": "A case with its contacts (masked outside your jurisdiction) and tracing task; the view is audited", "parameters": [IDP],
                "responses": {"200": ok(obj({"data": ref("Case"), "contacts": arr(obj({"exposure_id": s, "person_id": s, "name": s, "unit_path": s, "day": s, "setting": s, "reached": b})),
                                             "tracing": ref("TracingTask")}))} | errors(401, 403, 404)},
        "put": {"operationId": "updateCase", "summary": "Change status, care or outcome (recovered, died, ruled out…); levels below are recomputed", "parameters": [IDP],
                "requestBody": body(ref("CaseUpdate")), "responses": {"200": ok(data(ref("Case")))} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/cases/{id}/contacts": {"post": {"operationId": "addContacts", "summary": "Add contacts to a case", "parameters": [IDP, KEY],
        "requestBody": body(obj({"contacts": arr(ref("ContactInput"))}, ["contacts"])), "responses": {"200": ok(obj({"added": i}))} | errors(401, 403, 404, 422)}},
    "/api/v1/cases/{id}/chain": {"get": {"operationId": "caseChain", "summary": "Transmission chain around a case: nodes with levels, exposures, and the SVG drawing", "parameters": [IDP],
        "responses": {"200": ok(obj({"nodes": arr(obj({"id": s, "level": {"type": ["integer", "null"]}, "label": s, "link": ns})), "edges": arr(obj({"a": s, "b": s, "label": s})), "svg": s}))} | errors(401, 403, 404)}},
    "/api/v1/cases/{id}/home-care": {"get": {"operationId": "caseHomeCare", "summary": "F0 home-care eligibility (4038/QĐ-BYT) from the case, the person's age and the measurements given",
        "parameters": [IDP, q("breaths", "breaths per minute", "integer"), q("spo2", "SpO2 %", "integer"), q("doses", "vaccine doses", "integer"), q("last_dose", "date of the last dose"),
                       q("condition", "1: has a listed condition"), q("pregnant", "1: pregnant"), q("carer", "0: cannot self-care and has no carer")],
        "responses": {"200": ok(obj({"eligible": b, "failures": arr(obj({"code": s, "message": s}))}))} | errors(401, 403, 404)}},
    "/api/v1/cases/{id}/tracing/close": {"post": {"operationId": "closeTracing", "summary": "Close the case's tracing task", "parameters": [IDP],
        "requestBody": {"required": False, "content": {"application/json": {"schema": obj({"note": s})}}}, "responses": {"200": ok(data(ref("TracingTask")))} | errors(401, 403, 404)}},
    "/api/v1/contacts": {"get": {"operationId": "listContacts", "summary": "People at a derived contact level (F1, F2, F3+) with their current quarantine",
        "parameters": [q("level", "1, 2 or 3 (3 = F3 and beyond)", "integer"), q("unplaced", "1: only those not yet in quarantine"), q("after"), q("limit", typ="integer")],
        "responses": {"200": ok(obj({"data": arr(ref("ContactRow")), "next_cursor": ns}))} | errors(401, 403)}},
    "/api/v1/tracing": {"get": {"operationId": "listTracing", "summary": "Open tracing tasks, soonest deadline first", "parameters": [q("overdue", "1: only overdue")],
        "responses": {"200": ok(data(arr(ref("TracingTaskRow"))))} | errors(401, 403)}},
    "/api/v1/clusters": {
        "get": {"operationId": "listClusters", "summary": "Clusters (ổ dịch)", "responses": {"200": ok(data(arr(ref("Cluster"))))} | errors(401, 403)},
        "post": {"operationId": "createCluster", "summary": "Create a cluster", "parameters": [KEY],
                 "requestBody": body(obj({"name": s, "place": s, "unit": s, "started_on": date, "notes": s}, ["name"])), "responses": {"201": created(data(ref("Cluster")))} | errors(401, 403, 422)}},
    "/api/v1/people/{id}/epi": {"get": {"operationId": "personEpi", "summary": "A person's cases, derived contact level and quarantine episodes", "parameters": [ID],
        "responses": {"200": ok(obj({"cases": arr(ref("Case")), "level": {"oneOf": [ref("ContactLevel"), {"type": "null"}]}, "episodes": arr(ref("Episode"))}))} | errors(401, 403, 404)}},
    "/api/v1/quarantine": {
        "get": {"operationId": "listEpisodes", "summary": "Active quarantine and isolation episodes, ending soonest first", "parameters": [q("after")],
                "responses": {"200": ok(obj({"data": arr(obj({})), "next_cursor": ns}))} | errors(401, 403)},
        "post": {"operationId": "startEpisode", "summary": "Start quarantine (F1, arrivals) or isolation (F0); the end date and test days come from the rule in force on the start date",
                 "parameters": [KEY], "requestBody": body(obj({"person_id": s, "subject": {"type": "string", "enum": ["f1", "f1_vaccinated", "f0", "arrival"]},
                                                               "setting": {"type": "string", "enum": ["home", "facility", "hospital"]}, "facility_id": s, "start_date": date, "note": s}, ["person_id"])),
                 "responses": {"201": created(data(ref("Episode")))} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/quarantine/{id}": {"get": {"operationId": "getEpisode", "summary": "An episode and its scheduled tests", "parameters": [IDP],
        "responses": {"200": ok(obj({"data": ref("Episode"), "tests": arr(ref("EpisodeTest"))}))} | errors(401, 403, 404)}},
    "/api/v1/quarantine/{id}/tests": {"post": {"operationId": "recordEpisodeTest", "summary": "Record a scheduled test's result", "parameters": [IDP],
        "requestBody": body(obj({"day": i, "result": {"type": "string", "enum": ["negative", "positive", "pending"]}, "taken_on": date}, ["day", "result"])),
        "responses": {"200": ok(data(ref("EpisodeTest")))} | errors(401, 403, 404, 422)}},
    "/api/v1/quarantine/{id}/extend": {"post": {"operationId": "extendEpisode", "summary": "Extend an active episode (1–30 days, with a reason)", "parameters": [IDP],
        "requestBody": body(obj({"days": i, "reason": s}, ["days", "reason"])), "responses": {"200": ok(data(ref("Episode")))} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/quarantine/{id}/release": {"post": {"operationId": "releaseEpisode", "summary": "End an episode: released, transferred or cancelled; frees the facility place; can book the ride home",
        "parameters": [IDP], "requestBody": body(obj({"outcome": {"type": "string", "enum": ["released", "transferred", "cancelled"]}, "released_on": date, "note": s, "return_home": b})),
        "responses": {"200": ok(data(ref("Episode")))} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/facilities": {
        "get": {"operationId": "listFacilities", "summary": "Facilities in your jurisdiction with live occupancy, and the city totals", "responses": {"200": ok(obj({"data": arr(ref("Facility")),
                "quarantine_places": obj({"occupancy": i, "capacity": i}), "hospital_beds": obj({"occupancy": i, "capacity": i})}))} | errors(401, 403)},
        "post": {"operationId": "createFacility", "summary": "Add a facility (district or city)", "parameters": [KEY],
                 "requestBody": body(obj({"name": s, "kind": {"type": "string", "enum": ["quarantine", "field_hospital", "hospital"]}, "unit": s, "address": s, "capacity": i}, ["name", "unit", "capacity"])),
                 "responses": {"201": created(data(ref("Facility")))} | errors(401, 403, 422)}},
    "/api/v1/transfers": {
        "get": {"operationId": "listTransfers", "summary": "Open transfers of your people or to your facilities", "responses": {"200": ok(data(arr(obj({}))))} | errors(401, 403)},
        "post": {"operationId": "requestTransfer", "summary": "Request a vehicle transfer to a facility or hospital", "parameters": [KEY],
                 "requestBody": body(obj({"person_id": s, "facility_id": s, "kind": {"type": "string", "enum": ["to_facility", "to_hospital"]}, "scheduled_at": s, "vehicle": s, "pickup": s}, ["person_id", "facility_id"])),
                 "responses": {"201": created(data(ref("Transfer")))} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/transfers/{id}/{action}": {"post": {"operationId": "actOnTransfer", "summary": "dispatch (with a vehicle), complete (admission on arrival) or cancel",
        "parameters": [IDP, path_param("action", "dispatch, complete or cancel")], "requestBody": {"required": False, "content": {"application/json": {"schema": obj({"vehicle": s})}}},
        "responses": {"200": ok(data(ref("Transfer")))} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/zones": {
        "get": {"operationId": "listZones", "summary": "Lockdown zones", "parameters": [q("active", "1: only active")], "responses": {"200": ok(data(arr(ref("Zone"))))} | errors(401, 403)},
        "post": {"operationId": "createZone", "summary": "Define a lockdown zone by residential groups and alleys", "parameters": [KEY], "requestBody": body(ref("ZoneInput")),
                 "responses": {"201": created(data(ref("Zone")))} | errors(401, 403, 422)}},
    "/api/v1/zones/{id}": {"get": {"operationId": "getZone", "summary": "A zone: boundary, people inside (count and first 500), versions, supplies, checkpoints", "parameters": [IDP],
        "responses": {"200": ok(obj({"data": ref("Zone"), "resident_count": i, "residents": arr(obj({})), "versions": arr(obj({})), "supplies": arr(obj({})), "checkpoints": arr(obj({}))}))} | errors(401, 403, 404)}},
    "/api/v1/zones/{id}/redraw": {"post": {"operationId": "redrawZone", "summary": "Narrow or redraw the boundary from a date (history kept)", "parameters": [IDP],
        "requestBody": body(ref("ZoneInput")), "responses": {"200": ok(data(ref("Zone")))} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/zones/{id}/lift": {"post": {"operationId": "liftZone", "summary": "Lift the lockdown", "parameters": [IDP],
        "requestBody": {"required": False, "content": {"application/json": {"schema": obj({"ended_on": date, "note": s})}}}, "responses": {"200": ok(data(ref("Zone")))} | errors(401, 403, 404, 422)}},
    "/api/v1/zones/{id}/supplies": {"post": {"operationId": "logSupplies", "summary": "Log supplies delivered into the zone", "parameters": [IDP, KEY],
        "requestBody": body(obj({"delivered_on": date, "items": s, "households": i, "note": s}, ["items", "households"])), "responses": {"201": created(obj({"status": s}))} | errors(401, 403, 404, 422)}},
    "/api/v1/zones/{id}/checkpoints": {"post": {"operationId": "addCheckpoint", "summary": "Attach a checkpoint to the zone", "parameters": [IDP],
        "requestBody": body(obj({"name": s, "location": s}, ["name"])), "responses": {"201": created(obj({"status": s}))} | errors(401, 403, 404, 422)}},
    "/api/v1/risk": {"get": {"operationId": "riskLevels", "summary": "Assessed levels of the units in your jurisdiction for a week", "parameters": [q("week", "ISO week, e.g. 2021-W46; default the latest assessed")],
        "responses": {"200": ok(obj({"week": s, "data": arr(ref("RiskAssessment"))}))} | errors(401, 403)}},
    "/api/v1/risk/compute": {"post": {"operationId": "computeRisk", "summary": "Assess every ward under a unit, then the unit, for a week, with the table in force",
        "requestBody": body(obj({"week": s, "unit": s}, ["week"])), "responses": {"200": ok(obj({"week": s, "data": arr(ref("RiskAssessment"))}))} | errors(401, 403, 404, 422)}},
    "/api/v1/risk/indicators": {"post": {"operationId": "setIndicator", "summary": "Enter treatment capacity, or override the computed vaccine coverage with a reason, for a unit as of a date",
        "requestBody": body(obj({"unit": s, "indicator": {"type": "string", "enum": ["coverage_adults_first_dose_pct", "coverage_over50_full_pct", "treatment_capacity_met"]},
                                 "as_of": date, "value": {"type": "number"},
                                 "reason": {"type": "string", "description": "Required for the coverage indicators: they are computed from the vaccination records and a figure entered here overrides them"}},
                                ["unit", "indicator", "value"])), "responses": {"200": ok(obj({"status": s}))} | errors(401, 403, 404, 422)}},
    "/api/v1/risk/history/{slug}": {"get": {"operationId": "riskHistory", "summary": "A unit's weekly levels, newest first", "parameters": [SLUG],
        "responses": {"200": ok(data(arr(ref("RiskAssessment"))))} | errors(401, 403, 404)}},
    "/api/v1/rules": {"get": {"operationId": "listRules", "summary": "Versioned settings, quarantine rules and risk tables", "responses": {"200": ok(obj({"policies": arr(obj({})), "quarantine": arr(obj({})), "risk": arr(obj({}))}))} | errors(401, 403)}},
    "/api/v1/rules/policies": {"post": {"operationId": "setPolicy", "summary": "Add a version of a setting (city); changing the furthest level recomputes every level",
        "requestBody": body(obj({"key": s, "value": i, "effective_from": date, "note": s}, ["key", "value"])), "responses": {"201": created(obj({"status": s}))} | errors(401, 403, 422)}},
    "/api/v1/rules/quarantine": {"post": {"operationId": "addQuarantineRule", "summary": "Add a quarantine rule version (city)",
        "requestBody": body(obj({"effective_from": date, "subject": s, "setting": s, "days": i, "monitoring_days": i, "test_days": arr(i), "source": s}, ["effective_from", "subject", "setting", "days", "test_days"])),
        "responses": {"201": created(obj({"status": s}))} | errors(401, 403, 422)}},
    "/api/v1/rules/risk": {"post": {"operationId": "addRiskRules", "summary": "Add a risk-level table version (city)",
        "requestBody": body(obj({"effective_from": date, "note": s, "rules": risk_rules}, ["effective_from", "rules"])), "responses": {"201": created(obj({"status": s}))} | errors(401, 403, 422)}},
}

SCHEMAS = {"Case": case, "CaseInput": case_input, "CaseUpdate": case_update, "ContactInput": contact_input, "CaseRow": case_row, "ContactRow": contact_row,
           "TracingTask": tracing, "TracingTaskRow": task_row, "Cluster": cluster, "ContactLevel": level, "Episode": episode, "EpisodeTest": test,
           "Facility": facility, "Transfer": transfer, "Zone": zone, "ZoneInput": zone_input, "RiskAssessment": risk_row}

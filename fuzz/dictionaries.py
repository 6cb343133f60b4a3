"""The demo program's real objects, as schemathesis dictionaries, so fuzzing reaches them.

Usage: dictionaries.py CONTRACT BASE_URL TOKEN > fragment.toml

Random UUIDs name no object: an operation on `/v1/mentors/{id}` fuzzed with them only ever
answers 404, and its rules are never exercised. This lists the objects of the program the demo
seeded (as TOKEN, the admin, who sees them all) and prints a fragment of schemathesis
configuration: a dictionary per kind of object, and, for each path of CONTRACT, its path
parameters bound to the kind they name, and the body fields that name objects bound to theirs.
Each binding gives a real id half the time and leaves the other half to the fuzzer, so missing
objects stay exercised too.
"""

import json
import re
import sys
import urllib.request

# The lists that give each kind of object, as the admin sees them.
LISTS = {
    "users": "/v1/users",
    "mentors": "/v1/mentors",
    "students": "/v1/students",
    "paths": "/v1/paths",
    "sessions": "/v1/sessions",
    "path_requests": "/v1/path-requests",
    "reports": "/v1/reports",
    "statements": "/v1/statements",
    "absences": "/v1/absences",
    "webhooks": "/v1/webhooks",
}

# The kind a path's `{id}` names, by the collection before it; the other path parameters by name.
ID_OF = {
    "mentors": "mentors",
    "mentor-applications": "mentors",
    "students": "students",
    "paths": "paths",
    "projects": "projects",
    "sessions": "sessions",
    "path-requests": "path_requests",
    "reports": "reports",
    "statements": "statements",
    "users": "users",
    "webhooks": "webhooks",
}
PARAMETERS = {"project_id": "projects", "absence_id": "absences", "delivery_id": "deliveries"}

# Operations that act on an object in one state only get the objects in that state: an
# application to accept is one still applied, a document to review is an accepted mentor's.
IN_STATE = {
    "/v1/mentor-applications/{id}/accept": ("mentors", "applied"),
    "/v1/mentor-applications/{id}/reject": ("mentors", "applied"),
    "/v1/mentors/{id}/documents/{kind}/verify": ("mentors", "accepted"),
    "/v1/mentors/{id}/documents/{kind}/reject": ("mentors", "accepted"),
    "/v1/mentors/{id}/suspend": ("mentors", "active"),
    "/v1/mentors/{id}/reinstate": ("mentors", "suspended"),
    "/v1/path-requests/{id}/approve": ("path_requests", "pending"),
    "/v1/path-requests/{id}/decline": ("path_requests", "pending"),
    "/v1/reports/{id}/acknowledge": ("reports", "open"),
    "/v1/reports/{id}/resolve": ("reports", "acknowledged"),
    "/v1/statements/{id}/approve": ("statements", "issued"),
    "/v1/statements/{id}/dispute": ("statements", "issued"),
    "/v1/statements/{id}/pay": ("statements", "approved"),
}

# Body fields that name an object (an application's path, a booking's student, ...), or a time
# zone (one of the IANA database's, which a schema bounds only by length: the zones the
# program's people live in).
BODY_FIELDS = {
    "path_id": "paths",
    "project_id": "projects",
    "student_id": "students",
    "mentor_id": "mentors",
    "time_zone": "time_zones",
}

# An erasure is for good: its own run reaches a real person through the users list, and leaves
# the identities the other runs log in as.
UNBOUND = {"/v1/users/{id}/erasure"}

PAGES = 5
PROBABILITY = 0.5


def fetch(base: str, token: str, path: str) -> dict:
    request = urllib.request.Request(base + path, headers={"authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def listed(base: str, token: str, path: str) -> list[dict]:
    """The items of a list, up to PAGES pages of 100."""
    items, cursor = [], None
    for _ in range(PAGES):
        query = "?limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = fetch(base, token, path + query)
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return items


def objects(base: str, token: str) -> dict[str, list[str]]:
    """Ids by kind, by kind and state (`mentors_applied`), and the people's time zones."""
    items = {kind: listed(base, token, path) for kind, path in LISTS.items()}
    found = {kind: [o["id"] for o in listed_items] for kind, listed_items in items.items()}
    for kind, state in IN_STATE.values():
        found[f"{kind}_{state}"] = [o["id"] for o in items[kind] if o["status"] == state]
    found["time_zones"] = sorted(
        {o["time_zone"] for kind in ("mentors", "students") for o in items[kind]}
    )
    found["projects"] = [
        project["id"]
        for path in found["paths"]
        for project in listed(base, token, f"/v1/paths/{path}/projects")
    ]
    found["deliveries"] = [
        delivery["id"]
        for webhook in found["webhooks"]
        for delivery in listed(base, token, f"/v1/webhooks/{webhook}/deliveries")
    ]
    return {kind: ids for kind, ids in found.items() if ids}


def binding(kind: str) -> str:
    return f'{{ dictionary = "{kind}", probability = {PROBABILITY} }}'


def path_bindings(path: str, found: dict[str, list[str]]) -> dict[str, str]:
    if path in IN_STATE:
        kind = "_".join(IN_STATE[path])
        return {"path.id": kind} if kind in found else {}
    bound = {}
    segments = path.split("/")
    for before, segment in zip(segments, segments[1:]):
        name = segment.strip("{}")
        if name == segment:
            continue
        kind = ID_OF.get(before) if name == "id" else PARAMETERS.get(name)
        if kind in found:
            bound[f"path.{name}"] = kind
    return bound


def main(contract_path: str, base: str, token: str) -> None:
    with open(contract_path, encoding="utf-8") as f:
        contract = json.load(f)
    found = objects(base, token)
    out = ["", "# Generated by fuzz/dictionaries.py: the seeded program's objects."]
    for kind, ids in sorted(found.items()):
        out.append(f"[dictionaries.{kind}]")
        out.append("values = [" + ", ".join(json.dumps(i) for i in ids) + "]")
    out.append("[parameters]")
    for field, kind in BODY_FIELDS.items():
        if kind in found:
            out.append(f'"body.{field}" = {binding(kind)}')
    for path in contract["paths"]:
        bound = path_bindings(path, found)
        if not bound or path in UNBOUND:
            continue
        out.append("[[operations]]")
        out.append(f"include-path-regex = '^{re.escape(path)}$'")
        pairs = ", ".join(f'"{key}" = {binding(kind)}' for key, kind in bound.items())
        out.append(f"parameters = {{ {pairs} }}")
    counts = ", ".join(f"{len(ids)} {kind}" for kind, ids in sorted(found.items()))
    print(f"dictionaries: {counts}", file=sys.stderr)
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])

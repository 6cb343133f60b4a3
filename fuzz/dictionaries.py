"""The objects a caller sees in the demo program, and the secrets they hold, as schemathesis
dictionaries.

Usage: [FUZZ_PASSWORD=] [FUZZ_REFRESH_TOKEN=] [FUZZ_FEED_TOKEN=] [FUZZ_MAILBOX=] \
       dictionaries.py CONTRACT BASE TOKEN

Random UUIDs name no object: an operation on `/v1/mentors/{id}` fuzzed with them only ever
answers 404, and its rules are never exercised. This lists what the caller of TOKEN can list
(the admin everything, a mentor their own students, sessions, statements...) and their own
record, and prints a fragment of schemathesis configuration: a dictionary per kind of object,
and, for each path of CONTRACT, its path parameters bound to the kind they name, and the body
fields that name objects bound to theirs. Secrets bind the fields that take them: the caller's
password and a refresh token of theirs, a calendar feed's token, and (FUZZ_MAILBOX, the file
fuzz/mailbox.py keeps) the tokens of the one-time links emailed (invitations, password
resets). Each binding gives a real value half the time (most of the time for an operation on
one state) and leaves the rest to the fuzzer, so missing objects stay exercised too. With an
empty TOKEN (no one signed in), the secrets only.
"""

import datetime
import json
import os
import re
import sys
import urllib.error
import urllib.request

# The lists that give each kind of object; each caller gets what those it may call answer.
LISTS = {
    "users": ["/v1/users"],
    "mentors": ["/v1/mentors"],
    "students": ["/v1/students", "/v1/me/students"],
    "paths": ["/v1/paths"],
    "sessions": ["/v1/sessions", "/v1/me/sessions"],
    "path_requests": ["/v1/path-requests"],
    "reports": ["/v1/reports"],
    "statements": ["/v1/statements"],
    "absences": ["/v1/absences"],
    "webhooks": ["/v1/webhooks"],
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
PARAMETERS = {
    "project_id": "projects",
    "absence_id": "absences",
    "delivery_id": "deliveries",
    "token": "feed_tokens",
}

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
    "/v1/sessions/{id}/outcome": ("sessions", "scheduled"),
    "/v1/statements/{id}/approve": ("statements", "issued"),
    "/v1/statements/{id}/dispute": ("statements", "issued"),
    "/v1/statements/{id}/pay": ("statements", "approved"),
}

# The reviews of a document: of an accepted mentor's, and of a kind they sent.
REVIEWS = [
    "/v1/mentors/{id}/documents/{kind}/reject",
    "/v1/mentors/{id}/documents/{kind}/verify",
]

# Body fields that name an object (an application's path, a booking's student, ...), a time
# zone (one of the IANA database's, which a schema bounds only by length: the zones the
# program's people live in), or the caller's name (a contract is signed with it).
BODY_FIELDS = {
    "path_id": "paths",
    "project_id": "projects",
    "student_id": "students",
    "mentor_id": "mentors",
    "time_zone": "time_zones",
    "full_name": "names",
    "current_password": "passwords",
    "token": "link_tokens",
}

# Body fields bound on one operation only: a password reset is asked for a real person's email
# (emailed to the mailbox, whose token then confirms it; elsewhere a real email is only a
# duplicate); the caller's refresh token is for refreshing (a logout would end it first).
BODY_OF = {
    "/v1/auth/password-reset": {"body.email": "emails"},
    "/v1/auth/refresh": {"body.refresh_token": "refresh_tokens"},
    # Fields that must match each other (`pairs`).
    "/v1/students": {"body.path_id": "enroll_paths", "body.project_id": "enroll_projects"},
    "/v1/students/{id}/assignments": {
        "path.id": "waiting_students",
        "body.mentor_id": "mentors_with_room",
    },
    "/v1/sessions": {"body.project_id": "booked_projects", "body.start": "starts"},
    "/v1/mentors/{id}/statements": {
        "path.id": "mentors_to_issue",
        "body.month": "months_to_issue",
    },
    "/v1/statements/issue-month": {"body.month": "months_issued"},
}

# A one-time link in an email: `.../invitation?token=...`, `.../reset-password?token=...`.
LINK_TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_-]+)")

# An erasure is for good: its own run reaches a real person through the users list, and leaves
# the identities the other runs log in as.
UNBOUND = {"/v1/users/{id}/erasure"}

PAGES = 5
# How often a bound parameter gets a real value: half the time, and most of the time for an
# operation that acts on one state (its objects in that state are few, often one) or whose
# body's fields must match each other.
PROBABILITY = 0.5
NARROWED_PROBABILITY = 0.8


class Caller:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def get(self, path: str) -> dict | None:
        """The answer's JSON, or None when the caller may not read it."""
        request = urllib.request.Request(
            self.base + path, headers={"authorization": f"Bearer {self.token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as refused:
            if refused.code in (401, 403):
                return None
            raise

    def listed(self, path: str) -> list[dict]:
        """The items of a list, up to PAGES pages of 100; none if the caller may not list it."""
        items, cursor = [], None
        for _ in range(PAGES):
            query = "?limit=100" + (f"&cursor={cursor}" if cursor else "")
            page = self.get(path + query)
            if page is None:
                break
            items += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return items


def objects(caller: Caller) -> dict[str, list[str]]:
    """Ids by kind, by kind and state (`mentors_applied`), and the people's time zones."""
    items = {kind: [o for path in paths for o in caller.listed(path)] for kind, paths in LISTS.items()}
    me = caller.get("/v1/me") or {}
    if me:
        items["users"].append(me)
    own = {"mentor": "mentors", "student": "students"}.get(me.get("role"))
    record = caller.get(f"/v1/{own}/{me['id']}") if own else None
    if record:
        items[own].append(record)
    if own == "mentors":
        items["path_requests"] += caller.listed(f"/v1/mentors/{me['id']}/path-requests")
        items["absences"] += caller.listed(f"/v1/mentors/{me['id']}/absences")
    found = {kind: unique(o["id"] for o in listed) for kind, listed in items.items()}
    for kind, state in IN_STATE.values():
        found[f"{kind}_{state}"] = unique(o["id"] for o in items[kind] if o["status"] == state)
    for path in IN_STATE:
        found[share(path)] = shared(path, found["_".join(IN_STATE[path])])
    # A review is of a document waiting for one: the kinds the accepted mentors sent.
    found["kinds_submitted"] = unique(
        document["kind"]
        for mentor in found["mentors_accepted"]
        for document in (caller.get(f"/v1/mentors/{mentor}/documents") or {}).get("documents", [])
        if document["status"] == "submitted"
    )
    for path in REVIEWS:
        found[share(path, "kinds_submitted")] = shared(path, found["kinds_submitted"])
    projects = {path: caller.listed(f"/v1/paths/{path}/projects") for path in found["paths"]}
    found["projects"] = unique(p["id"] for listed in projects.values() for p in listed)
    found.update(pairs(items, projects))
    found["names"] = [me["name"]] if me else []
    found["emails"] = unique(o["email"] for o in items["users"])
    found["time_zones"] = unique(
        o["time_zone"] for kind in ("mentors", "students") for o in items[kind]
    )
    found["deliveries"] = unique(
        delivery["id"]
        for webhook in found["webhooks"]
        for delivery in caller.listed(f"/v1/webhooks/{webhook}/deliveries")
    )
    return {kind: ids for kind, ids in found.items() if ids}


def pairs(items: dict[str, list[dict]], projects: dict[str, list[dict]]) -> dict[str, list]:
    """Objects that must match each other in one request, narrowed so that they do: issuing
    the last month issued to a mentor paid before whose statement of it is not; enrolling on a
    path one of its projects; assigning a student waiting for a mentor one active on their
    path with room; booking with one's students a project of their path and a start weeks
    ahead (past the demo's bookings and absences), on a weekday at 10:00 UTC. `projects` are
    each path's."""
    waiting = [s for s in items["students"] if s.get("mentor_id") is None]
    path = waiting[0]["path_id"] if waiting else next(iter(projects), None)
    if path is None:
        return {}

    def projects_of(path: str) -> list[str]:
        return [project["id"] for project in projects.get(path, [])]

    today = datetime.date.today()
    monday = today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(weeks=4)
    issued = {(t["mentor_id"], t["month"]) for t in items["statements"]}
    paid = {mentor for mentor, _ in issued}
    newest = max((month for _, month in issued), default=None)
    return {
        # The last month issued, and the mentors paid before whose statement of it is not.
        "months_to_issue": [newest] if newest else [],
        # Issuing a month for everyone would issue that statement too: it gets the months before.
        "months_issued": sorted({month for _, month in issued} - {newest}),
        "mentors_to_issue": [m for m in paid if (m, newest) not in issued],
        "enroll_paths": [path],
        "enroll_projects": projects_of(path),
        "waiting_students": [s["id"] for s in waiting if s["path_id"] == path],
        "mentors_with_room": [
            m["id"]
            for m in items["mentors"]
            if m["status"] == "active" and m["path_id"] == path and m["remaining"] > 0
        ],
        "booked_projects": unique(
            p for path in {s["path_id"] for s in items["students"]} for p in projects_of(path)
        ),
        "starts": [
            f"{monday + datetime.timedelta(weeks=w, days=d)}T10:00:00Z"
            for w in range(3)
            for d in range(5)
        ],
    }


def unique(values) -> list:
    return sorted(set(values))


def binding(kind: str, probability: float = PROBABILITY) -> str:
    return f'{{ dictionary = "{kind}", probability = {probability} }}'


def rivals(path: str) -> list[str]:
    """The operations that move the objects `path` acts on out of the same state, in order."""
    return sorted(p for p, of in IN_STATE.items() if of == IN_STATE[path])


def share(path: str, kind: str | None = None) -> str:
    """The name of `path`'s share of the objects of `kind` (by default, those in its state)."""
    return (kind or "_".join(IN_STATE[path])) + f"_{rivals(path).index(path)}"


def shared(path: str, ids: list[str]) -> list[str]:
    """The objects in its state that `path` gets: its share of them when they are enough for
    each of its rivals to have some (accepting an application and rejecting one take turns
    over the applied mentors), all of them otherwise. Without shares, the rival fuzzed first
    moves every object out of the state and the other only ever answers 409."""
    count = len(rivals(path))
    return ids[rivals(path).index(path) :: count] if len(ids) >= count else ids


def path_bindings(path: str, found: dict[str, list[str]]) -> dict[str, str]:
    if path in IN_STATE:
        bound = {"path.id": share(path)} if share(path) in found else {}
        if path in REVIEWS and share(path, "kinds_submitted") in found:
            bound["path.kind"] = share(path, "kinds_submitted")
        return bound
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


def secrets() -> dict[str, list[str]]:
    """What fuzz-api.sh knows for the caller (a password to change, a refresh token to use), a
    calendar feed's token (anyone the feed's URL was given to has it), and the one-time links'
    tokens the mailbox holds (anyone who received the email has them)."""
    found = {
        "passwords": [os.environ.get("FUZZ_PASSWORD", "")],
        "refresh_tokens": [os.environ.get("FUZZ_REFRESH_TOKEN", "")],
        "feed_tokens": [os.environ.get("FUZZ_FEED_TOKEN", "")],
        "link_tokens": [],
    }
    mailbox = os.environ.get("FUZZ_MAILBOX")
    if mailbox and os.path.exists(mailbox):
        with open(mailbox, encoding="utf-8") as f:
            found["link_tokens"] = unique(LINK_TOKEN.findall(f.read()))
    return {kind: [v for v in values if v] for kind, values in found.items()}


def main(contract_path: str, base: str, token: str) -> None:
    with open(contract_path, encoding="utf-8") as f:
        contract = json.load(f)
    found = objects(Caller(base, token)) if token else {}
    found.update(secrets())
    found = {kind: values for kind, values in found.items() if values}
    if not found:
        return
    out = ["", "# Generated by fuzz/dictionaries.py: the objects the caller sees."]
    for kind, ids in sorted(found.items()):
        out.append(f"[dictionaries.{kind}]")
        out.append("values = [" + ", ".join(json.dumps(i) for i in ids) + "]")
    out.append("[parameters]")
    for field, kind in BODY_FIELDS.items():
        if kind in found:
            out.append(f'"body.{field}" = {binding(kind)}')
    for path in contract["paths"]:
        bound = path_bindings(path, found)
        bound.update({k: v for k, v in BODY_OF.get(path, {}).items() if v in found})
        if not bound or path in UNBOUND:
            continue
        out.append("[[operations]]")
        out.append(f"include-path-regex = '^{re.escape(path)}$'")
        narrowed = path in IN_STATE or path in BODY_OF
        probability = NARROWED_PROBABILITY if narrowed else PROBABILITY
        pairs = ", ".join(
            f'"{key}" = {binding(kind, probability)}' for key, kind in bound.items()
        )
        out.append(f"parameters = {{ {pairs} }}")
    counts = ", ".join(f"{len(ids)} {kind}" for kind, ids in sorted(found.items()))
    print(f"dictionaries: {counts}", file=sys.stderr)
    print("\n".join(out))

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])

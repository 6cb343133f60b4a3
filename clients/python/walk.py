"""A script on the Python client generated from the contract (check.sh generates it): it logs
in, applies to mentor, accepts the application, reads the mentor back, and lists every path
page by page. mypy --strict checks it before it runs, so every value it touches is typed: a
contract that let a field be absent, or an enum be a bare string, fails here.

Usage: walk.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD
"""

import sys
import uuid

from mentorship_api_client import AuthenticatedClient, Client
from mentorship_api_client.api.auth import login
from mentorship_api_client.api.catalog import list_paths
from mentorship_api_client.api.mentors import get_mentor
from mentorship_api_client.api.onboarding import accept, apply
from mentorship_api_client.models import (
    ApplicationView,
    ApplyRequest,
    LegalStatus,
    ListPathView,
    LoginRequest,
    MentorStatus,
    MentorView,
    PathView,
    TokenPair,
)


def fail(step: str, answer: object) -> None:
    raise SystemExit(f"{step}: {answer!r}")


def every_path(client: AuthenticatedClient) -> list[PathView]:
    """All paths, following `next_cursor` while `has_more` says another page follows."""
    found: list[PathView] = []
    cursor: str | None = None
    while True:
        page = list_paths.sync(client=client, limit=1, **({"cursor": cursor} if cursor else {}))
        if not isinstance(page, ListPathView):
            fail("list paths", page)
            return found
        found.extend(page.items)
        if not page.has_more:
            return found
        cursor = page.next_cursor


def main(base_url: str, email: str, password: str) -> None:
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
    pair = login.sync(client=anonymous, body=LoginRequest(email=email, password=password))
    if not isinstance(pair, TokenPair):
        fail("login", pair)
        return
    staff = AuthenticatedClient(base_url=base_url, token=pair.access_token)

    paths = every_path(staff)
    if not paths:
        fail("paths", "none")
    path_id: uuid.UUID = paths[0].id
    applicant = f"walk-{uuid.uuid4().hex[:8]}@example.com"
    application = apply.sync(
        client=anonymous,
        body=ApplyRequest(
            name="Walk Through",
            email=applicant,
            password="a long passphrase",
            path_id=path_id,
            experience_years=6,
            field_years=3,
            legal_status=LegalStatus.FREELANCER,
            country="FR",
            right_to_work_attested=True,
        ),
    )
    if not isinstance(application, ApplicationView):
        fail("apply", application)
        return
    accepted = accept.sync(client=staff, id=application.id)
    if not isinstance(accepted, ApplicationView):
        fail("accept", accepted)
        return
    mentor = get_mentor.sync(client=staff, id=application.id)
    if not isinstance(mentor, MentorView):
        fail("mentor", mentor)
        return
    status: MentorStatus = mentor.status
    manager: uuid.UUID | None = mentor.manager_id
    if status != MentorStatus.ACCEPTED or manager is None:
        fail("accepted mentor", mentor)
    print(f"walked: {len(paths)} paths, mentor {mentor.id} {status.value}, manager {manager}")


if __name__ == "__main__":
    main(*sys.argv[1:4])

"""Property-based API testing from our own OpenAPI spec: no input may cause a server error.

schemathesis generates requests for every operation in `/openapi.json`, signed in as
an admin through an API token (so the handlers run, not just the 401), on a desk
holding real data: a scheme, posts that match it, an event, an alert.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

schemathesis = pytest.importorskip("schemathesis")

from groundswell.context import Desk  # noqa: E402
from groundswell.web.app import create_app  # noqa: E402
from tests.accounts.helpers import add_user, api_token  # noqa: E402
from tests.alerts.setup import ORIGINAL, build, post, reposts  # noqa: E402

EXAMPLES_PER_OPERATION = 6


def test_no_operation_answers_with_a_server_error(db_url: str) -> None:
    from tests.conftest import make_desk

    desk: Desk = make_desk(db_url)
    made = build(desk, None, params={"terms": ["暴力"]})
    desk.pipeline.ingest(made.source_id, [post("o", ORIGINAL, 0), *reposts(4)])
    made.engine.run_once()
    token = api_token(desk, add_user(desk, "root", "admin"))
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(desk))

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    failures: list[str] = []
    for operation in operations:
        if operation.path.startswith("/api/push/"):
            continue  # its own per-source token: covered in tests/web/test_app.py
        exercise(operation, headers, failures)
    desk.close()
    assert not failures, "\n".join(failures[:20])


def exercise(operation: object, headers: dict[str, str], failures: list[str]) -> None:
    """Run generated cases of one operation, noting every 5xx."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,  # the same cases every run: CI is reproducible
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())  # type: ignore[attr-defined]
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # the test client re-raises what the app did not handle
            failures.append(
                f"{case.method} {case.formatted_path} {case.body!r:.200} -> {exc!r:.300}"
            )
            return
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} {case.query} {case.body!r:.200}"
                f" -> {response.status_code} {response.text[:200]}"
            )

    check()

"""schemathesis against /api/openapi.json: no input makes the API answer 5xx, every answer
matches the schema its operation documents, and every error has the one shape
{code, message, fields}.

Covers every mounted router (all apps), twice: as an HQ superuser and as an agent, each
through a bearer token (the way mobile clients and scanners call it). Bounded for CI:
SCHEMATHESIS_MAX_EXAMPLES examples per operation and role (default 5), derandomised so a
run is reproducible; SCHEMATHESIS_RANDOM=1 explores new inputs.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.foundation.conftest import assert_error_shape
from weishang.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"))


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """The WSGI app closes database connections when a request ends; inside a test's
    transaction that would close the test's own connection (PostgreSQL). Django's test
    client does the same as this."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["hq", "agent"])
def auth_headers(request, db):
    from tests import factories as f
    from weishang.accounts.services import issue_token

    user = f.user(is_staff=True, is_superuser=True) if request.param == "hq" else f.agent().user
    return {"Authorization": f"Bearer {issue_token(user, 'schemathesis')}", "Accept-Language": "en"}


FOUNDATION = r"^/api/v1/(auth|catalog)/"
SETTINGS = settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                    derandomize=not os.environ.get("SCHEMATHESIS_RANDOM"), suppress_health_check=list(HealthCheck))


def check(case, headers) -> None:
    response = case.call(headers=headers)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}\n{case.as_curl_command()}\n"
        f"{response.text[:2000]}")
    if response.status_code >= 400 and response.headers.get("Content-Type", "").startswith("application/json"):
        assert_error_shape(response.json())


@pytest.mark.slow
@pytest.mark.django_db
@schema.include(path_regex=FOUNDATION).parametrize()
@SETTINGS
def test_auth_and_catalog_api_never_answer_5xx(case, auth_headers):
    check(case, auth_headers)


@pytest.mark.slow
@pytest.mark.django_db
@schema.exclude(path_regex=FOUNDATION).parametrize()
@SETTINGS
def test_other_apps_api_never_answer_5xx(case, auth_headers):
    """The same contract for every other app's router (a failure here names the app's path)."""
    check(case, auth_headers)

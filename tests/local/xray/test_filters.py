"""Filter expressions: every supported form, on the API request trace, and clear refusals."""

from __future__ import annotations

import pytest

from local.services.xray import documents
from local.services.xray.filters import InvalidFilter, parse
from local.services.xray.summaries import scope
from tests.local.xray.support import EPOCH, api_request_trace, segment, trace_id


@pytest.fixture
def ok_trace():
    return scope(documents.assemble(api_request_trace(trace_id())))


@pytest.fixture
def faulty_trace():
    return scope(documents.assemble(api_request_trace(trace_id(), fault=True)))


@pytest.mark.parametrize(
    ("expression", "on_ok", "on_fault"),
    [
        ("", True, True),
        ("ok", True, False),
        ("fault", False, True),
        ("fault = true", False, True),
        ("fault != true", True, False),
        ("error", False, False),
        ("throttle = false", True, True),
        ("partial", False, False),
        ("http.status = 200", True, False),
        ("http.status >= 500", False, True),
        ("http.status != 200", False, True),
        ("duration > 0.05", True, True),
        ("duration < 0.05", False, False),
        ("responsetime <= 0.1", True, True),
        ("responsetime > 0.1", False, False),
        ('http.url CONTAINS "/v1/"', True, True),
        ('http.url BEGINSWITH "https://api."', True, True),
        ('http.url ENDSWITH "/postcards"', True, True),
        ('http.method = "GET"', True, True),
        ('http.method = "POST"', False, False),
        ('http.useragent = "curl/8"', True, True),
        ('http.clientip = "127.0.0.1"', True, True),
        ('annotation.table = "postcards"', True, True),
        ('annotation[stage] = "v1"', True, True),
        ('annotation.table = "other"', False, False),
        ("annotation.table = 5", False, False),  # a string annotation never equals a number
        ('service("postcards")', True, True),
        ('service("DynamoDB")', True, True),  # inferred segments are services too
        ('service("nope")', False, False),
        ('service("postcards") { fault }', False, True),
        ('service("DynamoDB") { fault }', False, False),
        ('service("postcards/v1") { http.status = 500 }', False, True),
        ("fault OR http.status = 200", True, True),
        ("fault AND http.status = 200", False, False),
        ("fault && responsetime < 1", False, True),
        ("ok || fault", True, True),
        ("NOT fault", True, False),
        ("!ok", False, True),
        ("not (fault or error) and duration > 0", True, False),
    ],
)
def test_each_supported_form_matches_as_x_ray_would(expression, on_ok, on_fault, ok_trace, faulty_trace):
    # Given an expression / When it is evaluated on an ok and a faulty request
    matches = parse(expression)

    # Then it matches what X-Ray would match
    assert (matches(ok_trace), matches(faulty_trace)) == (on_ok, on_fault)


def test_numeric_annotations_and_users_are_compared_by_type():
    trace = trace_id()
    view = scope(
        documents.assemble(
            [
                segment(trace, 1, "api", EPOCH, EPOCH + 1, user="ana", annotations={"size": 3, "cold": True}),
            ]
        )
    )

    assert parse("annotation.size > 2")(view)
    assert not parse("annotation.size < 2")(view)
    assert parse("annotation.cold = true")(view)
    assert parse('user = "ana"')(view)
    assert not parse('user = "bob"')(view)


def test_an_in_progress_trace_is_partial():
    view = scope(documents.assemble([segment(trace_id(), 1, "api", EPOCH, None)]))

    assert parse("partial")(view)


@pytest.mark.parametrize(
    ("expression", "complaint"),
    [
        ('edge("a", "b")', "'edge' is not supported by the local X-Ray"),
        ('rootcause.fault.service.name = "x"', "not supported"),
        ('json CONTAINS "x"', "not supported"),
        ("inferred", "not supported"),
        ("http.status CONTAINS 5", "not one of"),
        ('duration > "slow"', "compares with a number"),
        ('annotation.a > "x"', "compares numbers"),
        ("annotation.a CONTAINS 3", "compares strings"),
        ("http.url = 5", "quoted string"),
        ("fault = 1", "true or false"),
        ("(fault", "ends too early"),
        ("fault)", r"unexpected '\)'"),
        ("service(name)", "quoted service name"),
        ("duration >", "ends too early"),
        ("fault AND", "ends too early"),
        ("http.status = 2#00", "cannot read"),
    ],
)
def test_anything_outside_the_subset_is_refused_naming_it(expression, complaint):
    with pytest.raises(InvalidFilter, match=complaint):
        parse(expression)

"""``ivowaba.contrib.otel``, read back through the OpenTelemetry SDK's in-memory exporter and
reader: one CLIENT span per operation, named after it, a child of the caller's span on both
clients, with the route (never ids, never phone numbers unless asked), the status, the
attempts, the message id of a send and the error type; the duration, retry and rate-limit
metrics; and nothing at all once ``uninstrument()`` is called."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import ivowaba
from ivowaba import _hooks
from ivowaba.contrib.otel import instrument, uninstrument
from ivowaba.testing import Emulator
from tests.conftest import API_KEY, Both

TO = "628123456789"


@dataclass
class Telemetry:
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader
    tracer_provider: TracerProvider

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def points(self, name: str) -> list[Any]:
        data = self.metrics.get_metrics_data()
        assert data is not None
        return [
            point
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == name
            for point in metric.data.data_points
        ]


def instrumented() -> Telemetry:
    """``instrument()``, into the SDK's in-memory exporter and reader."""
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    instrument(tracer_provider=tracer_provider, meter_provider=MeterProvider([reader]))
    return Telemetry(spans, reader, tracer_provider)


@pytest.fixture
def otel() -> Iterator[Telemetry]:
    yield instrumented()
    uninstrument()


async def test_clients_made_before_instrument_are_traced_too(emu: Emulator) -> None:
    async with ivowaba.AsyncClient(api_key=API_KEY, base_url=emu.base_url) as client:
        derived = client.with_options(timeout=5)
        otel = instrumented()
        try:
            await client.countries.list()
            await derived.templates.languages()
        finally:
            uninstrument()
        await client.countries.list()

    assert [span.name for span in otel.finished()] == ["countries.list", "templates.languages"]


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


async def test_a_send_is_one_client_span_named_after_its_operation(
    otel: Telemetry, both: Both
) -> None:
    sent = await both(lambda c: c.messages.send_text(TO, "hi"))

    [span] = otel.finished()
    assert span.name == "messages.send_text"
    assert span.kind is SpanKind.CLIENT
    assert attributes(span) == {
        "http.request.method": "POST",
        "url.template": "/api/v1/messages/send-text-message",
        "http.response.status_code": 200,
        "ivowaba.attempts": 1,
        "ivowaba.message.id": sent.id,
    }
    assert span.status.status_code is StatusCode.UNSET
    assert TO not in repr(span.to_json())  # no phone number unless asked for


async def test_the_span_is_a_child_of_the_callers_on_both_clients(
    otel: Telemetry, both: Both
) -> None:
    tracer = otel.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span(f"handler-{both.kind}") as parent:
        await both(lambda c: c.countries.list())

    span, handler = otel.finished()
    assert handler.name == f"handler-{both.kind}"
    assert span.parent is not None
    assert span.parent.span_id == parent.get_span_context().span_id
    assert span.context.trace_id == parent.get_span_context().trace_id


async def test_a_sandbox_route_says_so(otel: Telemetry, emu: Emulator) -> None:
    async with ivowaba.AsyncClient(api_key=API_KEY, base_url=emu.base_url, sandbox=True) as c:
        await c.messages.send_text(TO, "hi")

    [span] = otel.finished()
    assert attributes(span)["url.template"] == "/sandbox/api/v1/messages/send-text-message"


async def test_the_route_is_the_template_never_the_ids(otel: Telemetry, both: Both) -> None:
    emu_template = "tmpl-secret-id-42"
    with pytest.raises(ivowaba.NotFoundError):
        await both(lambda c: c.templates.get(emu_template))

    [span] = otel.finished()
    assert span.name == "templates.get"
    shown = attributes(span)
    assert shown["url.template"] == "/api/v1/message-templates/{template_id}"
    assert emu_template not in repr(span.to_json())
    assert shown["http.response.status_code"] == 404
    assert shown["error.type"] == "ivowaba.NotFoundError"
    assert span.status.status_code is StatusCode.ERROR


async def test_retries_are_attempts_of_one_span_and_a_metric(
    otel: Telemetry, emu: Emulator
) -> None:
    emu.fail_next("countries.list", status=503)
    async with ivowaba.AsyncClient(api_key=API_KEY, base_url=emu.base_url, max_retries=2) as c:
        await c.countries.list()

    [span] = otel.finished()
    assert attributes(span)["ivowaba.attempts"] == 2
    assert attributes(span)["http.response.status_code"] == 200
    [retry] = span.events
    assert retry.name == "ivowaba.retry"
    assert dict(retry.attributes or {})["error.type"] == "ivowaba.ServerError"
    [point] = otel.points("ivowaba.client.retries")
    assert point.value == 1
    assert dict(point.attributes) == {
        "ivowaba.operation": "countries.list",
        "error.type": "ivowaba.ServerError",
    }


async def test_a_connection_failure_has_an_error_type_and_no_status(otel: Telemetry) -> None:
    async with ivowaba.AsyncClient(
        api_key=API_KEY, base_url="http://127.0.0.1:9", max_retries=0
    ) as client:
        with pytest.raises(ivowaba.APIConnectionError):
            await client.countries.list()

    [span] = otel.finished()
    shown = attributes(span)
    assert "http.response.status_code" not in shown
    assert shown["error.type"] == "ivowaba.APIConnectionError"
    assert shown["ivowaba.attempts"] == 1


async def test_phone_numbers_are_recorded_when_asked(
    otel: Telemetry, aclient: ivowaba.AsyncClient
) -> None:
    instrument(tracer_provider=otel.tracer_provider, record_phone_numbers=True)
    await aclient.messages.send_image(TO, link="https://example.com/a.jpg")
    await aclient.contacts.check([TO])

    send, check = otel.finished()
    assert send.name == "messages.send_media"
    assert attributes(send)["ivowaba.recipient"] == TO
    assert "ivowaba.recipient" not in attributes(check)  # a lookup, not a send


async def test_duration_histogram_by_operation_and_status(
    otel: Telemetry, aclient: ivowaba.AsyncClient
) -> None:
    await aclient.messages.send_text(TO, "one")
    await aclient.messages.send_text(TO, "two")
    with pytest.raises(ivowaba.NotFoundError):
        await aclient.templates.get("missing")

    points = {
        tuple(sorted(point.attributes.items())): point
        for point in otel.points("ivowaba.client.request.duration")
    }
    sends = points[
        (("http.response.status_code", 200), ("ivowaba.operation", "messages.send_text"))
    ]
    assert sends.count == 2
    assert sends.sum > 0
    missing = points[
        (
            ("error.type", "ivowaba.NotFoundError"),
            ("http.response.status_code", 404),
            ("ivowaba.operation", "templates.get"),
        )
    ]
    assert missing.count == 1


async def test_time_waiting_for_the_rate_limiter_is_measured(
    otel: Telemetry, emu: Emulator
) -> None:
    async with ivowaba.AsyncClient(api_key=API_KEY, base_url=emu.base_url, rate_limit=50) as c:
        await c.countries.list()
        await c.countries.list()

    [point] = otel.points("ivowaba.client.rate_limit.wait")
    assert dict(point.attributes) == {"ivowaba.operation": "countries.list"}
    assert point.count == 2


async def test_uninstrument_leaves_the_request_path_bare(
    otel: Telemetry, aclient: ivowaba.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await aclient.countries.list()
    uninstrument()

    def no_watch(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an uninstrumented client made a Watch")

    monkeypatch.setattr(_hooks.Watch, "__init__", no_watch)
    await aclient.countries.list()

    assert [span.name for span in otel.finished()] == ["countries.list"]

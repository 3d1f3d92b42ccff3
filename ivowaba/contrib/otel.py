"""OpenTelemetry for every ivowaba client: a span per operation, and metrics.

Needs ``pip install 'ivowaba[otel]'`` (``opentelemetry-api``; your application brings the SDK
and its exporters).

```python
from ivowaba.contrib.otel import instrument, uninstrument

instrument()  # the global tracer and meter providers, or pass your own
```

From then on, every operation of every ``AsyncClient`` and ``Client`` (made before or after)
is one CLIENT span named after the operation (``messages.send_text``), a child of the span
current where it was called: in the caller's task on ``AsyncClient``, in the calling thread
on the blocking ``Client`` (each of its calls runs in a copy of its caller's context). An
operation that asks the server more than once (``templates.create`` reads the categories and
languages first) is one span for each request; a download's span ends when the answer
starts (the file is read after). The span's attributes:

- ``http.request.method``, ``url.template`` (the route, ``/api/v1/media/{media_id}``: never a
  path with ids in it);
- ``http.response.status_code`` of the last attempt, when an answer came;
- ``ivowaba.attempts``: 1, or more when it was retried (each retry is also a span event,
  ``ivowaba.retry``, with the wait and the reason);
- ``ivowaba.message.id``: the id of the message a send made (what status notifications
  refer to);
- ``error.type`` on failure (``ivowaba.RateLimitError``, ``ivowaba.APITimeoutError``, ...),
  with the span's status ERROR. The error's message is not recorded: a server's message
  may quote what was sent.

Phone numbers are never recorded, unless ``instrument(record_phone_numbers=True)``: then a
send's span has ``ivowaba.recipient``, the number it went to.

Metrics, each with ``ivowaba.operation`` (plus ``http.response.status_code`` and
``error.type`` where they apply):

- ``ivowaba.client.request.duration`` (histogram, seconds): how long each operation took,
  retries and their waits included. Its count is the number of operations made, by
  operation and outcome (one instrument for both, as OpenTelemetry's HTTP conventions do:
  a separate counter would double the cost of measuring);
- ``ivowaba.client.retries`` (counter): retries, with the reason in ``error.type``;
- ``ivowaba.client.rate_limit.wait`` (histogram, seconds): time each attempt waited for the
  client's rate limiter (only for a client that has one).

Without ``instrument()``, or after ``uninstrument()``, a client's request path is exactly what
it is without this module: nothing is timed, nothing is allocated for it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import msgspec

try:
    from opentelemetry import context, metrics, trace
except ImportError as _missing:  # pragma: no cover - the extra is installed where it is used
    raise ImportError(
        "ivowaba.contrib.otel needs OpenTelemetry: pip install 'ivowaba[otel]'"
    ) from _missing

from ivowaba._client import watch_every_client
from ivowaba._version import __version__
from ivowaba.types.resources import SentMessage

if TYPE_CHECKING:
    from opentelemetry.util.types import AttributeValue

    from ivowaba._hooks import Watch

__all__ = ["instrument", "uninstrument"]

_SEND_PREFIX = "messages.send_"


def instrument(
    tracer_provider: trace.TracerProvider | None = None,
    meter_provider: metrics.MeterProvider | None = None,
    *,
    record_phone_numbers: bool = False,
) -> None:
    """Trace and measure every operation of every client, from now on.

    - ``tracer_provider``, ``meter_provider``: where spans and metrics go; ``None``: the
      global ones (``opentelemetry.trace.set_tracer_provider`` and its metrics twin).
    - ``record_phone_numbers``: put the recipient of each send on its span
      (``ivowaba.recipient``). Off by default: a phone number is personal data.

    Calling it again replaces the providers; ``uninstrument()`` stops it all.
    """
    watch_every_client(_Telemetry(tracer_provider, meter_provider, record_phone_numbers))


def uninstrument() -> None:
    """Stop tracing and measuring: clients go back to their bare request path."""
    watch_every_client(None)


class _Recipient(msgspec.Struct):
    """What a send's JSON body says of its recipient."""

    wa_id: str = ""


_recipient_of = msgspec.json.Decoder(_Recipient).decode


def _error_type(error: BaseException) -> str:
    kind = type(error)
    return f"{kind.__module__}.{kind.__qualname__}"


class _Telemetry:
    """The tracer and the instruments: told of every operation (``ivowaba._hooks``)."""

    def __init__(
        self,
        tracer_provider: trace.TracerProvider | None,
        meter_provider: metrics.MeterProvider | None,
        record_phone_numbers: bool,
    ) -> None:
        self.tracer = trace.get_tracer("ivowaba", __version__, tracer_provider)
        meter = metrics.get_meter("ivowaba", __version__, meter_provider)
        self.duration = meter.create_histogram(
            "ivowaba.client.request.duration",
            unit="s",
            description="How long each operation took, retries and their waits included; its "
            "count is the number of operations made.",
        )
        self.retries = meter.create_counter(
            "ivowaba.client.retries",
            unit="{retry}",
            description="Retries of a failed attempt, by operation and reason.",
        )
        self.rate_limit_wait = meter.create_histogram(
            "ivowaba.client.rate_limit.wait",
            unit="s",
            description="Time an attempt waited for the client's rate limiter.",
        )
        self.record_phone_numbers = record_phone_numbers

    def start(self, watch: Watch) -> _Probe:
        return _Probe(self, watch)


class _Probe:
    """One operation's span, current while it runs, and its measurements."""

    __slots__ = ("_span", "_started", "_telemetry", "_token", "_watch")

    def __init__(self, telemetry: _Telemetry, watch: Watch) -> None:
        self._telemetry = telemetry
        self._watch = watch
        attributes: dict[str, AttributeValue] = {
            "http.request.method": watch.method,
            "url.template": watch.route,
        }
        self._span = telemetry.tracer.start_span(
            watch.operation, kind=trace.SpanKind.CLIENT, attributes=attributes
        )
        self._token = context.attach(trace.set_span_in_context(self._span))
        self._started = time.perf_counter()

    def rate_limited(self, seconds: float) -> None:
        self._telemetry.rate_limit_wait.record(
            seconds, {"ivowaba.operation": self._watch.operation}
        )

    def retrying(self, wait: float, error: BaseException) -> None:
        watch = self._watch
        reason = _error_type(error)
        self._telemetry.retries.add(1, {"ivowaba.operation": watch.operation, "error.type": reason})
        self._span.add_event(
            "ivowaba.retry",
            {"ivowaba.attempt": watch.attempts, "ivowaba.wait": wait, "error.type": reason},
        )

    def end(self, result: object, error: BaseException | None) -> None:
        elapsed = time.perf_counter() - self._started
        telemetry, watch, span = self._telemetry, self._watch, self._span
        attributes: dict[str, AttributeValue] = {"ivowaba.attempts": watch.attempts}
        measured: dict[str, AttributeValue] = {"ivowaba.operation": watch.operation}
        if watch.status is not None:
            attributes["http.response.status_code"] = watch.status
            measured["http.response.status_code"] = watch.status
        if isinstance(result, SentMessage):
            attributes["ivowaba.message.id"] = result.id
        body = watch.body
        if (
            telemetry.record_phone_numbers
            and isinstance(body, bytes)
            and watch.operation.startswith(_SEND_PREFIX)
        ):
            attributes["ivowaba.recipient"] = _recipient_of(body).wa_id
        if error is not None:
            kind = _error_type(error)
            attributes["error.type"] = measured["error.type"] = kind
            span.set_status(trace.StatusCode.ERROR, kind)
        span.set_attributes(attributes)
        span.end()
        context.detach(self._token)
        telemetry.duration.record(elapsed, measured)

"""Webhooks in both shapes: the reference's format and the WhatsApp Cloud API envelope.

``parse``, the receivers and ``Dispatcher.replay`` read both alike, with the same
de-duplication keys; the Cloud API's own message and status fields are typed; one table of
error codes says what each failure means; the emulator can post in the Cloud envelope.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import io
import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
from aiohttp import web
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import ivowaba
import ivowaba.webhooks
from ivowaba import ConfigError, WebhookParseError
from ivowaba.cli._app import build_parser, run
from ivowaba.cli._demo import _tour
from ivowaba.testing import Emulator
from ivowaba.testing._cloud import BUSINESS_ACCOUNT_ID, PHONE_NUMBER_ID, envelope
from ivowaba.types import error_codes
from ivowaba.types import notifications as notifications_module
from ivowaba.types.error_codes import (
    OPT_OUT_ERROR_CODES,
    RETRYABLE_ERROR_CODES,
    WINDOW_CLOSED_ERROR_CODES,
    ErrorCode,
    Remedy,
)
from ivowaba.webhooks import (
    BusinessNumber,
    Change,
    Dispatcher,
    ErrorDetail,
    InboundAudio,
    InboundButton,
    InboundInteractive,
    InboundMessage,
    InboundOrder,
    InboundReaction,
    InboundRequestWelcome,
    InboundSystem,
    InboundText,
    InboundUnsupported,
    Notification,
    Status,
    UnknownMessage,
    parse,
)
from tests.test_webhooks_receiver import Serve, serve_aiohttp, serve_asgi

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = sorted((FIXTURES / "notifications").glob("ref_*.json"))
CLOUD = FIXTURES / "notifications_cloud"
CLOUD_ALL = sorted(CLOUD.glob("*.json"))
BUSINESS = BusinessNumber(
    phone_number_id="106540352242922",
    display_phone_number="15550783881",
    account_id="102290129340398",
)


def cloud(name: str) -> bytes:
    return (CLOUD / f"{name}.json").read_bytes()


def only_message(name: str) -> Any:
    (message,) = parse(cloud(name)).messages
    assert message.business_number == BUSINESS
    return message


def only_status(name: str) -> Status:
    notification = parse(cloud(name))
    assert notification.messages == []
    (status,) = notification.statuses
    assert status.business_number == BUSINESS
    return status


# -- every reference payload and its Cloud twin: the same typed content ----------------------


def without_ids(notification: Notification) -> Any:
    """The notification as plain data, with its message ids (which differ between a payload
    and its twin: ``wamid.`` ones on the Cloud API) and business numbers left out."""
    data = msgspec.to_builtins(notification)
    for item in [*data.get("messages", []), *data.get("statuses", [])]:
        item.pop("id")
        item.pop("business_number", None)
        item.get("context", {}).pop("id", None)
    for contact in data.get("contacts", []):
        contact.pop("business_number", None)
    return data


def test_every_reference_payload_has_a_cloud_twin() -> None:
    assert len(REFERENCE) == 16
    assert sorted(p.name for p in CLOUD.glob("ref_*.json")) == [p.name for p in REFERENCE]


@pytest.mark.parametrize("path", REFERENCE, ids=lambda p: p.stem)
def test_a_reference_payload_and_its_cloud_twin_parse_to_the_same_content(path: Path) -> None:
    reference = parse(path.read_bytes())
    twin = parse(cloud(path.stem))

    assert without_ids(twin) == without_ids(reference)
    assert without_ids(reference) != {}
    for item in [*twin.contacts, *twin.messages, *twin.statuses]:
        assert item.business_number == BUSINESS
    for item in [*twin.messages, *twin.statuses]:
        assert item.id.startswith("wamid.")
    for item in [*reference.contacts, *reference.messages, *reference.statuses]:
        assert item.business_number is None
    # the same from the decoded object (the other path through the parser)
    assert parse(json.loads(cloud(path.stem))) == twin


def test_a_cloud_status_of_the_reference_as_the_cloud_api_sends_it() -> None:
    status = only_status("ref_status_sent")
    assert status.conversation is not None
    assert status.conversation.expiration_timestamp == 1518694700  # a string on the wire
    assert status.pricing is not None
    assert (status.pricing.pricing_model, status.pricing.category) == ("CBP", "marketing")


# -- many entries and changes ----------------------------------------------------------------


def test_two_entries_of_three_changes_yield_every_item_once_in_order() -> None:
    notification = parse(cloud("cloud_two_entries"))

    assert [m.id for m in notification.messages] == [
        "wamid.batch-1",
        "wamid.batch-2",
        "wamid.batch-5",
        "wamid.batch-7",
    ]
    assert [m.text.body for m in notification.messages] == ["first", "second", "third", "fourth"]
    assert [(s.id, s.status) for s in notification.statuses] == [
        ("wamid.out-3", "delivered"),
        ("wamid.out-4", "read"),
        ("wamid.out-6", "sent"),
        ("wamid.out-8", "failed"),
    ]
    assert [c.wa_id for c in notification.contacts] == [
        "16315551234",
        "6281234567890",
        "6281234567890",
    ]
    first = BusinessNumber(
        phone_number_id="106540352242922",
        display_phone_number="15550783881",
        account_id="102290129340398",
    )
    second = BusinessNumber(
        phone_number_id="207651463353033",
        display_phone_number="15550784992",
        account_id="203391230451409",
    )
    assert [m.business_number for m in notification.messages] == [first, first, second, second]
    assert [s.business_number for s in notification.statuses] == [first, first, second, second]
    assert [c.business_number for c in notification.contacts] == [first, second, second]
    assert notification.statuses[3].errors[0].code == ErrorCode.UNDELIVERABLE
    assert notification.other_changes == [
        Change(
            field="account_update",
            value={"phone_number": "15550783881", "event": "VERIFIED_ACCOUNT"},
            account_id="102290129340398",
        )
    ]


def test_without_the_other_change_the_one_pass_decoding_gives_the_same_items() -> None:
    body = json.loads(cloud("cloud_two_entries"))
    del body["entry"][0]["changes"][2]  # now every change is about messages
    fast = parse(json.dumps(body).encode())
    full = parse(cloud("cloud_two_entries"))
    assert msgspec.structs.replace(full, other_changes=[]) == fast
    assert parse(body) == fast


def test_a_change_about_something_else_is_kept_as_data_not_an_error() -> None:
    notification = parse(cloud("cloud_template_status_update"))
    assert (notification.messages, notification.statuses, notification.contacts) == ([], [], [])
    (change,) = notification.other_changes
    assert change.field == "message_template_status_update"
    assert (
        change.value
        == json.loads(cloud("cloud_template_status_update"))["entry"][0]["changes"][0]["value"]
    )
    assert change.account_id == "102290129340398"


async def test_a_change_about_something_else_reaches_on_notification_handlers() -> None:
    dispatcher = Dispatcher()
    seen: list[Notification] = []
    dispatcher.on_notification()(seen.append)
    assert await dispatcher.dispatch(cloud("cloud_template_status_update"))
    (notification,) = seen
    assert notification.other_changes[0].value["event"] == "APPROVED"


# -- the Cloud API's own message and status fields -------------------------------------------


def test_reaction() -> None:
    message = only_message("cloud_reaction")
    assert isinstance(message, InboundReaction)
    assert message.reaction.emoji == "\N{THUMBS UP SIGN}"
    assert message.reaction.message_id.startswith("wamid.")


def test_order() -> None:
    message = only_message("cloud_order")
    assert isinstance(message, InboundOrder)
    assert message.order.catalog_id == "194836987003835"
    assert [
        (p.product_retailer_id, p.quantity, p.item_price) for p in message.order.product_items
    ] == [
        ("di9ozbzfi4", 2, 30.0),
        ("nqryix03ez", 1, 25.5),
    ]


def test_flow_reply_with_its_response_decoded() -> None:
    message = only_message("cloud_flow_reply")
    assert isinstance(message, InboundInteractive)
    assert message.interactive.type == "nfm_reply"
    assert message.interactive.nfm_reply is not None
    assert message.interactive.nfm_reply.response == {
        "flow_token": "unused",
        "rating": "5",
        "comment": "quick delivery",
    }
    assert message.context is not None
    assert message.context.from_ == "15550783881"


def test_button_and_list_replies() -> None:
    button = only_message("cloud_button_reply")
    assert isinstance(button, InboundInteractive)
    assert button.interactive.button_reply is not None
    assert (button.interactive.button_reply.id, button.interactive.button_reply.title) == (
        "confirm",
        "Confirm",
    )
    row = only_message("cloud_list_reply")
    assert row.interactive.list_reply.description == "9:00 to 12:00"


def test_template_quick_reply_button() -> None:
    message = only_message("cloud_button")
    assert isinstance(message, InboundButton)
    assert (message.button.payload, message.button.text) == ("STOP_PROMOTIONS", "Stop promotions")


def test_referral_from_a_click_to_whatsapp_ad() -> None:
    message = only_message("cloud_referral")
    assert isinstance(message, InboundText)
    referral = message.referral
    assert referral is not None
    assert (referral.source_type, referral.source_id) == ("ad", "120226305854810726")
    assert referral.ctwa_clid is not None
    assert referral.ctwa_clid.startswith("Aff-")
    assert referral.image_url is not None
    assert referral.media_type == "image"
    assert referral.welcome_message is not None
    assert referral.welcome_message.text == "Hi! How can we help?"


def test_customer_changed_number() -> None:
    message = only_message("cloud_customer_changed_number")
    assert isinstance(message, InboundSystem)
    assert (message.system.type, message.system.wa_id) == (
        "customer_changed_number",
        "16315559999",
    )


def test_unsupported_says_why_with_the_error_table() -> None:
    message = only_message("cloud_unsupported")
    assert isinstance(message, InboundUnsupported)
    assert message.type == "unsupported"
    assert message.unsupported is not None
    assert message.unsupported.type == "edit"
    (error,) = message.errors
    assert error.code == 131051
    assert error.message == "Message type unknown"
    assert error.error_data is not None
    assert error.explanation == "Message type is currently not supported."
    assert error.known is ErrorCode.UNSUPPORTED_MESSAGE_TYPE


def test_request_welcome_carries_only_the_envelope() -> None:
    message = only_message("cloud_request_welcome")
    assert isinstance(message, InboundRequestWelcome)
    assert (message.type, message.from_) == ("request_welcome", "16315551234")


def test_a_voice_note_is_audio_flagged_voice() -> None:
    message = only_message("cloud_audio_voice")
    assert isinstance(message, InboundAudio)
    assert message.audio.voice is True


def test_a_cloud_type_not_known_yet_is_an_unknown_message_with_its_raw_data() -> None:
    body = json.loads(cloud("cloud_reaction"))
    raw = {"from": "1", "id": "wamid.x", "timestamp": "1", "type": "poll", "poll": {"q": "?"}}
    body["entry"][0]["changes"][0]["value"]["messages"] = [raw]
    (message,) = parse(json.dumps(body)).messages
    assert isinstance(message, UnknownMessage)
    assert (message.type, message.raw, message.reason) == ("poll", raw, None)
    assert message.business_number == BUSINESS


def test_status_with_per_message_pricing_and_callback_data() -> None:
    status = only_status("cloud_status_sent_pmp")
    assert status.pricing is not None
    assert (status.pricing.pricing_model, status.pricing.type) == ("PMP", "regular")
    assert (status.pricing.category, status.pricing.billable) == ("marketing", True)
    assert status.conversation is not None
    assert status.conversation.expiration_timestamp == 1750116480
    assert status.conversation.origin is not None
    assert status.conversation.origin.type == "marketing"
    assert status.biz_opaque_callback_data == "campaign-42/row-7"


def test_failed_outside_the_window_calls_for_a_template() -> None:
    status = only_status("cloud_status_failed_131047")
    (error,) = status.errors
    assert (error.code, error.title, error.message) == (
        131047,
        "Re-engagement message",
        "Re-engagement message",
    )
    assert error.href is not None
    assert error.explanation is not None
    assert error.explanation.startswith("Message failed")
    assert error.known is ErrorCode.WINDOW_CLOSED
    assert error.known.remedy is Remedy.SEND_TEMPLATE
    assert not error.retryable
    assert not status.is_retryable_failure
    assert "send a template" in repr(error)


def test_failed_by_a_marketing_opt_out() -> None:
    (error,) = only_status("cloud_status_failed_131050").errors
    assert error.known is ErrorCode.MARKETING_OPT_OUT
    assert error.code in OPT_OUT_ERROR_CODES
    assert not error.retryable


def test_the_business_number_is_taken_where_present() -> None:
    body = json.loads(cloud("cloud_reaction"))
    value = body["entry"][0]["changes"][0]["value"]
    for metadata, expected in [
        ("not an object", BusinessNumber(account_id="102290129340398")),
        (
            {"phone_number_id": 5, "display_phone_number": "15550783881"},
            BusinessNumber(display_phone_number="15550783881", account_id="102290129340398"),
        ),
    ]:
        value["metadata"] = metadata
        for shape in (body, json.dumps(body)):
            (message,) = parse(shape).messages
            assert message.business_number == expected
    del value["metadata"], body["entry"][0]["id"]
    (message,) = parse(json.dumps(body)).messages
    assert message.business_number == BusinessNumber()


# -- the error-code table ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "remedy"),
    [
        (470, Remedy.SEND_TEMPLATE),
        (131047, Remedy.SEND_TEMPLATE),
        (480, Remedy.RESEND_LATER),
        (131026, Remedy.DO_NOT_RESEND),
        (131049, Remedy.DO_NOT_RESEND),
        (131050, Remedy.OPT_OUT),
        (131056, Remedy.SLOW_DOWN),
        (131000, Remedy.RESEND_LATER),
        (131016, Remedy.RESEND_LATER),
        (130429, Remedy.SLOW_DOWN),
    ],
)
def test_the_table_says_what_each_code_of_the_issue_calls_for(code: int, remedy: Remedy) -> None:
    known = ErrorCode.lookup(code)
    assert known is not None
    assert known == code
    assert known.remedy is remedy
    assert all([known.title, known.meaning, known.action])
    error = ErrorDetail(code=code, title=known.title)
    assert error.retryable is remedy.retryable
    failed = Status(id="wamid.1", status="failed", timestamp="1", errors=[error])
    assert failed.is_retryable_failure is remedy.retryable
    delivered = Status(id="wamid.1", status="delivered", timestamp="1", errors=[error])
    assert not delivered.is_retryable_failure


def test_the_code_sets_are_read_from_the_table() -> None:
    assert notifications_module.RETRYABLE_ERROR_CODES is RETRYABLE_ERROR_CODES
    assert ivowaba.webhooks.RETRYABLE_ERROR_CODES is RETRYABLE_ERROR_CODES
    assert {480, 131000, 131016, 130429, 131056} <= RETRYABLE_ERROR_CODES
    assert {int(c) for c in ErrorCode if c.retryable} == RETRYABLE_ERROR_CODES
    assert {470, 131047} == WINDOW_CLOSED_ERROR_CODES
    assert {131050} == OPT_OUT_ERROR_CODES
    assert not RETRYABLE_ERROR_CODES & (WINDOW_CLOSED_ERROR_CODES | OPT_OUT_ERROR_CODES)
    assert not RETRYABLE_ERROR_CODES & {131026, 131049, 131048, 471, 1026}


def test_no_code_is_in_the_table_twice() -> None:
    """An ``IntEnum`` makes a second name for the same code an alias, silently."""
    assert len(ErrorCode.__members__) == len(ErrorCode)


def test_the_docstring_table_agrees_with_the_table() -> None:
    doc = error_codes.__doc__ or ""
    rows = re.findall(r"^\| ``(\w+)``[^|]*\| ([^|]+) \|$", doc, flags=re.MULTILINE)
    documented: dict[str, set[int]] = {}
    for remedy, codes in rows:
        found: set[int] = set()
        for part in re.split(r"[;,]\s*", codes.strip()):
            if "-" in part:
                low, high = map(int, part.split("-"))
                found |= {int(c) for c in ErrorCode if low <= c <= high}
            else:
                found.add(int(part))
        documented[remedy] = found
    assert documented == {
        remedy.name: {int(c) for c in ErrorCode if c.remedy is remedy} for remedy in Remedy
    }


def test_an_error_shows_its_meaning_and_an_unknown_code_shows_nothing_more() -> None:
    known = ErrorDetail(code=131056, title="pair rate limit")
    assert repr(known) == (
        "ErrorDetail(code=131056, title='pair rate limit', meaning="
        f"{ErrorCode.PAIR_RATE_LIMIT.describe()!r})"
    )
    assert "wait before sending this customer" in repr(known)
    unknown = ErrorDetail(code=99999, title="new")
    assert repr(unknown) == "ErrorDetail(code=99999, title='new')"
    assert unknown.known is None
    assert not unknown.retryable
    assert ErrorCode.lookup(None) is None
    assert repr(ErrorCode.WINDOW_CLOSED) == "<ErrorCode.WINDOW_CLOSED: 131047, send_template>"


# -- only WebhookParseError escapes, and both ways through the parser agree --------------------

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)
leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | text
    | st.sampled_from(["messages", "text", "sent", "1", "whatsapp_business_account", "unsupported"])
)
keys = st.sampled_from(
    ["id", "from", "timestamp", "type", "text", "body", "status", "code", "title", "wa_id",
     "metadata", "phone_number_id", "error_data", "details", "pricing", "conversation"]
)  # fmt: skip
shaped = st.recursive(
    leaf,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=4),
    max_leaves=20,
)
a_message = st.fixed_dictionaries(
    {"id": text, "from": text, "timestamp": text | st.integers(0, 9)},
    optional={
        "type": st.sampled_from(["text", "reaction", "request_welcome", "unsupported", "poll"]),
        "text": st.fixed_dictionaries({"body": text}) | shaped,
        "reaction": st.fixed_dictionaries({"message_id": text}) | shaped,
        "errors": st.lists(st.fixed_dictionaries({"code": leaf}), max_size=2) | shaped,
    },
)
a_status = st.fixed_dictionaries(
    {"id": text, "status": st.sampled_from(["sent", "failed"]), "timestamp": text | leaf},
    optional={
        "conversation": st.fixed_dictionaries({"expiration_timestamp": leaf}) | shaped,
        "pricing": st.fixed_dictionaries({"billable": leaf, "pricing_model": leaf}) | shaped,
        "errors": st.lists(st.fixed_dictionaries({"code": leaf}), max_size=2) | shaped,
    },
)
a_value = st.fixed_dictionaries(
    {},
    optional={
        "messaging_product": st.just("whatsapp") | shaped,
        "metadata": st.fixed_dictionaries({}, optional={"phone_number_id": leaf}) | shaped,
        "contacts": st.lists(st.fixed_dictionaries({"wa_id": leaf}), max_size=2) | shaped,
        "messages": st.lists(a_message | shaped, max_size=2) | shaped,
        "statuses": st.lists(a_status | shaped, max_size=2) | shaped,
        "errors": st.lists(st.fixed_dictionaries({"code": leaf}), max_size=2) | shaped,
    },
)
a_change = st.fixed_dictionaries(
    {},
    optional={
        "field": st.sampled_from(["messages", "account_update"]) | leaf,
        "value": a_value | shaped,
    },
)
an_entry = st.fixed_dictionaries(
    {}, optional={"id": leaf, "changes": st.lists(a_change | shaped, max_size=3) | shaped}
)
an_envelope = st.fixed_dictionaries(
    {},
    optional={
        "object": st.just("whatsapp_business_account") | leaf,
        "entry": st.lists(an_entry | shaped, max_size=3) | shaped,
        "messages": st.lists(a_message, max_size=1) | shaped,
    },
)


TEXT_MESSAGE = {"id": "1", "from": "1", "timestamp": "1", "type": "text", "text": {"body": "x"}}


def parsed_or_none(body: Any) -> Notification | None:
    try:
        notification = parse(body)
    except WebhookParseError:
        return None
    assert isinstance(notification, Notification)
    return notification


# Nested draws are what costs here: 60 envelopes, with explicit examples for the edges.
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(an_envelope)
@example({"object": None, "entry": [], "messages": [TEXT_MESSAGE]})
@example({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages"}]}]})
@example({"object": "page", "entry": [{"changes": []}]})
@example({"object": "whatsapp_business_account", "entry": [{"changes": [], "id": 5}]})
def test_envelopes_raise_only_webhook_parse_error_and_both_paths_agree(value: Any) -> None:
    from_object = parsed_or_none(value)
    from_bytes = parsed_or_none(json.dumps(value).encode())
    assert from_object == from_bytes


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(CLOUD_ALL), st.data())
def test_mangled_cloud_bodies_raise_only_webhook_parse_error(
    path: Path, data: st.DataObject
) -> None:
    raw = path.read_bytes()
    cut = data.draw(st.integers(0, len(raw)))
    junk = data.draw(st.binary(max_size=8))
    parsed_or_none(raw[:cut] + junk + raw[cut:])


@pytest.mark.parametrize(
    "body",
    [
        {"object": "page", "entry": [{"changes": []}]},
        {"object": "whatsapp_business_account"},
        {"object": "whatsapp_business_account", "entry": []},
        {"object": "whatsapp_business_account", "entry": [{"id": "1"}]},
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages"}]}]},
        {
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"field": "messages", "value": {"messages": [{"id": "x"}]}}]}],
        },
        {
            "object": "whatsapp_business_account",
            "entry": [{"changes": []}],
            "statuses": [{"id": "x", "status": "sent", "timestamp": "1"}],
        },
        {"object": None, "messages": []},
    ],
    ids=[
        "another-object",
        "no-entry",
        "no-entries",
        "no-changes",
        "no-value",
        "a-message-that-is-not-one",
        "both-shapes",
        "null-object",
    ],
)
def test_what_is_neither_shape_raises_webhook_parse_error_naming_why(body: Any) -> None:
    with pytest.raises(WebhookParseError):
        parse(body)
    with pytest.raises(WebhookParseError):
        parse(json.dumps(body))


def test_where_a_bad_message_is_in_the_envelope_is_named() -> None:
    body = json.loads(cloud("cloud_two_entries"))
    body["entry"][1]["changes"][2]["value"]["messages"][0] = {"id": "x"}
    with pytest.raises(WebhookParseError, match=r"entry\[1\]\.changes\[2\]\.value\.messages\[0\]"):
        parse(body)


# -- receivers and replay: both shapes, the same keys ------------------------------------------


def recorder() -> tuple[Dispatcher, list[InboundMessage], list[Status]]:
    dispatcher = Dispatcher()
    messages: list[InboundMessage] = []
    statuses: list[Status] = []
    dispatcher.on_message()(messages.append)
    dispatcher.on_status()(statuses.append)
    return dispatcher, messages, statuses


BATCH = json.loads((FIXTURES / "notifications" / "wa_batch.json").read_bytes())
BATCH_IN_CLOUD = envelope(BATCH, display_phone_number="15550783881")


def test_the_batch_is_the_same_notification_in_both_shapes() -> None:
    reference, twin = parse(BATCH), parse(BATCH_IN_CLOUD)
    assert [m.id for m in twin.messages] == [m.id for m in reference.messages] != []
    assert [(s.id, s.status) for s in twin.statuses] == [
        (s.id, s.status) for s in reference.statuses
    ]


@asynccontextmanager
async def serve_wsgi(dispatcher: Dispatcher, **options: Any) -> AsyncIterator[Callable[..., Any]]:
    yield ivowaba.webhooks.wsgi_app(dispatcher, **options)


async def post_wsgi(app: Callable[..., Any], body: bytes) -> int:
    """POST ``body`` to a WSGI app in a worker thread, as a WSGI server would."""

    def call() -> int:
        status: list[str] = []
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/webhook",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
        }
        b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
        return int(status[0].split()[0])

    return await asyncio.to_thread(call)


RECEIVERS = ["aiohttp", "asgi"] + (["wsgi"] if hasattr(ivowaba.webhooks, "wsgi_app") else [])


@pytest.mark.parametrize("receiver", RECEIVERS)
async def test_a_receiver_fed_one_notification_in_each_shape_handles_it_once(
    receiver: str,
) -> None:
    dispatcher, messages, statuses = recorder()
    bodies = [json.dumps(BATCH).encode(), json.dumps(BATCH_IN_CLOUD).encode()]
    if receiver == "wsgi":
        async with serve_wsgi(dispatcher) as app:
            answers = [await post_wsgi(app, body) for body in bodies]
    else:
        serve: Serve = serve_aiohttp if receiver == "aiohttp" else serve_asgi
        async with serve(dispatcher) as url, aiohttp.ClientSession() as http:
            answers = []
            for body in bodies:
                async with http.post(url, data=body) as response:
                    answers.append(response.status)
    assert answers == [200, 200]
    assert [m.id for m in messages] == ["wamid.batch-1", "wamid.batch-2"]
    assert [(s.id, s.status) for s in statuses] == [("gBGGFlA5FpafAgkOuJbRq54qwbM", "delivered")]


async def test_replay_takes_both_shapes_with_the_same_keys_and_sets_aside_what_is_neither() -> None:
    dispatcher, messages, statuses = recorder()
    result = await dispatcher.replay(
        [BATCH_IN_CLOUD, json.dumps(BATCH).encode(), parse(BATCH), b"not a notification"]
    )
    assert (result.handled, result.duplicates, result.failed) == (1, 2, [])
    ((body, error),) = result.unreadable
    assert body == b"not a notification"
    assert isinstance(error, WebhookParseError)
    assert not result.ok
    assert len(messages) == 2
    assert len(statuses) == 1


# -- the emulator speaking Cloud ---------------------------------------------------------------


@asynccontextmanager
async def body_recorder() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A webhook that keeps every body it is posted and answers 200."""
    bodies: list[bytes] = []

    async def keep(request: web.Request) -> web.Response:
        bodies.append(await request.read())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/webhook", keep)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/webhook", bodies
    finally:
        await runner.cleanup()


def key(notification: Notification) -> tuple[str, str]:
    """Which notification it is: its first status's id and state, or its message's id."""
    if notification.statuses:
        return notification.statuses[0].id, notification.statuses[0].status
    return notification.messages[0].id, "message"


def as_the_cloud_api_words_it(reference: dict[str, Any]) -> Any:
    """A notification the emulator kept, parsed, with what the Cloud API words differently:
    no status ``type``, per-message pricing, errors with ``message`` and ``error_data``."""
    notification = parse(copy.deepcopy(reference))
    for status in notification.statuses:
        status.type = None
        if status.pricing is not None:
            status.pricing.pricing_model, status.pricing.type = "PMP", "regular"
        for error in status.errors:
            error.message = error.title
            error.error_data = notifications_module.ErrorData(details=error.title)
    return without_business_numbers(notification)


def without_business_numbers(notification: Notification) -> Any:
    data = msgspec.to_builtins(notification)
    for item in [*data.get("contacts", []), *data.get("messages", []), *data.get("statuses", [])]:
        item.pop("business_number", None)
    return data


async def test_the_emulator_in_cloud_mode_posts_the_envelope_keeping_the_reference_format() -> None:
    emulator = Emulator(webhook_format="cloud", delivery_delay=0)
    emulator.mark_failing("628111111111", code=131047, title="Re-engagement message")
    async with body_recorder() as (url, bodies), emulator as emu:
        emu.set_webhook(url)
        async with ivowaba.AsyncClient(api_key=emu.api_key, base_url=emu.base_url) as client:
            ok = await client.messages.send_text("628123456789", "hello")
            failed = await client.messages.send_text("628111111111", "hi")
        emu.inbound_text("628123456789", "thanks")
        await emu.wait_delivered()
        kept = {key(parse(notification)): notification for notification in emu.delivered}
    assert emu.webhook_format == "cloud"
    posted = {key(parse(body)): body for body in bodies}
    assert len(posted) == 5  # sent, delivered, read; failed; the customer's message
    assert posted.keys() == kept.keys()
    business = BusinessNumber(
        phone_number_id=PHONE_NUMBER_ID,
        display_phone_number=Emulator.business_wa_id,
        account_id=BUSINESS_ACCOUNT_ID,
    )
    for which, body in posted.items():
        wire = json.loads(body)
        assert wire["object"] == "whatsapp_business_account"
        (entry,) = wire["entry"]
        assert entry["id"] == BUSINESS_ACCOUNT_ID
        (change,) = entry["changes"]
        assert change["field"] == "messages"
        assert change["value"]["metadata"] == {
            "display_phone_number": Emulator.business_wa_id,
            "phone_number_id": PHONE_NUMBER_ID,
        }
        assert "object" not in kept[which]  # what the emulator keeps: the reference's format
        notification = parse(body)
        assert without_business_numbers(notification) == as_the_cloud_api_words_it(kept[which])
        for item in [*notification.contacts, *notification.messages, *notification.statuses]:
            assert item.business_number == business
    (sent,) = parse(posted[ok.id, "sent"]).statuses
    assert sent.pricing is not None
    assert sent.pricing.pricing_model == "PMP"
    (wire_status,) = json.loads(posted[ok.id, "sent"])["entry"][0]["changes"][0]["value"][
        "statuses"
    ]
    assert wire_status["conversation"]["expiration_timestamp"].isdigit()  # a string on the wire
    (error,) = parse(posted[failed.id, "failed"]).statuses[0].errors
    assert error.known is ErrorCode.WINDOW_CLOSED
    assert error.message == error.title == "Re-engagement message"
    assert error.error_data is not None
    assert error.error_data.details == error.title


WAMID = re.compile(r"wamid\.[A-Za-z0-9+/]+={0,2}")


def wamid_record(message_id: str) -> tuple[str, int, str]:
    """What a ``wamid.`` id holds: the customer's number, the direction byte and the hex key
    (the record WhatsApp base64-encodes: ``1c 18 <len> number 15 02 00 <dir> 18 <len> key
    00``)."""
    assert WAMID.fullmatch(message_id), message_id
    record = base64.b64decode(message_id.removeprefix("wamid."), validate=True)
    assert record[:2] == b"\x1c\x18"
    number = record[3 : 3 + record[2]].decode()
    rest = record[3 + record[2] :]
    assert (rest[:3], rest[4:5], rest[-1:]) == (b"\x15\x02\x00", b"\x18", b"\x00")
    key = rest[6:-1].decode()
    assert len(key) == rest[5]
    assert re.fullmatch("[0-9A-F]+", key), key
    return number, rest[3], key


async def test_the_emulator_in_cloud_mode_names_every_message_with_a_wamid() -> None:
    emulator = Emulator(webhook_format="cloud", delivery_delay=0)
    async with body_recorder() as (url, bodies), emulator as emu:
        emu.set_webhook(url)
        async with ivowaba.AsyncClient(api_key=emu.api_key, base_url=emu.base_url) as client:
            sent = [await client.messages.send_text("628123456789", "hello") for _ in range(3)]
        emu.inbound_text("+62 811-1111-111", "thanks")
        emu.inbound_button("628111111111", "yes", "Yes", context_id=sent[0].id)
        await emu.wait_delivered()
    ids = [message.id for message in sent]
    assert len(set(ids)) == 3
    for message_id in ids:
        number, direction, key = wamid_record(message_id)
        assert (number, direction, len(key)) == ("628123456789", 0x11, 18)
    assert [entry.id for entry in emu.outbox] == ids  # the id a send returns is the outbox's
    posted = [parse(body) for body in bodies]
    statuses = [status for notification in posted for status in notification.statuses]
    assert sorted((s.id, s.status) for s in statuses) == sorted(
        (message_id, state) for message_id in ids for state in ("sent", "delivered", "read")
    )  # its statuses name it
    inbound = [message for notification in posted for message in notification.messages]
    assert len(inbound) == 2
    assert [m.context.id for m in inbound if m.context is not None] == [ids[0]]  # a reply
    for message in inbound:
        number, direction, key = wamid_record(message.id)
        assert (number, direction, len(key)) == ("628111111111", 0x12, 20)
    assert len({message.id for message in inbound}) == 2


async def test_the_emulator_in_reference_mode_keeps_the_reference_ids() -> None:
    async with Emulator() as emu:
        async with ivowaba.AsyncClient(api_key=emu.api_key, base_url=emu.base_url) as client:
            sent = await client.messages.send_text("628123456789", "hello")
        (message,) = emu.inbound_text("628111111111", "thanks")["messages"]
    assert sent.id.startswith("gBEG")
    assert message["id"].startswith("ABGG")


def test_the_envelope_words_whatever_the_emulator_is_told_to_notify() -> None:
    odd = {
        "errors": [{"code": 1014, "title": "Internal error", "details": "Upload failed"}, "?"],
        "statuses": ["?", {"id": "gBEG1", "status": "failed", "timestamp": "1", "type": "x"}],
        "messages": [{"id": "ABGG1", "errors": [{"code": 501}]}, "?"],
        "contacts": [{"wa_id": "1"}],
    }
    wrapped = envelope(odd, display_phone_number="62812")
    assert envelope(wrapped, display_phone_number="62812") is wrapped  # already in one
    value = wrapped["entry"][0]["changes"][0]["value"]
    assert value["errors"] == [
        {
            "code": 1014,
            "title": "Internal error",
            "details": "Upload failed",
            "message": "Internal error",
            "error_data": {"details": "Upload failed"},
        },
        "?",
    ]
    assert value["statuses"] == ["?", {"id": "gBEG1", "status": "failed", "timestamp": "1"}]
    assert value["messages"] == odd["messages"]  # an error without a title stays as it is
    assert value["contacts"] == odd["contacts"]
    assert odd["statuses"][1]["type"] == "x"  # the emulator's own copy is left alone


@pytest.mark.parametrize("serve", [serve_aiohttp, serve_asgi], ids=["aiohttp", "asgi"])
async def test_the_demo_tour_in_cloud_mode_handles_every_status_and_inbound_message(
    serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    dispatcher, inbound, statuses = recorder()
    async with serve(dispatcher, username="demo", password="pw") as url:
        emulator = Emulator(
            webhook_url=url,
            webhook_username="demo",
            webhook_password="pw",
            webhook_format="cloud",
            delivery_delay=0,
        )
        async with (
            emulator,
            ivowaba.AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url) as client,
        ):
            code = await _tour(client, emulator, inbound, statuses)
            attempts = emulator.delivery_attempts
    out = capsys.readouterr().out
    assert code == 0, out
    assert {attempt.status for attempt in attempts} == {200}
    assert len(inbound) == 2
    assert {s.status for s in statuses} == {"sent", "delivered", "read"}
    assert len(statuses) == 3 * len(emulator.outbox)
    assert all(s.business_number is not None for s in statuses)
    assert all(m.business_number is not None for m in inbound)


def test_an_unknown_webhook_format_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="webhook_format must be one of 'reference', 'cloud'"):
        Emulator(webhook_format="xml")


def test_the_cli_refuses_an_unknown_webhook_format_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["emulator", "--port", "0", "--webhook-format", "xml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "webhook_format" in err


def test_the_cli_serves_the_emulator_in_cloud_mode(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert build_parser().parse_args(["emulator"]).webhook_format == "reference"
    made: list[Emulator] = []

    class Stopping(Emulator):
        """The emulator the command makes: the command is stopped once it serves."""

        async def __aenter__(self) -> Emulator:
            made.append(self)
            serving = await super().__aenter__()
            task = asyncio.current_task()
            assert task is not None
            asyncio.get_running_loop().call_soon(task.cancel)
            return serving

    monkeypatch.setattr(ivowaba.testing, "Emulator", Stopping)
    with pytest.raises(asyncio.CancelledError):
        run(["emulator", "--port", "0", "--webhook-format", "cloud"])
    assert [emu.webhook_format for emu in made] == ["cloud"]
    assert not made[0].running
    assert "Cloud API envelope" in capsys.readouterr().out

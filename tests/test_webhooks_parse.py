"""``ivowaba.webhooks.parse``: every notification of the reference, typed; nothing else."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ivowaba import WebhookParseError
from ivowaba.types.contacts import (
    ContactAddress,
    ContactCard,
    ContactEmail,
    ContactIM,
    ContactName,
    ContactOrg,
    ContactPhone,
    ContactUrl,
)
from ivowaba.types.notifications import notification_from_object
from ivowaba.webhooks import (
    Contact,
    InboundAudio,
    InboundButton,
    InboundContacts,
    InboundDocument,
    InboundImage,
    InboundInteractive,
    InboundLocation,
    InboundOrder,
    InboundReaction,
    InboundSticker,
    InboundSystem,
    InboundText,
    InboundVideo,
    InboundVoice,
    Notification,
    Status,
    UnknownMessage,
    parse,
)

NOTIFICATIONS = Path(__file__).resolve().parent / "fixtures" / "notifications"
REFERENCE = sorted(NOTIFICATIONS.glob("ref_*.json"))
ALL = sorted(NOTIFICATIONS.glob("*.json"))
# Those without an UnknownMessage (which keeps its wire object in .raw instead).
TYPED = [p for p in ALL if p.stem not in {"wa_future_type", "wa_unsupported_with_errors"}]


def fixture(name: str) -> bytes:
    return (NOTIFICATIONS / f"{name}.json").read_bytes()


def only_message(name: str) -> Any:
    notification = parse(fixture(name))
    assert len(notification.messages) == 1
    return notification.messages[0]


def only_status(name: str) -> Status:
    notification = parse(fixture(name))
    assert notification.messages == []
    assert len(notification.statuses) == 1
    return notification.statuses[0]


def test_the_reference_fixtures_are_all_here() -> None:
    assert len(REFERENCE) == 16


# -- the reference's inbound messages --------------------------------------------------------


def test_text() -> None:
    notification = parse(fixture("ref_text"))
    assert notification.contacts == [
        Contact(wa_id="16315551234", profile=notification.contacts[0].profile)
    ]
    assert notification.contacts[0].profile is not None
    assert notification.contacts[0].profile.name == "Kerry Fisher"
    message = notification.messages[0]
    assert isinstance(message, InboundText)
    assert message.type == "text"
    assert message.from_ == "16315551234"
    assert message.id == "ABGGFlA5FpafAgo6tHcNmNjXmuSf"
    assert message.timestamp == "1518694235"
    assert message.text.body == "Hello this is an answer"
    assert message.context is None
    assert notification.statuses == []


def test_location() -> None:
    message = only_message("ref_location")
    assert isinstance(message, InboundLocation)
    assert message.type == "location"
    assert message.location.latitude == 38.9806263495
    assert message.location.longitude == -131.9428612257
    assert message.location.name == "Main Street Beach"
    assert message.location.address == "Main Street Beach, Santa Cruz, CA"
    assert message.location.url == "https://foursquare.com/v/4d7031d35b5df7744"


def test_contacts() -> None:
    message = only_message("ref_contacts")
    assert isinstance(message, InboundContacts)
    assert message.from_ == "16505551234"
    (card,) = message.contacts
    assert card.name is not None
    assert card.name.formatted_name == "Kerry Fisher"
    assert card.name.first_name == "Kerry"
    assert card.birthday == "2012-08-18"
    assert card.addresses is not None
    assert card.addresses[0].city == "Menlo Park"
    assert card.addresses[0].zip == "94025"
    assert card.emails is not None
    assert card.emails[0].email == "kfish@fb.com"
    assert card.ims is not None
    assert card.ims[0].user_id == "kfish"
    assert card.org is not None
    assert card.org.company == "Facebook"
    assert card.phones is not None
    assert [p.phone for p in card.phones] == ["+1 (940) 555-1234", "+1 (650) 555-1234"]
    assert card.phones[1].wa_id == "16505551234"
    assert card.urls is not None
    assert card.urls[0].url == "https://www.facebook.com"


def test_a_shared_contact_is_a_contact_card_that_can_be_sent_on() -> None:
    message = only_message("ref_contacts")
    card = message.contacts[0]
    assert isinstance(card, ContactCard)
    wire = msgspec.to_builtins(card)
    assert wire == json.loads(fixture("ref_contacts"))["messages"][0]["contacts"][0]
    assert msgspec.convert(wire, ContactCard) == ContactCard(
        name=ContactName(formatted_name="Kerry Fisher", first_name="Kerry", last_name="Fisher"),
        addresses=[
            ContactAddress(
                city="Menlo Park",
                country="United States",
                country_code="us",
                state="CA",
                street="1 Hacker Way",
                type="WORK",
                zip="94025",
            )
        ],
        birthday="2012-08-18",
        emails=[ContactEmail(email="kfish@fb.com", type="WORK")],
        ims=[ContactIM(service="AIM", user_id="kfish")],
        org=ContactOrg(company="Facebook"),
        phones=[
            ContactPhone(phone="+1 (940) 555-1234", type="CELL"),
            ContactPhone(phone="+1 (650) 555-1234", type="WORK", wa_id="16505551234"),
        ],
        urls=[ContactUrl(url="https://www.facebook.com", type="WORK")],
    )


def test_shared_contacts_ignore_fields_added_tomorrow() -> None:
    body = json.loads(fixture("ref_contacts"))
    body["messages"][0]["contacts"][0]["name"]["nickname"] = "KF"
    body["messages"][0]["contacts"][0]["social"] = [{"network": "x"}]
    message = parse(body).messages[0]
    assert isinstance(message, InboundContacts)
    assert message.contacts[0].name is not None
    assert message.contacts[0].name.first_name == "Kerry"


def test_image() -> None:
    message = only_message("ref_image")
    assert isinstance(message, InboundImage)
    assert message.type == "image"
    assert message.image.id == "b1c68f38-8734-4ad3-b4a1-ef0c10d683"
    assert message.image.mime_type == "image/jpeg"
    assert message.image.caption == "Check out my new phone!"
    assert message.image.sha256 == "29ed500fa64eb55fc19dc4124acb300e5dcc54a0f822a301ae99944db"
    assert message.image.file == "/usr/local/wamedia/shared/b1cf38-8734-4ad3-b4a1-ef0c10d0d683"


def test_document() -> None:
    message = only_message("ref_document")
    assert isinstance(message, InboundDocument)
    assert message.document.id == "fc233119-733f-49c-bcbd-b2f68f798e33"
    assert message.document.mime_type == "application/pdf"
    assert message.document.caption == "80skaraokesonglistartist"


def test_voice() -> None:
    message = only_message("ref_voice")
    assert isinstance(message, InboundVoice)
    assert message.type == "voice"
    assert message.voice.id == "463eb7ec-ff4e-4d9b-b110-1879cbd411b2"
    assert message.voice.mime_type == "audio/ogg; codecs=opus"


def test_sticker() -> None:
    message = only_message("ref_sticker")
    assert isinstance(message, InboundSticker)
    assert message.sticker.id == "b1c68f38-8734-4ad3-b4a1-ef0c10d683"
    assert message.sticker.mime_type == "image/webp"
    metadata = message.sticker.metadata
    assert metadata is not None
    assert metadata.sticker_pack_id == "463eb7ec-ff4e-4d9b-b110-1879cbd411b2"
    assert metadata.sticker_pack_name == "Happy New Year"
    assert metadata.sticker_pack_publisher == "Kerry Fisher"
    assert metadata.emojis == ["\U0001f973", "\U0001f389"]
    assert metadata.android_app_store_link is not None
    assert metadata.is_first_party_sticker == 0


def test_reply_has_context() -> None:
    notification = parse(fixture("ref_reply"))
    message = notification.messages[0]
    assert isinstance(message, InboundText)
    assert message.text.body == "Yes, count me in!"
    assert message.id == "gBGGFlA5FpafAgkOuJbRq54qwbM"
    assert message.context is not None
    assert message.context.id == "ABGGFlA5FpafAgo6tHcNmNjXmuSf"
    assert message.context.from_ == "16315558011"


def test_user_changed_number() -> None:
    message = only_message("ref_user_changed_number")
    assert isinstance(message, InboundSystem)
    assert message.type == "system"
    assert message.from_ == "16315558889"
    assert message.system.type == "user_changed_number"
    assert message.system.new_wa_id == "16315558890"
    assert message.system.body is not None
    assert "555-8890" in message.system.body


# -- the reference's statuses ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["ref_status_sent", "ref_status_delivered"])
def test_sent_and_delivered_carry_conversation_and_pricing(name: str) -> None:
    status = only_status(name)
    assert status.id == "ABGGFlA5FpafAgo6tHcNmNjXmuSf"
    assert status.recipient_id == "16315555555"
    assert status.status == name.rsplit("_", 1)[1]
    assert status.type == "message"
    assert status.conversation is not None
    assert status.conversation.id == "65e7904b7fe88fc80628f6f8477c34d3"
    assert status.conversation.expiration_timestamp == 1518694700
    assert status.conversation.origin is not None
    assert status.conversation.origin.type == "marketing"
    assert status.pricing is not None
    assert status.pricing.billable is True
    assert status.pricing.category == "marketing"
    assert status.pricing.pricing_model == "CBP"
    assert status.errors == []
    assert not status.is_retryable_failure


def test_read() -> None:
    status = only_status("ref_status_read")
    assert (status.status, status.timestamp, status.conversation) == ("read", "1518694722", None)


def test_deleted() -> None:
    status = only_status("ref_status_deleted")
    assert (status.status, status.id, status.recipient_id) == (
        "deleted",
        "ABGGFmkiWVVPAgo66iFiii_-TG0-",
        "16692259554",
    )


def test_failed_470_is_not_worth_retrying() -> None:
    status = only_status("ref_status_failed_470")
    assert status.status == "failed"
    assert status.errors[0].code == 470
    assert status.errors[0].title is not None
    assert status.errors[0].title.startswith("Failed to send message because you are outside")
    assert status.errors[0].href is None
    assert not status.is_retryable_failure


def test_failed_with_href() -> None:
    status = only_status("ref_status_failed_470_href")
    assert status.errors[0].code == 470
    assert status.errors[0].href == "https://developers.facebook.com/docs/whatsapp/api/errors/"
    assert status.recipient_id == "6282184083195"


def test_failed_480_is_worth_retrying() -> None:
    status = only_status("ref_status_failed_480")
    assert status.errors[0].code == 480
    assert status.is_retryable_failure


def test_480_on_a_status_that_did_not_fail_is_not_a_retryable_failure() -> None:
    status = Status(
        id="x", status="sent", timestamp="1", errors=only_status("ref_status_failed_480").errors
    )
    assert not status.is_retryable_failure


# -- the other inbound types of the On-Premises format ---------------------------------------


def test_audio_and_video() -> None:
    audio = only_message("wa_audio")
    assert isinstance(audio, InboundAudio)
    assert audio.audio.mime_type == "audio/mpeg"
    video = only_message("wa_video")
    assert isinstance(video, InboundVideo)
    assert video.video.caption == "look at this"


def test_button_reply() -> None:
    message = only_message("wa_button_reply")
    assert isinstance(message, InboundInteractive)
    assert message.interactive.type == "button_reply"
    assert message.interactive.button_reply is not None
    assert message.interactive.button_reply.id == "confirm-yes"
    assert message.interactive.button_reply.title == "Yes"
    assert message.interactive.list_reply is None
    assert message.context is not None
    assert message.context.id == "gBGGFlA5FpafAgkOuJbRq54qwbM"


def test_list_reply() -> None:
    message = only_message("wa_list_reply")
    assert isinstance(message, InboundInteractive)
    reply = message.interactive.list_reply
    assert reply is not None
    assert (reply.id, reply.title, reply.description) == (
        "priority-express",
        "Express",
        "Next day delivery",
    )


def test_flow_reply() -> None:
    message = only_message("wa_flow_reply")
    assert isinstance(message, InboundInteractive)
    assert message.interactive.nfm_reply is not None
    assert message.interactive.nfm_reply.response == {"flow_token": "abc", "rating": 5}


def test_template_quick_reply_button() -> None:
    message = only_message("wa_quick_reply_button")
    assert isinstance(message, InboundButton)
    assert message.type == "button"
    assert message.button.payload == "STOP_PROMOTIONS"
    assert message.button.text == "Stop promotions"


def test_reaction() -> None:
    message = only_message("wa_reaction")
    assert isinstance(message, InboundReaction)
    assert message.reaction.message_id == "gBGGFlA5FpafAgkOuJbRq54qwbM"
    assert message.reaction.emoji == "\U0001f44d"


def test_order() -> None:
    message = only_message("wa_order")
    assert isinstance(message, InboundOrder)
    assert message.order.catalog_id == "2947583928475"
    assert [
        (p.product_retailer_id, p.quantity, p.item_price) for p in message.order.product_items
    ] == [
        ("sku-1", 2, 12.5),
        ("sku-7", 1, 40.0),
    ]


def test_referral() -> None:
    message = only_message("wa_referral")
    assert isinstance(message, InboundText)
    assert message.referral is not None
    assert message.referral.source_type == "ad"
    assert message.referral.headline == "Summer sale"
    assert message.referral.image is not None
    assert message.referral.image.id == "47a7d6f8-1c1e-4b5a-9a43-9a8b7c6d5e4f"


def test_identity_on_a_message_and_identity_change() -> None:
    message = only_message("wa_identity")
    assert message.identity is not None
    assert message.identity.acknowledged is True
    assert message.identity.hash == "Sjvjlx8G6Z0="
    changed = only_message("wa_identity_changed")
    assert isinstance(changed, InboundSystem)
    assert changed.system.type == "customer_identity_changed"
    assert changed.system.customer == "16315551234"


def test_forwarded_and_product_enquiry_context() -> None:
    forwarded = only_message("wa_forwarded")
    assert forwarded.context is not None
    assert forwarded.context.forwarded is True
    assert forwarded.context.frequently_forwarded is False
    enquiry = only_message("wa_product_enquiry")
    assert enquiry.context.referred_product.product_retailer_id == "sku-1"


def test_unsupported_message_keeps_its_errors() -> None:
    message = only_message("wa_unsupported_with_errors")
    assert isinstance(message, UnknownMessage)
    assert message.type == "unknown"
    assert message.reason is None
    assert message.errors[0].code == 501
    assert message.errors[0].details == "Message type is not currently supported"


def test_gateway_errors() -> None:
    notification = parse(fixture("wa_gateway_error"))
    assert notification.errors[0].code == 1014
    assert notification.messages == []
    assert notification.statuses == []


def test_batch_keeps_order() -> None:
    notification = parse(fixture("wa_batch"))
    assert [m.id for m in notification.messages] == ["wamid.batch-1", "wamid.batch-2"]
    assert [type(m) for m in notification.messages] == [InboundText, InboundImage]
    assert notification.statuses[0].status == "delivered"


# -- forward compatibility -------------------------------------------------------------------


def test_a_new_message_type_becomes_unknown_message_with_its_raw_data() -> None:
    body = fixture("wa_future_type")
    message = only_message("wa_future_type")
    assert isinstance(message, UnknownMessage)
    assert message.type == "poll"
    assert message.reason is None
    assert message.id == "ABGGFlA5FpafAgo6tHcNmNjXmuSf"
    assert message.from_ == "16315551234"
    assert message.raw == json.loads(body)["messages"][0]
    assert message.raw["poll"]["options"] == ["pizza", "sushi"]


def test_new_message_types_do_not_hide_the_known_ones_beside_them() -> None:
    body = json.loads(fixture("wa_batch"))
    body["messages"].insert(1, json.loads(fixture("wa_future_type"))["messages"][0])
    notification = parse(json.dumps(body))
    assert [type(m) for m in notification.messages] == [InboundText, UnknownMessage, InboundImage]
    assert notification.statuses[0].status == "delivered"


def test_a_known_type_with_unreadable_content_becomes_unknown_message_saying_why() -> None:
    body = json.loads(fixture("ref_text"))
    body["messages"][0]["text"] = {"body": 42}
    message = parse(body).messages[0]
    assert isinstance(message, UnknownMessage)
    assert message.type == "text"
    assert message.reason is not None
    assert "text.body" in message.reason
    assert message.raw["text"] == {"body": 42}


def test_unknown_fields_are_ignored_everywhere() -> None:
    body = json.loads(fixture("ref_status_sent"))
    body["statuses"][0]["biz_opaque_callback_data"] = "x"
    body["statuses"][0]["pricing"]["type"] = "regular"
    body["brand_new_top_level"] = {"a": 1}
    assert parse(body).statuses[0].pricing is not None


# -- every way of passing a body gives the same notification ---------------------------------


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_bytes_text_and_dict_give_the_same_notification(path: Path) -> None:
    raw = path.read_bytes()
    from_bytes = parse(raw)
    assert isinstance(from_bytes, Notification)
    assert parse(raw.decode()) == from_bytes
    assert parse(bytearray(raw)) == from_bytes
    assert parse(memoryview(raw)) == from_bytes
    assert parse(json.loads(raw)) == from_bytes
    assert notification_from_object(json.loads(raw)) == from_bytes
    assert notification_from_object(from_bytes) is from_bytes


@pytest.mark.parametrize("path", TYPED, ids=lambda p: p.stem)
def test_encoding_gives_the_wire_back(path: Path) -> None:
    assert msgspec.json.decode(msgspec.json.encode(parse(path.read_bytes()))) == json.loads(
        path.read_bytes()
    )


# -- anything that is not a notification -----------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b"null",
        b'"messages"',
        b"{}",
        b'{"object": "whatsapp_business_account", "entry": []}',
        b'{"messages": {"id": "x"}}',
        b'{"messages": [1]}',
        b'{"messages": [{"type": "text", "text": {"body": "no id"}}]}',
        b'{"messages": [{"id": "x", "from": "1", "timestamp": "1"}]}',
        b'{"messages": [{"id": 5, "from": "1", "timestamp": "1", "type": "text"}]}',
        b'{"statuses": [{"id": "x"}]}',
        b'{"statuses": [{"id": "x", "status": "sent", "timestamp": "1", "errors": [{}]}]}',
        b'{"statuses": [{"id": "x", "status": "sent", "timestamp": 1}]}',
        b'{"contacts": "Kerry"}',
        b'{"errors": [{"title": "no code"}]}',
        b'{"messages": [{"text": "\xff"}]}',
        b'{"messages": 1, "note": "\x80"}',
        b"[" * 100_000,
        b'{"messages": ' + b"[" * 100_000,
        '{"messages": "\ud800"}',
    ],
)
def test_what_is_not_a_notification_raises_webhook_parse_error(body: bytes | str) -> None:
    with pytest.raises(WebhookParseError):
        parse(body)


@pytest.mark.parametrize("obj", [None, 1, "x", [], [{}], {}, {"entry": []}, object()])
def test_objects_that_are_not_notifications_raise_webhook_parse_error(obj: Any) -> None:
    with pytest.raises(WebhookParseError):
        notification_from_object(obj)
    with pytest.raises(WebhookParseError):
        parse(obj)


def test_empty_lists_are_a_notification_with_nothing_in_it() -> None:
    assert parse(b'{"messages": [], "statuses": []}') == Notification()


# -- whatever arrives, only WebhookParseError escapes ----------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=30,
)

# Values shaped like notifications, so that the search reaches deep into the parser.
envelope_keys = st.sampled_from(
    [
        "id",
        "from",
        "timestamp",
        "type",
        "text",
        "body",
        "image",
        "context",
        "errors",
        "status",
        "statuses",
        "messages",
        "contacts",
        "code",
        "interactive",
        "button_reply",
    ]
)
shaped_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=8)
    | st.sampled_from(["text", "image", "interactive", "sticker", "failed", "poll"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(envelope_keys, children, max_size=6)
    ),
    max_leaves=40,
)
notification_like = st.fixed_dictionaries(
    {},
    optional={
        "messages": st.lists(st.dictionaries(envelope_keys, shaped_values, max_size=6), max_size=3)
        | shaped_values,
        "statuses": st.lists(st.dictionaries(envelope_keys, shaped_values, max_size=6), max_size=3)
        | shaped_values,
        "contacts": shaped_values,
        "errors": shaped_values,
    },
)


def _parse_or_webhook_parse_error(body: Any) -> None:
    try:
        notification = parse(body)
    except WebhookParseError:
        return
    assert isinstance(notification, Notification)


# Nested values are costly to draw (not to parse): 150 and 100 of them, with explicit examples
# for the edges the search reached only now and then, reach every line and branch of the parser
# that 400 of each did, in a quarter of the time.
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
@example("not JSON")
@example({"messages": 1, "then": float("inf")})  # a wrong shape, then json.dumps's "Infinity"
def test_random_json_values_raise_only_webhook_parse_error(value: Any) -> None:
    _parse_or_webhook_parse_error(value)
    _parse_or_webhook_parse_error(json.dumps(value))
    _parse_or_webhook_parse_error(json.dumps(value).encode())


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(notification_like)
@example({"messages": [0]})  # a message that is not an object
@example({"statuses": [{"id": "gBEG1", "status": "sent", "timestamp": "1"}]})  # all known
def test_random_notification_like_values_raise_only_webhook_parse_error(value: Any) -> None:
    _parse_or_webhook_parse_error(value)
    _parse_or_webhook_parse_error(json.dumps(value).encode())


@settings(max_examples=400)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_webhook_parse_error(body: bytes) -> None:
    _parse_or_webhook_parse_error(body)


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_random_text_raises_only_webhook_parse_error(body: str) -> None:
    _parse_or_webhook_parse_error(body)


@settings(max_examples=200)
@given(st.sampled_from(ALL), st.data())
def test_mangled_fixtures_raise_only_webhook_parse_error(path: Path, data: st.DataObject) -> None:
    raw = path.read_bytes()
    cut = data.draw(st.integers(0, len(raw)))
    junk = data.draw(st.binary(max_size=8))
    _parse_or_webhook_parse_error(raw[:cut] + junk + raw[cut:])


def test_parse_does_not_import_aiohttp_web() -> None:
    import subprocess

    code = (
        "import sys, ivowaba.webhooks as w\n"
        "w.parse(b'{\"messages\": []}')\n"
        "print('aiohttp.web' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

"""Webhook parse throughput: ``ivowaba.webhooks.parse`` against ``json.loads`` + dataclasses and
pydantic v2, on the same bytes, in both shapes: the reference's notification payloads
(``tests/fixtures/notifications/ref_*.json``: every inbound message and status example), and
their WhatsApp Cloud API twins (``tests/fixtures/notifications_cloud/ref_*.json``: the same
content in the ``{"object": ..., "entry": [...]}`` envelope, with ``wamid.`` ids), as compact
JSON the way a server sends it (``--as-stored`` keeps the files' indentation).

    python benchmarks/bench_parse.py [--seconds 0.2] [--repeat 5] [--json results.json]

Each contender turns the body bytes into typed objects with the wire's nesting (messages by
``type``, ``from`` as ``from_``, kebab-case sticker metadata; the envelope's entries, changes
and values for a Cloud body, which ``parse`` also flattens into one notification). The
dataclass contender converts with converters compiled once per class (the fastest plain-Python
way, with no type checks at all); pydantic uses ``TypeAdapter.validate_json`` with a
discriminated union, its fastest path.
Reported: the best of ``--repeat`` timings, in microseconds per body, and each contender's time
as a multiple of ivowaba's (``pydantic x 3.0`` means ivowaba parses 3 times as fast).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import msgspec  # noqa: E402

from ivowaba.webhooks import parse  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
PAYLOADS = sorted((FIXTURES / "notifications").glob("ref_*.json"))
CLOUD_TWINS = sorted((FIXTURES / "notifications_cloud").glob("ref_*.json"))

# -- json.loads + dataclasses ----------------------------------------------------------------


def wire(name: str) -> Any:
    return field(default=None, metadata={"wire": name})


@dataclass
class DProfile:
    name: str | None = None


@dataclass
class DContact:
    wa_id: str
    profile: DProfile | None = None


@dataclass
class DErrorData:
    details: str | None = None


@dataclass
class DError:
    code: int
    title: str | None = None
    message: str | None = None
    href: str | None = None
    details: str | None = None
    error_data: DErrorData | None = None


@dataclass
class DContext:
    id: str | None = None
    from_: str | None = wire("from")


@dataclass
class DMedia:
    id: str
    mime_type: str | None = None
    sha256: str | None = None
    caption: str | None = None
    filename: str | None = None
    file: str | None = None


@dataclass
class DStickerMetadata:
    sticker_pack_id: str | None = wire("sticker-pack-id")
    sticker_pack_name: str | None = wire("sticker-pack-name")
    sticker_pack_publisher: str | None = wire("sticker-pack-publisher")
    emojis: list[str] | None = None
    ios_app_store_link: str | None = wire("ios-app-store-link")
    android_app_store_link: str | None = wire("android-app-store-link")
    is_first_party_sticker: int | None = wire("is-first-party-sticker")


@dataclass
class DSticker(DMedia):
    metadata: DStickerMetadata | None = None


@dataclass
class DText:
    body: str


@dataclass
class DLocation:
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None
    url: str | None = None


@dataclass
class DCardName:
    formatted_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None


@dataclass
class DCardAddress:
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None
    type: str | None = None


@dataclass
class DCardEmail:
    email: str | None = None
    type: str | None = None


@dataclass
class DCardIM:
    service: str | None = None
    user_id: str | None = None


@dataclass
class DCardOrg:
    company: str | None = None


@dataclass
class DCardPhone:
    phone: str | None = None
    type: str | None = None
    wa_id: str | None = None


@dataclass
class DCardUrl:
    url: str | None = None
    type: str | None = None


@dataclass
class DCard:
    name: DCardName | None = None
    addresses: list[DCardAddress] | None = None
    birthday: str | None = None
    emails: list[DCardEmail] | None = None
    ims: list[DCardIM] | None = None
    org: DCardOrg | None = None
    phones: list[DCardPhone] | None = None
    urls: list[DCardUrl] | None = None


@dataclass
class DSystem:
    body: str | None = None
    type: str | None = None
    new_wa_id: str | None = None


@dataclass
class DMessage:
    id: str
    from_: str = wire("from")
    timestamp: str | None = None
    type: str | None = None
    context: DContext | None = None
    errors: list[DError] | None = None


@dataclass
class DTextMessage(DMessage):
    text: DText | None = None


@dataclass
class DImageMessage(DMessage):
    image: DMedia | None = None


@dataclass
class DDocumentMessage(DMessage):
    document: DMedia | None = None


@dataclass
class DVoiceMessage(DMessage):
    voice: DMedia | None = None


@dataclass
class DStickerMessage(DMessage):
    sticker: DSticker | None = None


@dataclass
class DLocationMessage(DMessage):
    location: DLocation | None = None


@dataclass
class DContactsMessage(DMessage):
    contacts: list[DCard] | None = None


@dataclass
class DSystemMessage(DMessage):
    system: DSystem | None = None


@dataclass
class DOrigin:
    type: str | None = None


@dataclass
class DConversation:
    id: str | None = None
    expiration_timestamp: int | None = None
    origin: DOrigin | None = None


@dataclass
class DPricing:
    billable: bool | None = None
    category: str | None = None
    pricing_model: str | None = None


@dataclass
class DStatus:
    id: str
    status: str
    timestamp: str
    recipient_id: str | None = None
    type: str | None = None
    conversation: DConversation | None = None
    pricing: DPricing | None = None
    errors: list[DError] | None = None


@dataclass
class DNotification:
    contacts: list[DContact] = field(default_factory=list)
    messages: list[DMessage] = field(default_factory=list)
    statuses: list[DStatus] = field(default_factory=list)
    errors: list[DError] = field(default_factory=list)


@dataclass
class DMetadata:
    display_phone_number: str | None = None
    phone_number_id: str | None = None


@dataclass
class DValue(DNotification):
    messaging_product: str | None = None
    metadata: DMetadata | None = None


@dataclass
class DChange:
    field: str
    value: DValue


@dataclass
class DEntry:
    changes: list[DChange]
    id: str | None = None


@dataclass
class DEnvelope:
    object: str
    entry: list[DEntry]


D_MESSAGES: dict[str, type[DMessage]] = {
    "text": DTextMessage,
    "image": DImageMessage,
    "document": DDocumentMessage,
    "voice": DVoiceMessage,
    "sticker": DStickerMessage,
    "location": DLocationMessage,
    "contacts": DContactsMessage,
    "system": DSystemMessage,
}
_converters: dict[Any, Callable[[Any], Any]] = {}


def converter(tp: Any) -> Callable[[Any], Any]:
    """A function turning decoded JSON into ``tp``, compiled once per type."""
    if tp in _converters:
        return _converters[tp]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    convert: Callable[[Any], Any]
    if tp is DMessage:  # by the wire's ``type``
        by_type = {name: converter(cls) for name, cls in D_MESSAGES.items()}

        def convert(value: Any) -> Any:
            return by_type[value["type"]](value)
    elif dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        plan = [
            (f.name, f.metadata.get("wire", f.name), converter(hints[f.name]))
            for f in dataclasses.fields(tp)
        ]
        cls = tp

        def convert(value: Any) -> Any:
            return cls(**{name: conv(value[key]) for name, key, conv in plan if key in value})
    elif origin is list:
        item = converter(args[0])

        def convert(value: Any) -> Any:
            return [item(v) for v in value]
    elif origin is Union or origin is types.UnionType:
        inner = converter(next(a for a in args if a is not type(None)))

        def convert(value: Any) -> Any:
            return None if value is None else inner(value)
    else:  # str, int, float, bool: taken as they come, unchecked

        def convert(value: Any) -> Any:
            return value

    _converters[tp] = convert
    return convert


def parse_dataclasses(body: bytes) -> DNotification:
    result: DNotification = converter(DNotification)(json.loads(body))
    return result


def parse_dataclasses_cloud(body: bytes) -> DEnvelope:
    result: DEnvelope = converter(DEnvelope)(json.loads(body))
    return result


# -- pydantic v2 -----------------------------------------------------------------------------


def pydantic_parsers() -> tuple[Callable[[bytes], Any], Callable[[bytes], Any]] | None:
    """The reference's format's parser and the Cloud API envelope's."""
    try:
        from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
    except ImportError:
        return None

    class PProfile(BaseModel):
        name: str | None = None

    class PContact(BaseModel):
        wa_id: str
        profile: PProfile | None = None

    class PErrorData(BaseModel):
        details: str | None = None

    class PError(BaseModel):
        code: int
        title: str | None = None
        message: str | None = None
        href: str | None = None
        details: str | None = None
        error_data: PErrorData | None = None

    class PContext(BaseModel):
        id: str | None = None
        from_: str | None = Field(default=None, alias="from")

    class PMedia(BaseModel):
        id: str
        mime_type: str | None = None
        sha256: str | None = None
        caption: str | None = None
        filename: str | None = None
        file: str | None = None

    class PStickerMetadata(BaseModel):
        model_config = ConfigDict(alias_generator=lambda name: name.replace("_", "-"))
        sticker_pack_id: str | None = None
        sticker_pack_name: str | None = None
        sticker_pack_publisher: str | None = None
        emojis: list[str] | None = None
        ios_app_store_link: str | None = None
        android_app_store_link: str | None = None
        is_first_party_sticker: int | None = None

    class PSticker(PMedia):
        metadata: PStickerMetadata | None = None

    class PText(BaseModel):
        body: str

    class PLocation(BaseModel):
        latitude: float
        longitude: float
        name: str | None = None
        address: str | None = None
        url: str | None = None

    class PCardName(BaseModel):
        formatted_name: str | None = None
        first_name: str | None = None
        last_name: str | None = None

    class PCardAddress(BaseModel):
        street: str | None = None
        city: str | None = None
        state: str | None = None
        zip: str | None = None
        country: str | None = None
        country_code: str | None = None
        type: str | None = None

    class PCardEmail(BaseModel):
        email: str | None = None
        type: str | None = None

    class PCardIM(BaseModel):
        service: str | None = None
        user_id: str | None = None

    class PCardOrg(BaseModel):
        company: str | None = None

    class PCardPhone(BaseModel):
        phone: str | None = None
        type: str | None = None
        wa_id: str | None = None

    class PCardUrl(BaseModel):
        url: str | None = None
        type: str | None = None

    class PCard(BaseModel):
        name: PCardName | None = None
        addresses: list[PCardAddress] | None = None
        birthday: str | None = None
        emails: list[PCardEmail] | None = None
        ims: list[PCardIM] | None = None
        org: PCardOrg | None = None
        phones: list[PCardPhone] | None = None
        urls: list[PCardUrl] | None = None

    class PSystem(BaseModel):
        body: str | None = None
        type: str | None = None
        new_wa_id: str | None = None

    class PMessage(BaseModel):
        id: str
        from_: str = Field(alias="from")
        timestamp: str
        context: PContext | None = None
        errors: list[PError] = []

    class PTextMessage(PMessage):
        type: Literal["text"]
        text: PText

    class PImageMessage(PMessage):
        type: Literal["image"]
        image: PMedia

    class PDocumentMessage(PMessage):
        type: Literal["document"]
        document: PMedia

    class PVoiceMessage(PMessage):
        type: Literal["voice"]
        voice: PMedia

    class PStickerMessage(PMessage):
        type: Literal["sticker"]
        sticker: PSticker

    class PLocationMessage(PMessage):
        type: Literal["location"]
        location: PLocation

    class PContactsMessage(PMessage):
        type: Literal["contacts"]
        contacts: list[PCard]

    class PSystemMessage(PMessage):
        type: Literal["system"]
        system: PSystem

    class POrigin(BaseModel):
        type: str | None = None

    class PConversation(BaseModel):
        id: str | None = None
        expiration_timestamp: int | None = None
        origin: POrigin | None = None

    class PPricing(BaseModel):
        billable: bool | None = None
        category: str | None = None
        pricing_model: str | None = None

    class PStatus(BaseModel):
        id: str
        status: str
        timestamp: str
        recipient_id: str | None = None
        type: str | None = None
        conversation: PConversation | None = None
        pricing: PPricing | None = None
        errors: list[PError] = []

    PAnyMessage = Annotated[
        PTextMessage
        | PImageMessage
        | PDocumentMessage
        | PVoiceMessage
        | PStickerMessage
        | PLocationMessage
        | PContactsMessage
        | PSystemMessage,
        Field(discriminator="type"),
    ]

    class PNotification(BaseModel):
        contacts: list[PContact] = []
        messages: list[PAnyMessage] = []
        statuses: list[PStatus] = []
        errors: list[PError] = []

    class PMetadata(BaseModel):
        display_phone_number: str | None = None
        phone_number_id: str | None = None

    class PValue(PNotification):
        messaging_product: str | None = None
        metadata: PMetadata | None = None

    class PChange(BaseModel):
        field: str
        value: PValue

    class PEntry(BaseModel):
        id: str | None = None
        changes: list[PChange]

    class PEnvelope(BaseModel):
        object: str
        entry: list[PEntry]

    return TypeAdapter(PNotification).validate_json, TypeAdapter(PEnvelope).validate_json


# -- timing ----------------------------------------------------------------------------------


def best_us_per_call(
    func: Callable[[bytes], Any], body: bytes, seconds: float, repeat: int
) -> float:
    """The best of ``repeat`` runs of about ``seconds`` each, in microseconds per call."""

    def run(loops: int) -> float:
        started = time.perf_counter()
        for _ in range(loops):
            func(body)
        return time.perf_counter() - started

    loops = 1
    while (elapsed := run(loops)) < 0.02:
        loops *= 2
    loops = max(1, round(loops * seconds / elapsed))
    return min(run(loops) for _ in range(repeat)) / loops * 1e6


def same_content(body: bytes, *results: Any) -> None:
    """Every contender read the same ids, types and texts: the race is fair."""

    def values(n: Any) -> list[Any]:
        """The notification, or the values of a Cloud envelope's changes."""
        if hasattr(n, "entry"):
            return [change.value for entry in n.entry for change in entry.changes]
        return [n]

    def summary(n: Any) -> list[Any]:
        found: list[Any] = []
        for v in values(n):
            found += [(m.id, m.from_, getattr(m, "text", None) and m.text.body) for m in v.messages]
        for v in values(n):
            found += [(s.id, s.status, [e.code for e in s.errors or []]) for s in v.statuses]
        return found

    expected = summary(results[0])
    for other in results[1:]:
        if summary(other) != expected:
            raise SystemExit(f"contenders disagree on {body[:60]!r}")


def payload_bytes(path: Path, as_stored: bool) -> bytes:
    """A payload's bytes: compact JSON, as the gateway sends it, unless ``as_stored``."""
    raw = path.read_bytes()
    if as_stored:
        return raw
    return json.dumps(json.loads(raw), separators=(",", ":"), ensure_ascii=False).encode()


def race(
    contenders: dict[str, Callable[[bytes], Any]],
    bodies: dict[str, bytes],
    args: argparse.Namespace,
    title: str,
) -> dict[str, Any]:
    """Time every contender on every body; print the table and return the figures."""
    for body in bodies.values():
        same_content(body, *(func(body) for func in contenders.values()))
    timings: dict[str, dict[str, float]] = {}
    for name, body in bodies.items():
        timings[name] = {
            who: best_us_per_call(func, body, args.seconds, args.repeat)
            for who, func in contenders.items()
        }
    total = {who: sum(t[who] for t in timings.values()) for who in contenders}

    others = [who for who in contenders if who != "ivowaba"]
    print(f"\n{title}")
    header = f"{'payload':<28}" + "".join(f"{who + ' µs':>16}" for who in contenders)
    header += "".join(f"{who + ' x':>16}" for who in others)
    print(header)
    rows = [*timings.items(), (f"all {len(bodies)} payloads", total)]
    for name, row in rows:
        line = f"{name:<28}" + "".join(f"{row[who]:>16.2f}" for who in contenders)
        line += "".join(f"{row[who] / row['ivowaba']:>16.1f}" for who in others)
        print(line)
    ratios = {who: total[who] / total["ivowaba"] for who in others}
    lowest = {who: min(t[who] / t["ivowaba"] for t in timings.values()) for who in others}
    print(
        f"\nivowaba parses {title} "
        + ", ".join(
            f"{ratios[who]:.1f}x as fast as {who} (at least {lowest[who]:.1f}x on each)"
            for who in others
        )
        + f"; {1e6 / total['ivowaba'] * len(bodies):,.0f} bodies/s."
    )
    return {
        "payloads": sorted(bodies),
        "microseconds_per_body": timings,
        "microseconds_all_payloads": total,
        "times_slower_than_ivowaba": ratios,
        "lowest_times_slower_on_one_payload": lowest,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=0.2, help="time per measurement")
    parser.add_argument("--repeat", type=int, default=5, help="measurements, the best is kept")
    parser.add_argument("--json", dest="json_path", help="also write the results here")
    parser.add_argument(
        "--as-stored",
        action="store_true",
        help="use the fixture files' indented JSON instead of the compact JSON a server sends",
    )
    args = parser.parse_args()

    reference: dict[str, Callable[[bytes], Any]] = {
        "ivowaba": parse,
        "dataclasses": parse_dataclasses,
    }
    cloud: dict[str, Callable[[bytes], Any]] = {
        "ivowaba": parse,
        "dataclasses": parse_dataclasses_cloud,
    }
    pydantic = pydantic_parsers()
    if pydantic is not None:
        reference["pydantic"], cloud["pydantic"] = pydantic
    else:
        print("pydantic is not installed (pip install 'ivowaba[bench]'): its column is left out")

    results = race(
        reference,
        {path.stem: payload_bytes(path, args.as_stored) for path in PAYLOADS},
        args,
        "the reference's notifications",
    )
    cloud_results = race(
        cloud,
        {path.stem: payload_bytes(path, args.as_stored) for path in CLOUD_TWINS},
        args,
        "their Cloud API twins",
    )

    if args.json_path:
        document = {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "versions": versions(),
            "compact_json": not args.as_stored,
            **results,
            "cloud_twins": cloud_results,
        }
        Path(args.json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_path).write_text(json.dumps(document, indent=2) + "\n")


def versions() -> dict[str, str]:
    found = {"msgspec": msgspec.__version__}
    try:
        import pydantic

        found["pydantic"] = pydantic.VERSION
    except ImportError:
        pass
    return found


if __name__ == "__main__":
    main()

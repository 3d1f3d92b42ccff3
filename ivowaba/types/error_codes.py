"""WhatsApp error codes of both families, what each means and what to do: the one table.

A failed status (``status.errors[0].code``) or a gateway error carries a code of one of two
families: the On-Premises API's, which the IVOWBA reference documents (470, 480, 1026, ...),
and the Cloud API's, which every provider runs on since October 2025 (131047, 131026,
130429, ...). :class:`ErrorCode` names each code this SDK knows, with WhatsApp's ``title``,
its ``meaning``, the ``action`` to take and the :class:`Remedy` it calls for::

    from ivowaba.types.error_codes import ErrorCode, Remedy

    code = ErrorCode.lookup(status.errors[0].code)   # None for a code not in the table
    if code is not None and code.remedy is Remedy.SEND_TEMPLATE:
        ...                                          # 470 / 131047: the window is closed

    status.errors[0].retryable      # True when resending the same message later can help

| remedy | codes (On-Premises, Cloud) |
|---|---|
| ``SEND_TEMPLATE``: the 24-hour window is closed | 470; 131047 |
| ``RESEND_LATER``: a passing fault | 480, 1011; 131000, 131016, 131057 |
| ``SLOW_DOWN``: a rate limit, then resend | 1015, 1016; 4, 80007, 130429, 131056 |
| ``OPT_OUT``: no more marketing to them | 131050 |
| ``DO_NOT_RESEND`` (soon) | 471, 1026; 131026, 131048, 131049 |
| ``FIX_MESSAGE`` | 501; 131008, 131009, 131021, 131051, 131053, 132000-132016 |
| ``FIX_ACCOUNT`` | 131031, 131042, 133010 |

The sets below are derived from the table, for code that sorts failures by cause (campaign
outcomes, ``ivowaba bulk --retry-failed``): :data:`RETRYABLE_ERROR_CODES`,
:data:`WINDOW_CLOSED_ERROR_CODES`, :data:`OPT_OUT_ERROR_CODES`.
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = [
    "OPT_OUT_ERROR_CODES",
    "RETRYABLE_ERROR_CODES",
    "WINDOW_CLOSED_ERROR_CODES",
    "ErrorCode",
    "Remedy",
]


class Remedy(str, enum.Enum):
    """What a failure calls for; each :class:`ErrorCode` has one."""

    #: A passing fault on WhatsApp's side or the customer's: the same message may go through
    #: if sent again in a few minutes.
    RESEND_LATER = "resend_later"
    #: A rate limit: send more slowly, then send the same message again.
    SLOW_DOWN = "slow_down"
    #: The customer's 24-hour window is closed: only a template message reaches them.
    SEND_TEMPLATE = "send_template"
    #: The customer stopped marketing messages from the business: treat it as an opt-out.
    OPT_OUT = "opt_out"
    #: Sending it again would fail the same way, or hurt the number's quality: do not, at
    #: least not soon.
    DO_NOT_RESEND = "do_not_resend"
    #: The message itself is wrong (a parameter, a template, a type): change it first.
    FIX_MESSAGE = "fix_message"
    #: The business account or number needs attention (payment, lock, registration): no
    #: message goes until it is fixed.
    FIX_ACCOUNT = "fix_account"

    @property
    def retryable(self) -> bool:
        """True when sending the same message again later can help."""
        return self in (Remedy.RESEND_LATER, Remedy.SLOW_DOWN)


class ErrorCode(enum.IntEnum):
    """A WhatsApp error code this SDK knows: an ``int`` (``ErrorCode.WINDOW_CLOSED == 131047``)
    with WhatsApp's ``title``, its ``meaning``, the ``action`` to take and its ``remedy``.

    ``ErrorCode.lookup(code)`` finds the entry of any code, ``None`` for one not in the table.
    Names ending in ``_ON_PREMISES`` are the On-Premises API's codes, which the IVOWBA
    reference documents; the others are the Cloud API's.
    """

    _value_: int
    title: str
    meaning: str
    action: str
    remedy: Remedy

    def __new__(cls, code: int, title: str, meaning: str, action: str, remedy: Remedy) -> ErrorCode:
        member = int.__new__(cls, code)
        member._value_ = code
        member.title = title
        member.meaning = meaning
        member.action = action
        member.remedy = remedy
        return member

    # -- the customer service window ----------------------------------------------------------
    WINDOW_CLOSED_ON_PREMISES = (
        470,
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number",
        "more than 24 hours have passed since the customer last wrote",
        "send a template message instead",
        Remedy.SEND_TEMPLATE,
    )
    WINDOW_CLOSED = (
        131047,
        "Re-engagement message",
        "more than 24 hours have passed since the customer last wrote",
        "send a template message instead",
        Remedy.SEND_TEMPLATE,
    )
    # -- passing faults: the same message may go through later --------------------------------
    IDENTITY_CHANGED = (
        480,
        "Failed to send message since we detect an identity change of the contact",
        "the customer's identity changed (a new phone or a reinstall)",
        "send the message again in a few minutes",
        Remedy.RESEND_LATER,
    )
    SOMETHING_WENT_WRONG = (
        131000,
        "Something went wrong",
        "an unknown error on WhatsApp's side",
        "send the message again later",
        Remedy.RESEND_LATER,
    )
    SERVICE_UNAVAILABLE = (
        131016,
        "Service unavailable",
        "WhatsApp is temporarily unavailable",
        "send the message again later",
        Remedy.RESEND_LATER,
    )
    ACCOUNT_IN_MAINTENANCE = (
        131057,
        "Account in maintenance mode",
        "the business account is in maintenance mode (e.g. a throughput upgrade)",
        "send the message again in a few minutes",
        Remedy.RESEND_LATER,
    )
    SERVICE_NOT_READY_ON_PREMISES = (
        1011,
        "Service not ready",
        "the WhatsApp service is not ready yet",
        "send the message again later",
        Remedy.RESEND_LATER,
    )
    # -- rate limits: slow down, then resend -------------------------------------------------
    THROUGHPUT_LIMIT = (
        130429,
        "Rate limit hit",
        "the number's message throughput was reached",
        "send more slowly, then send the message again",
        Remedy.SLOW_DOWN,
    )
    PAIR_RATE_LIMIT = (
        131056,
        "(Business Account, Consumer Account) pair rate limit hit",
        "too many messages to the same customer in a short time",
        "wait before sending this customer anything more, then send it again",
        Remedy.SLOW_DOWN,
    )
    ACCOUNT_RATE_LIMIT = (
        80007,
        "Rate limit issues",
        "the business account's rate limit was reached",
        "send more slowly, then send the message again",
        Remedy.SLOW_DOWN,
    )
    TOO_MANY_API_CALLS = (
        4,
        "API Too Many Calls",
        "the app's rate limit was reached",
        "send more slowly, then send the message again",
        Remedy.SLOW_DOWN,
    )
    TOO_MANY_REQUESTS_ON_PREMISES = (
        1015,
        "Too many requests",
        "the rate limit was reached",
        "send more slowly, then send the message again",
        Remedy.SLOW_DOWN,
    )
    SYSTEM_OVERLOADED_ON_PREMISES = (
        1016,
        "System overloaded",
        "the WhatsApp service is overloaded",
        "send more slowly, then send the message again",
        Remedy.SLOW_DOWN,
    )
    # -- the customer said no ------------------------------------------------------------------
    MARKETING_OPT_OUT = (
        131050,
        "Unable to deliver the message",
        "the customer chose to stop receiving marketing messages from the business",
        "treat it as an opt-out: send them no more marketing messages",
        Remedy.OPT_OUT,
    )
    # -- not delivered, and a resend will not help (soon) --------------------------------------
    UNDELIVERABLE = (
        131026,
        "Message Undeliverable",
        "the number is not on WhatsApp, has not accepted the terms, or runs an old version",
        "do not resend; reach the customer another way",
        Remedy.DO_NOT_RESEND,
    )
    UNDELIVERABLE_ON_PREMISES = (
        1026,
        "Receiver Incapable",
        "the number is not on WhatsApp, or cannot receive this message",
        "do not resend; reach the customer another way",
        Remedy.DO_NOT_RESEND,
    )
    ECOSYSTEM_ENGAGEMENT = (
        131049,
        "This message was not delivered to maintain healthy ecosystem engagement",
        "WhatsApp limits how many marketing messages a customer gets",
        "do not resend soon; try again in a day or more",
        Remedy.DO_NOT_RESEND,
    )
    SPAM_RATE_LIMIT = (
        131048,
        "Spam rate limit hit",
        "the number's messages are restricted: too many were blocked or flagged as spam",
        "do not resend soon; improve the messages' quality (see the number's quality rating)",
        Remedy.DO_NOT_RESEND,
    )
    SPAM_RATE_LIMIT_ON_PREMISES = (
        471,
        "Spam Rate limit hit",
        "the number's messages are restricted: too many were blocked or flagged as spam",
        "do not resend soon; improve the messages' quality (see the number's quality rating)",
        Remedy.DO_NOT_RESEND,
    )
    # -- the message is wrong ------------------------------------------------------------------
    REQUIRED_PARAMETER_MISSING = (
        131008,
        "Required parameter is missing",
        "the request lacks a required parameter",
        "add the missing parameter, then send it",
        Remedy.FIX_MESSAGE,
    )
    INVALID_PARAMETER = (
        131009,
        "Parameter value is not valid",
        "a parameter's value is not valid",
        "correct the value, then send it",
        Remedy.FIX_MESSAGE,
    )
    RECIPIENT_IS_SENDER = (
        131021,
        "Recipient cannot be sender",
        "the message was addressed to the business's own number",
        "send it to another number",
        Remedy.FIX_MESSAGE,
    )
    UNSUPPORTED_MESSAGE_TYPE = (
        131051,
        "Unsupported message type",
        "the message type is not supported",
        "send a supported type (a customer's: ask them to send it another way)",
        Remedy.FIX_MESSAGE,
    )
    UNKNOWN_MESSAGE_TYPE_ON_PREMISES = (
        501,
        "Unknown message type",
        "the message type is not supported",
        "send a supported type (a customer's: ask them to send it another way)",
        Remedy.FIX_MESSAGE,
    )
    MEDIA_UPLOAD_ERROR = (
        131053,
        "Media upload error",
        "the media could not be uploaded (its type or size)",
        "check the file's type and size, then send it",
        Remedy.FIX_MESSAGE,
    )
    TEMPLATE_PARAMETER_COUNT_MISMATCH = (
        132000,
        "Template Param Count Mismatch",
        "the number of parameters differs from the template's placeholders",
        "give one value per placeholder, then send it",
        Remedy.FIX_MESSAGE,
    )
    TEMPLATE_NOT_FOUND = (
        132001,
        "Template does not exist",
        "no approved template of that name in that language",
        "check the template's name and language, then send it",
        Remedy.FIX_MESSAGE,
    )
    TEMPLATE_TEXT_TOO_LONG = (
        132005,
        "Template Hydrated Text Too Long",
        "the template's text with its values filled in is too long",
        "shorten the values, then send it",
        Remedy.FIX_MESSAGE,
    )
    TEMPLATE_POLICY_VIOLATION = (
        132007,
        "Template Format Character Policy Violated",
        "the template's content breaks WhatsApp's policy",
        "change the template, then send it",
        Remedy.FIX_MESSAGE,
    )
    TEMPLATE_PARAMETER_FORMAT_MISMATCH = (
        132012,
        "Template Parameter Format Mismatch",
        "a parameter's format differs from the template's",
        "correct the parameter, then send it",
        Remedy.FIX_MESSAGE,
    )
    TEMPLATE_PAUSED = (
        132015,
        "Template is Paused",
        "the template was paused for low quality",
        "send another template, or edit this one",
        Remedy.FIX_MESSAGE,
    )
    TEMPLATE_DISABLED = (
        132016,
        "Template is Disabled",
        "the template was disabled for low quality",
        "send another template",
        Remedy.FIX_MESSAGE,
    )
    # -- the account needs attention ----------------------------------------------------------
    ACCOUNT_LOCKED = (
        131031,
        "Business Account locked",
        "the business account is locked (a policy violation, or data that failed a check)",
        "contact the provider; nothing goes until it is unlocked",
        Remedy.FIX_ACCOUNT,
    )
    PAYMENT_ISSUE = (
        131042,
        "Business eligibility payment issue",
        "a problem with the account's payment method",
        "fix the payment method; nothing goes until then",
        Remedy.FIX_ACCOUNT,
    )
    NUMBER_NOT_REGISTERED = (
        133010,
        "Phone number Not Registered",
        "the business number is not registered on WhatsApp",
        "register the number; nothing goes until then",
        Remedy.FIX_ACCOUNT,
    )

    @property
    def retryable(self) -> bool:
        """True when sending the same message again later can help (see :class:`Remedy`)."""
        return self.remedy.retryable

    @classmethod
    def lookup(cls, code: int | None) -> ErrorCode | None:
        """The entry of ``code``; ``None`` for ``None`` or a code not in the table."""
        return cls._value2member_map_.get(code) if code is not None else None  # type: ignore[return-value]

    def describe(self) -> str:
        """One line: ``"131047 WINDOW_CLOSED: more than 24 hours ... ; send a template ..."``."""
        return f"{self.value} {self.name}: {self.meaning}; {self.action}"

    def __repr__(self) -> str:
        return f"<ErrorCode.{self.name}: {self.value}, {self.remedy.value}>"


def _codes(*remedies: Remedy) -> frozenset[int]:
    return frozenset(int(code) for code in ErrorCode if code.remedy in remedies)


#: Codes after which sending the same message again later may succeed: a passing fault (480,
#: 131000, 131016, ...) or a rate limit (130429, 131056, ...).
RETRYABLE_ERROR_CODES: Final = _codes(Remedy.RESEND_LATER, Remedy.SLOW_DOWN)
#: Codes of a free-form message sent outside the customer's 24-hour window (470, 131047):
#: only a template reaches them.
WINDOW_CLOSED_ERROR_CODES: Final = _codes(Remedy.SEND_TEMPLATE)
#: Codes by which the customer opted out of the business's marketing messages (131050).
OPT_OUT_ERROR_CODES: Final = _codes(Remedy.OPT_OUT)

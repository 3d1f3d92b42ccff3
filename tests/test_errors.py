"""Every error class, raised by what raises it in real use."""

from __future__ import annotations

import pytest

import ivowaba
from ivowaba.testing import Emulator
from tests.conftest import API_KEY


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, ivowaba.BadRequestError),
        (401, ivowaba.AuthenticationError),
        (403, ivowaba.PermissionDeniedError),
        (404, ivowaba.NotFoundError),
        (409, ivowaba.APIStatusError),
        (422, ivowaba.UnprocessableEntityError),
        (429, ivowaba.RateLimitError),
        (500, ivowaba.ServerError),
        (503, ivowaba.ServerError),
    ],
)
async def test_status_errors_are_typed(
    aclient: ivowaba.AsyncClient, emu: Emulator, status: int, error: type[Exception]
) -> None:
    emu.fail_next(
        "*", status=status, body={"message": f"status {status}"}, headers={"X-Trace": "t-1"}
    )
    with pytest.raises(error) as caught:
        await aclient.messages.send_text("628123456789", "hi")
    raised = caught.value
    assert type(raised) is error
    assert isinstance(raised, ivowaba.APIStatusError)
    assert raised.status_code == status
    assert raised.message == f"status {status}"
    assert raised.body == {"message": f"status {status}"}
    assert raised.headers["X-Trace"] == "t-1"
    assert str(raised) == f"{status}: status {status}"


async def test_laravel_validation_errors(aclient: ivowaba.AsyncClient, emu: Emulator) -> None:
    emu.fail_next(
        "*",
        status=422,
        body={
            "message": "The given data was invalid.",
            "errors": {"wa_id": ["The wa_id field is required."], "text": ["Too long."]},
        },
    )
    with pytest.raises(ivowaba.UnprocessableEntityError) as caught:
        await aclient.messages.send_text("628123456789", "hi")
    assert caught.value.errors == {
        "wa_id": ["The wa_id field is required."],
        "text": ["Too long."],
    }
    assert "wa_id: The wa_id field is required." in caught.value.message


async def test_whatsapp_shaped_errors(aclient: ivowaba.AsyncClient, emu: Emulator) -> None:
    emu.fail_next(
        "*",
        status=400,
        body={
            "errors": [
                {
                    "code": 1008,
                    "title": "Required parameter is missing",
                    "details": "Parameter 'to' is required",
                }
            ]
        },
    )
    with pytest.raises(ivowaba.BadRequestError) as caught:
        await aclient.messages.send_text("628123456789", "hi")
    assert caught.value.message == "1008 Required parameter is missing Parameter 'to' is required"
    assert caught.value.body["errors"][0]["code"] == 1008


async def test_an_html_502_from_a_proxy_is_a_server_error(
    aclient: ivowaba.AsyncClient, emu: Emulator
) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    emu.fail_next("*", status=502, body=page, headers={"Content-Type": "text/html"})
    with pytest.raises(ivowaba.ServerError) as caught:
        await aclient.countries.list()
    assert caught.value.status_code == 502
    assert caught.value.body == page.decode()
    assert "502 Bad Gateway" in caught.value.message


async def test_a_2xx_with_an_undocumented_body_is_a_decode_error(
    aclient: ivowaba.AsyncClient, emu: Emulator
) -> None:
    emu.fail_next("*", status=200, body={"unexpected": True})
    with pytest.raises(ivowaba.ResponseDecodeError) as caught:
        await aclient.messages.send_text("628123456789", "hi")
    assert caught.value.status_code == 200
    assert caught.value.body == b'{"unexpected":true}'
    emu.fail_next("*", status=200, body=b"<html>ok</html>")
    with pytest.raises(ivowaba.ResponseDecodeError):
        await aclient.countries.list()


async def test_connection_refused() -> None:
    async with ivowaba.AsyncClient(
        api_key=API_KEY, base_url="http://127.0.0.1:9", max_retries=0
    ) as c:
        with pytest.raises(ivowaba.APIConnectionError) as caught:
            await c.countries.list()
    assert type(caught.value) is ivowaba.APIConnectionError
    assert caught.value.method == "GET"
    assert caught.value.path == "/api/v1/countries"


async def test_timeout(emu: Emulator) -> None:
    emu.fail_next("*", status=200, body={"data": []}, delay=1.0)
    async with ivowaba.AsyncClient(
        api_key=API_KEY, base_url=emu.base_url, max_retries=0, timeout=0.1
    ) as client:
        with pytest.raises(ivowaba.APITimeoutError):
            await client.countries.list()


def test_missing_api_key_fails_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IVOWABA_API_KEY", raising=False)
    with pytest.raises(ivowaba.ConfigError, match="IVOWABA_API_KEY"):
        ivowaba.AsyncClient()
    with pytest.raises(ivowaba.ConfigError):
        ivowaba.Client()


def test_api_key_and_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVOWABA_API_KEY", API_KEY)
    monkeypatch.setenv("IVOWABA_BASE_URL", "http://127.0.0.1:8080/")
    client = ivowaba.AsyncClient()
    assert client.base_url == "http://127.0.0.1:8080"
    monkeypatch.delenv("IVOWABA_BASE_URL")
    assert ivowaba.AsyncClient().base_url == "https://waba.ivosights.com"


@pytest.mark.parametrize(
    "options",
    [
        {"base_url": "ftp://example.com"},
        {"base_url": "waba.ivosights.com"},
        {"timeout": -1},
        {"max_retries": -1},
        {"rate_limit": 0},
        {"max_connections": 0},
        {"default_country_code": "sixty-two"},
        {"rate_limit": 5, "rate_limiter": object()},
    ],
)
def test_bad_options_are_config_errors(options: dict[str, object]) -> None:
    with pytest.raises(ivowaba.ConfigError):
        ivowaba.AsyncClient(api_key=API_KEY, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.messages.send_product("628123456789", "cat", "sku"),
        lambda c: c.messages.send_product_list(
            "628123456789",
            "cat",
            [{"product_items": [{"product_retailer_id": "a"}]}],
            header="h",
            body="b",
        ),
        lambda c: c.messages.send_flow("628123456789", flow_id="1", flow_cta="Go", body="b"),
        lambda c: c.templates.list(),
        lambda c: c.contacts.check("+628123456789"),
        lambda c: c.settings.get_about(),
        lambda c: c.webhooks.list(),
        lambda c: c.messages.mark_read("gBEG"),
    ],
)
async def test_sandbox_refuses_what_it_lacks_before_any_request(
    emu: Emulator, call: object
) -> None:
    async with ivowaba.AsyncClient(api_key=API_KEY, base_url=emu.base_url, sandbox=True) as c:
        with pytest.raises(ivowaba.SandboxUnsupportedError):
            await call(c)  # type: ignore[operator]
        await c.messages.send_text("628123456789", "hi")
    assert [r.path for r in emu.requests] == ["/sandbox/api/v1/messages/send-text-message"]


def test_error_tree() -> None:
    assert issubclass(ivowaba.ValidationError, ValueError)
    assert issubclass(ivowaba.APITimeoutError, ivowaba.APIConnectionError)
    for name in (
        "ConfigError",
        "ValidationError",
        "SandboxUnsupportedError",
        "APIConnectionError",
        "APIStatusError",
        "ResponseDecodeError",
        "WebhookError",
    ):
        assert issubclass(getattr(ivowaba, name), ivowaba.IvowabaError)
    for name in ("WebhookAuthError", "WebhookParseError"):
        assert issubclass(getattr(ivowaba, name), ivowaba.WebhookError)
    for name in (
        "BadRequestError",
        "AuthenticationError",
        "PermissionDeniedError",
        "NotFoundError",
        "UnprocessableEntityError",
        "RateLimitError",
        "ServerError",
    ):
        assert issubclass(getattr(ivowaba, name), ivowaba.APIStatusError)
    assert ivowaba.RateLimitError.__module__ == "ivowaba"


def test_webhook_auth_error_never_shows_the_credentials() -> None:
    import base64

    from ivowaba.webhooks import require_basic_auth

    good = "Basic " + base64.b64encode(b"ivo:s3cret-pw").decode()
    require_basic_auth(good, "ivo", "s3cret-pw")  # the right credentials pass
    wrong = "Basic " + base64.b64encode(b"ivo:guess-pw").decode()
    for header in (None, wrong, "Bearer x"):
        with pytest.raises(ivowaba.WebhookAuthError) as caught:
            require_basic_auth(header, "ivo", "s3cret-pw")
        assert isinstance(caught.value, ivowaba.WebhookError)
        assert "s3cret-pw" not in str(caught.value)
        assert "guess-pw" not in str(caught.value)

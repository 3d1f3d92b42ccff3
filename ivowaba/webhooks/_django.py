"""``django_view``: the webhook endpoint as a Django view, answering as ``wsgi_app`` does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpResponse  # type: ignore[import-untyped, import-not-found, unused-ignore]
from django.views.decorators.csrf import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
    csrf_exempt,
)

from ivowaba.webhooks._dispatcher import Dispatcher
from ivowaba.webhooks._receiver import DEFAULT_MAX_BODY, DEFAULT_READ_TIMEOUT, Receiver
from ivowaba.webhooks._wsgi import CONTENT_TYPE, BlockingReceiver, connection_of


def django_view(
    dispatcher: Dispatcher,
    *,
    username: str | None = None,
    password: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
) -> Callable[[Any], Any]:
    """A Django view receiving IVOWBA notifications, answering exactly as :func:`wsgi_app`
    does (401, 405, 413, 408, 400, 500, 200), exempt from Django's CSRF check (the gateway
    authenticates with basic auth instead). Route a path to it in ``urls.py``::

        from ivowaba.webhooks import django_view
        from myapp.bot import dispatcher

        urlpatterns = [
            path("webhook/", django_view(dispatcher, username="ivo",
                                         password=settings.WEBHOOK_PASSWORD)),
        ]

    ``username``, ``password``, ``max_body``, ``read_timeout``: as for :func:`create_app`.
    Plain handlers run in the request's thread, with its database connection; async ones
    on the dispatcher's loop thread (see :func:`wsgi_app`). Django is imported only when this
    is first used.
    """
    receiver = BlockingReceiver(
        Receiver(
            dispatcher,
            username=username,
            password=password,
            max_body=max_body,
            read_timeout=read_timeout,
        )
    )

    def webhook(request: Any) -> Any:
        meta = request.META
        reply = receiver.answer(
            method=request.method or "",
            authorization=meta.get("HTTP_AUTHORIZATION"),
            content_length=meta.get("CONTENT_LENGTH"),
            stream=request,  # Django stops it at the end of the body
            terminated=True,
            peer=meta.get("REMOTE_ADDR"),
            connection=connection_of(meta, meta.get("wsgi.input")),
        )
        response = HttpResponse(reply.text, status=reply.status, content_type=CONTENT_TYPE)
        for name, value in reply.headers:
            response[name] = value
        return response

    webhook.__qualname__ = webhook.__name__ = "ivowaba_webhook"
    return csrf_exempt(webhook)  # type: ignore[no-any-return]

"""Resource groups, and the one wrapper that gives the blocking client every operation.

Each operation is written once, as a coroutine method of a resource class decorated with
``@operation`` (or ``@iterator`` for async generators). The same class serves both clients:

- on ``AsyncClient`` (``Resource[Async]``) an operation is the coroutine method itself, bound;
- on ``Client`` (``Resource[Blocking]``) it is a function that hands the coroutine to the
  client's event-loop thread and blocks for its result; an async iterator becomes a plain
  iterator. It keeps its ``Client`` alive while it exists, so that
  ``Client().messages.send_text(...)`` works, and it shows the operation's own name,
  docstring and parameters to ``help()``, ``inspect.signature()`` and IDEs.

The descriptor's ``__get__`` overloads keep every signature exact for type checkers on both sides.

``resource.with_raw_response.<operation>(...)`` is derived from the same declaration: the
operation runs on a twin of the client whose every request is watched (``ivowaba._hooks``),
which keeps the last answer's status and headers, and returns a ``RawResponse``.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, Generic, Protocol, TypeVar, overload

from typing_extensions import ParamSpec, Self

from ivowaba._hooks import AnswerSeen, answer_seen

if TYPE_CHECKING:
    from ivowaba._client import AsyncClient
    from ivowaba._runner import LoopRunner

P = ParamSpec("P")
R = TypeVar("R")


class Async:
    """Marker: the resource belongs to an ``AsyncClient``; operations are awaited."""


class Blocking:
    """Marker: the resource belongs to a ``Client``; operations block."""


Mode = TypeVar("Mode", Async, Blocking)


class RawResponse(Generic[R]):
    """An operation's answer as it came (``with_raw_response``).

    - ``status_code``: the HTTP status of the answer.
    - ``headers``: its headers (case-insensitive).
    - ``parse()``: what the operation returns when called the usual way.

    For an operation that asks the server more than once (``templates.create`` reads the
    categories and languages first), the answer is the last one: the operation's own.
    """

    __slots__ = ("_result", "headers", "status_code")

    def __init__(self, status_code: int, headers: Mapping[str, str], result: R) -> None:
        self.status_code = status_code
        self.headers = headers
        self._result = result

    def parse(self) -> R:
        """The operation's usual result (a ``SentMessage``, a ``Template``, ``None``, ...)."""
        return self._result

    def __repr__(self) -> str:
        return f"<RawResponse [{self.status_code}]>"


class AsyncRawOperations(Protocol):
    """``with_raw_response`` of an ``AsyncClient`` resource: each operation, awaited,
    returns a ``RawResponse``."""

    def __getattr__(self, name: str) -> Callable[..., Coroutine[Any, Any, RawResponse[Any]]]: ...


class RawOperations(Protocol):
    """``with_raw_response`` of a ``Client`` resource: each operation returns a
    ``RawResponse``."""

    def __getattr__(self, name: str) -> Callable[..., RawResponse[Any]]: ...


class _WithRawResponse:
    """``resource.with_raw_response``: the resource's operations, each returning the
    answer's ``status_code`` and ``headers`` with ``parse()``, on either client."""

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _WithRawResponse: ...
    @overload
    def __get__(self, obj: Resource[Async], owner: type[Any]) -> AsyncRawOperations: ...
    @overload
    def __get__(self, obj: Resource[Blocking], owner: type[Any]) -> RawOperations: ...
    def __get__(self, obj: Resource[Any] | None, owner: type[Any]) -> Any:
        if obj is None:
            return self
        watched = type(obj)(obj._client._watched_twin())
        if obj._runner is not None:
            watched = type(obj)._blocking(watched, obj._runner, obj._owner)
        return _RawFace(watched)


class _RawFace:
    """What ``with_raw_response`` gives: the operations of ``resource`` (on a watched twin of
    its client), each returning a ``RawResponse``."""

    __slots__ = ("_resource",)

    def __init__(self, resource: Resource[Any]) -> None:
        self._resource = resource

    def __getattr__(self, name: str) -> Callable[..., Any]:
        resource = self._resource
        declared = getattr(type(resource), name, None)
        if not isinstance(declared, operation):
            why = "it makes many requests" if isinstance(declared, iterator) else "no operation"
            raise AttributeError(
                f"{type(resource).__name__}.with_raw_response has no {name!r} ({why})"
            )
        return declared._raw(resource)

    def __dir__(self) -> list[str]:
        return sorted(
            name
            for klass in type(self._resource).__mro__
            for name, value in vars(klass).items()
            if isinstance(value, operation)
        )

    def __repr__(self) -> str:
        return f"<{type(self._resource).__name__}.with_raw_response>"


async def _raw_answer(
    fn: Callable[..., Coroutine[Any, Any, Any]], resource: Resource[Any], args: Any, kwargs: Any
) -> RawResponse[Any]:
    """Run the operation ``fn`` on ``resource`` (its client watched), keeping its answer."""
    seen = AnswerSeen()
    token = answer_seen.set(seen)
    try:
        result = await fn(resource, *args, **kwargs)
    finally:
        answer_seen.reset(token)
    return RawResponse(seen.status, seen.headers, result)


class Resource(Generic[Mode]):
    """A group of operations (``client.messages``, ``client.templates``, ...)."""

    with_raw_response = _WithRawResponse()

    def __init__(self, client: AsyncClient) -> None:
        self._client = client
        self._runner: LoopRunner | None = None
        self._async_twin: Resource[Any] = self
        self._owner: object = None

    @classmethod
    def _blocking(cls, twin: Resource[Any], runner: LoopRunner, owner: object) -> Any:
        """The blocking face of ``twin``: same class, operations run on ``runner``'s loop.
        It holds ``owner`` (the ``Client``), which stays open while the face is in use."""
        face = cls.__new__(cls)
        face._client = twin._client
        face._runner = runner
        face._async_twin = twin
        face._owner = owner
        return face


class _Declared:
    """What ``operation`` and ``iterator`` share: the method, and how it shows itself."""

    _blocking_return: str | None = None

    def __init__(self, fn: Callable[..., Any]) -> None:
        self._fn = fn
        self.__name__: str = fn.__name__
        self.__qualname__: str = fn.__qualname__
        self.__doc__ = fn.__doc__
        self.__module__ = fn.__module__
        self.__wrapped__ = fn
        self._signature: inspect.Signature | None = None

    def _bound_signature(self) -> inspect.Signature:
        """The method's signature without ``self``, as a caller of the bound one sees it."""
        if self._signature is None:
            signature = inspect.signature(self._fn)
            parameters = list(signature.parameters.values())[1:]
            returns = signature.return_annotation
            if self._blocking_return is not None and isinstance(returns, str):
                returns = returns.replace("AsyncIterator[", self._blocking_return + "[")
            self._signature = signature.replace(parameters=parameters, return_annotation=returns)
        return self._signature

    def _show_as_operation(
        self, function: Callable[..., Any], *, raw: bool = False
    ) -> Callable[..., Any]:
        function.__name__ = self.__name__
        function.__qualname__ = self.__qualname__
        function.__module__ = self.__module__
        function.__doc__ = self.__doc__
        signature = self._bound_signature()
        if raw:
            signature = signature.replace(
                return_annotation=f"RawResponse[{signature.return_annotation}]"
            )
        function.__signature__ = signature  # type: ignore[attr-defined]
        return function

    def _bind(self, obj: Resource[Any] | None) -> Any:
        """The method on the class, bound on an async resource, blocking on a blocking one."""
        if obj is None:
            return self
        if obj._runner is None:
            return types.MethodType(self._fn, obj)
        return self._show_as_operation(self._blocking(obj._runner, obj))

    def _blocking(self, runner: LoopRunner, face: Resource[Any]) -> Callable[..., Any]:
        """The blocking face of the method, run on ``runner`` (each kind says how)."""
        raise NotImplementedError  # pragma: no cover - both kinds define it


class operation(_Declared, Generic[P, R]):
    """Declares a resource coroutine method as an operation of both clients."""

    def __init__(self, fn: Callable[Concatenate[Any, P], Coroutine[Any, Any, R]]) -> None:
        super().__init__(fn)

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(
        self, obj: Resource[Async], owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, R]]: ...
    @overload
    def __get__(self, obj: Resource[Blocking], owner: type[Any]) -> Callable[P, R]: ...
    def __get__(self, obj: Resource[Any] | None, owner: type[Any]) -> Any:
        return self._bind(obj)

    def _blocking(self, runner: LoopRunner, face: Resource[Any]) -> Callable[..., Any]:
        fn = self._fn

        def blocking(*args: Any, **kwargs: Any) -> Any:
            # `face` is referenced here on purpose: it holds the Client open during the call.
            return runner.call(fn, face._async_twin, *args, **kwargs)

        return blocking

    def _raw(self, face: Resource[Any]) -> Callable[..., Any]:
        """The method returning a ``RawResponse``, on ``face`` (a resource of a watched
        client): awaited on an async face, blocking on a blocking one."""
        fn = self._fn
        runner = face._runner
        if runner is None:

            async def raw(*args: Any, **kwargs: Any) -> RawResponse[Any]:
                return await _raw_answer(fn, face, args, kwargs)

            return self._show_as_operation(raw, raw=True)

        def raw_blocking(*args: Any, **kwargs: Any) -> RawResponse[Any]:
            # `face` is referenced here on purpose: it holds the Client open during the call.
            return runner.call(_raw_answer, fn, face._async_twin, args, kwargs)

        return self._show_as_operation(raw_blocking, raw=True)


class iterator(_Declared, Generic[P, R]):
    """Declares a resource async-generator method: ``async for`` on one client, ``for`` on
    the other."""

    _blocking_return = "Iterator"

    def __init__(self, fn: Callable[Concatenate[Any, P], AsyncIterator[R]]) -> None:
        super().__init__(fn)

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: Resource[Async], owner: type[Any]) -> Callable[P, AsyncIterator[R]]: ...
    @overload
    def __get__(self, obj: Resource[Blocking], owner: type[Any]) -> Callable[P, Iterator[R]]: ...
    def __get__(self, obj: Resource[Any] | None, owner: type[Any]) -> Any:
        return self._bind(obj)

    def _blocking(self, runner: LoopRunner, face: Resource[Any]) -> Callable[..., Any]:
        fn = self._fn

        def blocking(*args: Any, **kwargs: Any) -> Iterator[Any]:
            # `face` is referenced here on purpose: it holds the Client open while iterating.
            yield from runner.iterate(fn, face._async_twin, *args, **kwargs)

        return blocking


RawResponse.__module__ = "ivowaba"  # as users import it: ivowaba.RawResponse

"""OpenTelemetry for hooks: a span per hook call and per implementation (``pip install hookwise[otel]``).

Example::

    from hookwise.otel import OpenTelemetryMonitor

    manager.add_monitor(OpenTelemetryMonitor())   # uses the global tracer provider

Each call is a span named ``hook <name>``, a child of the span current when the
hook was called; each implementation is a child span ``hook <name> / <plugin>``,
current while it runs. Attributes: ``hookwise.hook``, ``hookwise.kind``,
``hookwise.plugin``, ``hookwise.outcome``, and for intercept hooks
``hookwise.vetoed``, ``hookwise.vetoed_by`` and ``hookwise.patched_keys``.
Exceptions are recorded on the span, whose status is then an error.

Events carry the trace context they were published in (W3C ``traceparent``
headers): each delivery runs in a span ``deliver <event> to <listener>``
(kind ``CONSUMER``) that is linked to the span that published the event, with
the listener's hook spans inside it. This needs no monitor: an ``EventBus``
does it whenever OpenTelemetry is imported.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Generator
from contextlib import contextmanager
from contextvars import Token
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context

from hookwise._results import DispatchResult, Patch, Veto
from hookwise._tracing import TraceEvent, outcome_of

if TYPE_CHECKING:
    from hookwise.events import Delivery

__all__ = ["OpenTelemetryMonitor", "active_tracer", "carried_context", "delivery_span"]


class OpenTelemetryMonitor:
    """A monitor that emits OpenTelemetry spans for hook calls and implementations.

    An implementation's span is the current span while it runs, so spans the
    plugin opens, and hook calls it makes, are its children. Implementation
    spans carry ``code.function`` and ``code.namespace`` (the function's
    qualified name and module).

    Args:
        tracer: the tracer to use; by default ``trace.get_tracer("hookwise", hookwise.__version__)``.
    """

    def __init__(self, tracer: trace.Tracer | None = None) -> None:
        self.tracer: trace.Tracer = tracer or trace.get_tracer("hookwise", _version())
        self._calls: dict[int, trace.Span] = {}
        self._impls: dict[tuple[int, str], tuple[trace.Span, Token[Context], tuple[int, int | None]]] = {}

    def __call__(self, event: TraceEvent) -> None:
        if event.phase == "call_start":
            parent = self._calls.get(event.parent_id) if event.parent_id is not None else None
            current = otel_context.get_current()
            # Inside an implementation its span is current; a call made elsewhere inside a call
            # (a wrapper, say) belongs to that call's span.
            if parent is not None and not _is_ours(trace.get_current_span(current)):
                current = trace.set_span_in_context(parent)
            attributes = {"hookwise.hook": event.hook, "hookwise.kind": event.kind}
            self._calls[event.call_id] = self.tracer.start_span(
                f"hook {event.hook}", context=current, attributes=attributes
            )
        elif event.phase == "impl_start":
            call = self._calls.get(event.call_id)
            if call is None:
                return
            attributes = {
                "hookwise.hook": event.hook,
                "hookwise.kind": event.kind,
                "hookwise.plugin": event.plugin or "",
                **_code(event.function),
            }
            span = self.tracer.start_span(
                f"hook {event.hook} / {event.plugin}", context=trace.set_span_in_context(call), attributes=attributes
            )
            _OURS.add(span)
            token = otel_context.attach(trace.set_span_in_context(span))
            self._impls[(event.call_id, event.plugin or "")] = (span, token, (event.thread, event.task))
        elif event.phase == "impl_end":
            opened = self._impls.pop((event.call_id, event.plugin or ""), None)
            if opened is not None:
                span, token, lane = opened
                if lane == (event.thread, event.task):  # else it ended in a task of its own: nothing to undo
                    otel_context.detach(token)
                _OURS.discard(span)
                _finish(span, event.result, event.error)
        else:
            call = self._calls.pop(event.call_id, None)
            if call is not None:
                _finish(call, event.result, event.error)


_OURS: weakref.WeakSet[trace.Span] = weakref.WeakSet()
"""Implementation spans made current by a monitor, until they end."""


def _is_ours(span: trace.Span) -> bool:
    return span in _OURS


def _code(function: Callable[..., Any] | None) -> dict[str, str]:
    """OpenTelemetry's ``code.*`` attributes of an implementation."""
    if function is None:
        return {}
    target = getattr(function, "__func__", function)
    return {
        "code.function": str(getattr(target, "__qualname__", repr(target))),
        "code.namespace": str(getattr(target, "__module__", "") or ""),
    }


def _version() -> str:
    import hookwise

    return hookwise.__version__


def _finish(span: trace.Span, result: Any, error: BaseException | None) -> None:
    span.set_attribute("hookwise.outcome", outcome_of(result, error))
    if isinstance(result, DispatchResult):
        span.set_attribute("hookwise.vetoed", result.vetoed)
        if result.vetoed_by is not None:
            span.set_attribute("hookwise.vetoed_by", result.vetoed_by)
        span.set_attribute("hookwise.patched_keys", sorted(result.patches))
    elif isinstance(result, Veto):
        span.set_attribute("hookwise.vetoed", True)
    elif isinstance(result, Patch):
        span.set_attribute("hookwise.patched_keys", sorted(result.data))
    if error is not None:
        span.record_exception(error)
        span.set_status(trace.Status(trace.StatusCode.ERROR, f"{type(error).__name__}: {error}"))
    span.end()


def carried_context() -> dict[str, str]:
    """The current trace context as headers (``traceparent``, ``tracestate``), to store with an event;
    none outside a recording span (the API is often imported by a library, with nothing to carry)."""
    if not trace.get_current_span().get_span_context().is_valid:
        return {}
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return headers


def active_tracer(preferred: trace.Tracer | None = None) -> trace.Tracer | None:
    """``preferred``, or the tracer of the provider the application installed; None when none is installed
    (OpenTelemetry's API is imported, with nothing to record)."""
    if preferred is not None:
        return preferred
    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
        return None
    return provider.get_tracer("hookwise")


@contextmanager
def delivery_span(delivery: Delivery, tracer: trace.Tracer | None = None) -> Generator[trace.Span, None, None]:
    """A span for one delivery, current while the listener runs, linked to the span that published the event.

    Attributes: ``messaging.system`` (``hookwise``), ``messaging.operation`` (``process``),
    ``messaging.destination.name`` (the event's name), ``messaging.message.id``,
    ``hookwise.listener`` and ``hookwise.attempt``.
    """
    published = trace.get_current_span(propagate.extract(dict(delivery.headers))).get_span_context()
    links = [trace.Link(published)] if published.is_valid else []
    attributes: dict[str, str | int] = {
        "messaging.system": "hookwise",
        "messaging.operation": "process",
        "messaging.destination.name": delivery.event_name,
        "messaging.message.id": delivery.event_id,
        "hookwise.listener": delivery.listener,
        "hookwise.attempt": delivery.attempt,
    }
    with (tracer or trace.get_tracer("hookwise")).start_as_current_span(
        f"deliver {delivery.event_name} to {delivery.listener}",
        kind=trace.SpanKind.CONSUMER,
        links=links,
        attributes=attributes,
    ) as span:
        yield span

"""hookwise.otel: spans per hook call and implementation, checked with the SDK's in-memory exporter."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from hookwise import HookManager, Patch, Veto, hookimpl, hookspec
from hookwise.otel import OpenTelemetryMonitor


class Specs:
    @hookspec(kind="intercept")
    def before_save(self, title: str) -> None: ...

    @hookspec
    def labels(self, title: str) -> str:
        raise NotImplementedError


class Tagger:
    @hookimpl(priority=1)
    def before_save(self, title: str) -> Patch:
        return Patch({"title": title.upper()})

    @hookimpl
    def labels(self) -> str:
        raise RuntimeError("label service down")


class Guard:
    @hookimpl(priority=2)
    def before_save(self) -> Veto:
        return Veto("read only")


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


def monitor(exporter: InMemorySpanExporter) -> OpenTelemetryMonitor:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return OpenTelemetryMonitor(provider.get_tracer("test"))


def manager(exporter: InMemorySpanExporter) -> HookManager[Specs]:
    hooks = HookManager(Specs)
    hooks.register(Tagger())
    hooks.register(Guard())
    hooks.add_monitor(monitor(exporter))
    return hooks


def test_a_concurrent_call_gets_a_span_per_implementation(
    exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    class Fetching:
        @hookspec(concurrent=True)
        def fetch(self, key: str) -> str:
            raise NotImplementedError

    class Slow:
        @hookimpl
        async def fetch(self, key: str) -> str:
            await asyncio.sleep(0.01)
            return "slow"

    class Fast:
        @hookimpl
        async def fetch(self, key: str) -> str:
            return "fast"

    hooks = HookManager(Fetching)
    hooks.register(Slow())
    hooks.register(Fast())
    hooks.add_monitor(monitor(exporter))
    assert asyncio.run(hooks.call.fetch.acall(key="k")) == ["slow", "fast"]
    names = sorted(span.name for span in exporter.get_finished_spans())
    assert names == ["hook fetch", "hook fetch / Fast", "hook fetch / Slow"]
    assert "Failed to detach" not in caplog.text  # each implementation's span was current in its own task


def test_a_span_per_call_and_per_implementation_with_attributes(exporter: InMemorySpanExporter) -> None:
    manager(exporter).call.before_save(title="x")
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert set(spans) == {"hook before_save", "hook before_save / Tagger", "hook before_save / Guard"}
    call = spans["hook before_save"]
    assert dict(call.attributes or {}) == {
        "hookwise.hook": "before_save",
        "hookwise.kind": "intercept",
        "hookwise.outcome": "vetoed",
        "hookwise.vetoed": True,
        "hookwise.vetoed_by": "Guard",
        "hookwise.patched_keys": ("title",),
    }
    tagger = spans["hook before_save / Tagger"]
    parent, context = tagger.parent, call.context
    assert parent is not None
    assert context is not None
    assert parent.span_id == context.span_id
    assert (tagger.attributes or {})["hookwise.plugin"] == "Tagger"
    assert (tagger.attributes or {})["hookwise.patched_keys"] == ("title",)
    assert (spans["hook before_save / Guard"].attributes or {})["hookwise.vetoed"] is True


def test_exceptions_are_recorded_and_mark_the_span_as_an_error(exporter: InMemorySpanExporter) -> None:
    with pytest.raises(RuntimeError):
        manager(exporter).call.labels(title="x")
    spans = {span.name: span for span in exporter.get_finished_spans()}
    impl = spans["hook labels / Tagger"]
    assert impl.status.status_code == StatusCode.ERROR
    assert impl.events[0].name == "exception"
    assert spans["hook labels"].status.status_code == StatusCode.ERROR


def test_a_delivery_span_is_linked_to_the_span_that_published_the_event(exporter: InMemorySpanExporter) -> None:
    from opentelemetry.trace import SpanKind

    from hookwise.events import Event, EventBus, listener

    class Shipped(Event, name="shop.order_shipped"):
        order_id: str

    @listener(Shipped, name="mail")
    def mail(event: Shipped) -> None: ...

    watcher = monitor(exporter)
    bus = EventBus()
    bus.register(mail)
    bus.add_monitor(watcher)
    with watcher.tracer.start_as_current_span("POST /orders/7/ship") as request:
        event_id = bus.publish(Shipped(order_id="7"))
    assert bus.drain().delivered == 1
    spans = {span.name: span for span in exporter.get_finished_spans()}
    deliver = spans["deliver shop.order_shipped to mail"]
    assert deliver.kind == SpanKind.CONSUMER
    assert deliver.parent is None  # a new trace: the request ended long ago, in another process maybe
    assert [link.context.span_id for link in deliver.links] == [request.get_span_context().span_id]
    assert deliver.context is not None
    assert deliver.attributes is not None
    assert deliver.attributes["messaging.message.id"] == event_id
    assert deliver.attributes["hookwise.attempt"] == 1
    call = spans["hook shop.order_shipped"]
    assert call.parent is not None
    assert call.parent.span_id == deliver.context.span_id
    assert call.context is not None
    impl = spans["hook shop.order_shipped / mail"]
    assert impl.parent is not None
    assert impl.parent.span_id == call.context.span_id


def test_an_implementation_span_is_current_while_it_runs(
    exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("plugin")

    class Working:
        def __init__(self, hooks: HookManager[Specs]) -> None:
            self.hooks = hooks

        @hookimpl
        def before_save(self, title: str) -> None:
            with tracer.start_as_current_span("plugin work"):  # a span the plugin opens itself
                pass
            self.hooks.call.labels(title=title)  # a hook called inside the implementation

    class Labels:
        @hookimpl
        def labels(self, title: str) -> str:
            return title

    hooks = HookManager(Specs)
    hooks.register(Working(hooks))
    hooks.register(Labels())
    hooks.add_monitor(OpenTelemetryMonitor(provider.get_tracer("hooks")))
    with tracer.start_as_current_span("request"):
        hooks.call.before_save(title="x")
    spans = {span.name: span for span in exporter.get_finished_spans()}

    def parent_of(name: str) -> str:
        parent = spans[name].parent
        assert parent is not None
        return next(other for other, span in spans.items() if span.context and span.context.span_id == parent.span_id)

    assert parent_of("hook before_save") == "request"
    assert parent_of("hook before_save / Working") == "hook before_save"
    assert parent_of("plugin work") == "hook before_save / Working"  # not the caller's span
    assert parent_of("hook labels") == "hook before_save / Working"
    assert parent_of("hook labels / Labels") == "hook labels"
    working = spans["hook before_save / Working"].attributes or {}
    assert (
        working["code.function"] == "test_an_implementation_span_is_current_while_it_runs.<locals>.Working.before_save"
    )
    assert working["code.namespace"] == __name__
    assert "Failed to detach" not in caplog.text


def test_the_default_tracer_is_named_with_hookwise_s_version(monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry import trace

    import hookwise

    asked: list[tuple[object, ...]] = []
    original = trace.get_tracer

    def get_tracer(*args: Any, **kwargs: Any) -> trace.Tracer:
        asked.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(trace, "get_tracer", get_tracer)
    OpenTelemetryMonitor()
    assert asked == [("hookwise", hookwise.__version__)]

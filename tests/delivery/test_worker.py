"""The outbox worker against the Discord and SMTP stand-ins, on both databases, on a FakeClock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from alerthub.delivery.worker import DeliveryWorker
from alerthub.domain.notification import NotificationStatus
from alerthub.hub import Hub
from alerthub.store import deliveries
from alerthub.store.tables import message_thread
from support.clock import FakeClock
from support.outbox_rows import add_alert, delivery_events, enqueue, payload, row, rows
from support.standins import DiscordStandIn, Reply, SMTPStandIn
from support.waiting import eventually

RATE_LIMITED = Reply(
    429,
    {"message": "You are being rate limited.", "retry_after": 0.757, "global": False},
    {"Retry-After": "1", "X-RateLimit-Remaining": "0"},
)


def metric(hub: Hub, name: str, **labels: str) -> float:
    return hub.metrics.registry.get_sample_value(name, labels) or 0.0


async def test_a_due_row_is_sent_and_recorded(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    alert = await add_alert(hub.db, clock())
    row_id = await enqueue(hub.db, clock(), "discord", payload(alert), thread_key="discord:g1")
    assert await worker.tick(http) == 1
    sent = await row(hub.db, row_id)
    assert sent.status is NotificationStatus.SENT and sent.attempts == 1 and sent.sent_at == clock()
    assert sent.external_id in discord.messages
    async with hub.db.read() as conn:
        thread = (await conn.execute(select(message_thread))).one()
    assert (thread.thread_key, thread.external_id) == ("discord:g1", sent.external_id)
    [event] = await delivery_events(hub.db, alert.id)
    assert event["reason"] == "attempt 1 to discord: sent" and event["detail"]["notification_id"] == row_id
    assert metric(hub, "alerthub_notifications_total", channel="discord", status="sent") == 1


async def test_retry_after_is_honoured_exactly(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    start = clock()
    discord.fail_next(RATE_LIMITED)
    row_id = await enqueue(hub.db, start, "discord", payload(await add_alert(hub.db, start)))
    await worker.tick(http)
    waiting = await row(hub.db, row_id)
    assert waiting.status is NotificationStatus.PENDING
    assert waiting.next_attempt_at == start + timedelta(seconds=0.757)
    clock.advance(0.756)
    await worker.tick(http)
    assert len(discord.requests) == 1  # one millisecond early: nothing goes out
    clock.advance(0.001)
    await worker.tick(http)
    assert (await row(hub.db, row_id)).status is NotificationStatus.SENT
    assert discord.times[1] - discord.times[0] >= 0.757 - 1e-6
    assert metric(hub, "alerthub_notification_failures_total", channel="discord", reason="rate_limited") == 1


async def test_a_4xx_is_permanent_and_counted(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    discord.fail_next(Reply(400, {"message": "Invalid Form Body", "code": 50035}))
    alert = await add_alert(hub.db, clock())
    row_id = await enqueue(hub.db, clock(), "discord", payload(alert))
    await worker.tick(http)
    failed = await row(hub.db, row_id)
    assert failed.status is NotificationStatus.FAILED and failed.last_error == "HTTP 400: Invalid Form Body"
    clock.advance(3600)
    await worker.tick(http)
    assert len(discord.requests) == 1  # never retried
    assert metric(hub, "alerthub_notification_failures_total", channel="discord", reason="permanent") == 1
    assert metric(hub, "alerthub_notifications_total", channel="discord", status="failed") == 1
    failed_event, fallback_event = await delivery_events(hub.db, alert.id)
    assert failed_event["detail"]["outcome"] == "failed" and failed_event["detail"]["status"] == 400
    # A permanent failure never arrives: the receiver's fallback gets the notification at once.
    assert fallback_event["reason"] == "attempt 1 to mail: sent"


async def test_backoff_doubles_then_retries_are_spent(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    discord.fail_next(Reply(503, {"message": "upstream"}), times=10)
    row_id = await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock())))
    waits = []
    for _ in range(3):
        before = clock()
        await worker.tick(http)
        retry_at = (await row(hub.db, row_id)).next_attempt_at
        waits.append((retry_at - before).total_seconds())
        clock.now = retry_at
    assert waits == [2.0, 4.0, 8.0]
    await worker.tick(http)
    spent = await row(hub.db, row_id)
    assert spent.status is NotificationStatus.FAILED and spent.attempts == 4
    assert spent.last_error is not None and spent.last_error.startswith("retries spent")
    assert metric(hub, "alerthub_notification_failures_total", channel="discord", reason="attempts_exhausted") == 1


async def test_a_crashed_workers_claim_is_taken_over_after_the_lease(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    row_id = await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock())))
    async with hub.db.write() as conn:
        [claimed] = await deliveries.claim(
            conn,
            channel="discord",
            now=clock(),
            worker="dead-worker",
            lease_until=clock() + timedelta(seconds=60),
            limit=10,
        )
    assert claimed.id == row_id
    await worker.tick(http)
    assert discord.requests == []  # the lease still holds
    clock.advance(61)
    await worker.tick(http)
    sent = await row(hub.db, row_id)
    assert sent.status is NotificationStatus.SENT and sent.attempts == 2 and sent.claimed_by is None
    assert len(discord.posted()) == 1


async def test_a_burst_is_paced_and_digested_with_no_429(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    for i in range(30):
        await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock(), labels={"host": f"h{i}"})))
    await worker.tick(http)
    assert discord.statuses() == [200] * 5  # 4 alone + 1 digest of 26: Discord's 5 per 2 s
    for i in range(20):
        await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock(), labels={"host": f"k{i}"})))
    await worker.tick(http)
    assert len(discord.requests) == 5  # budget spent: the 20 wait in the outbox
    clock.advance(2)
    await worker.tick(http)
    assert discord.statuses() == [200] * 6
    every = await rows(hub.db)
    assert all(r.status is NotificationStatus.SENT for r in every)
    digests = [r for r in every if r.kind == "digest"]
    assert len(digests) == 2 and len(every) == 52
    digest_body = discord.posted()[-1]["embeds"][0]
    assert digest_body["title"].startswith("[CRITICAL] Digest: 20 alerts")
    assert "[Acknowledge all 20](http" in digest_body["description"]  # one act for the whole digest
    async with hub.db.read() as conn:
        merged = [await deliveries.get(conn, r.id or 0) for r in every if r.kind != "digest"]
    assert sum(1 for m in merged if m and m.extra["merged_into"]) == 46
    last = merged[-1]
    assert last is not None
    reasons = [e["reason"] for e in await delivery_events(hub.db, last.alert_ids[0])]
    assert reasons == [
        f"attempt 1 to discord: merged: merged into digest notification {last.extra['merged_into']} "
        "(channel budget spent)",
        "attempt 1 to discord: sent",
    ]


async def test_a_429_pauses_the_channel_until_retry_after(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    discord.window.limit = 2  # the service is stricter than our budget: it answers 429
    discord.hints = False  # and, unlike Discord, sends no rate-limit headers to warn us
    for _ in range(4):
        await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock())))
    for _ in range(10):
        await worker.tick(http)
        clock.advance(0.5)
    assert all(r.status is NotificationStatus.SENT for r in await rows(hub.db))
    answered = list(zip(discord.times, discord.statuses(), strict=True))
    for index, (at, status) in enumerate(answered):
        if status == 429:
            wait = discord.replies[index][1].body["retry_after"]
            assert answered[index + 1][0] >= at + wait  # no 429 left unanswered
    assert 429 in discord.statuses()


async def test_fallback_after_the_primary_fails_for_fallback_after(
    hub: Hub,
    clock: FakeClock,
    worker: DeliveryWorker,
    discord: DiscordStandIn,
    smtp: SMTPStandIn,
    http: httpx.AsyncClient,
) -> None:
    discord.fail_next(Reply(500, {"message": "down"}), times=50)
    alert = await add_alert(hub.db, clock())
    row_id = await enqueue(hub.db, clock(), "discord", payload(alert))
    await worker.tick(http)
    assert len(await rows(hub.db)) == 1  # a blip does not double anything
    clock.advance(301)
    await worker.tick(http)
    copies = [r for r in await rows(hub.db) if r.channel == "mail"]
    assert len(copies) == 1 and copies[0].payload["fallback_from"] == "discord"
    await worker.tick(http)
    [mail] = smtp.mails
    assert "(fallback for discord)" in mail.message["Subject"]
    assert "Sent here because channel discord has been failing." in mail.message.get_body(("plain",)).get_content()
    assert (await row(hub.db, row_id)).status is NotificationStatus.PENDING  # the primary keeps trying


async def test_a_deleted_webhook_falls_back_at_once(
    hub: Hub,
    clock: FakeClock,
    worker: DeliveryWorker,
    discord: DiscordStandIn,
    smtp: SMTPStandIn,
    http: httpx.AsyncClient,
) -> None:
    discord.deleted = True
    row_id = await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock())))
    await worker.tick(http)
    await worker.tick(http)
    assert (await row(hub.db, row_id)).status is NotificationStatus.FAILED
    assert len(smtp.mails) == 1


async def test_resolve_edits_the_discord_message_and_email_replies_in_thread(
    hub: Hub,
    clock: FakeClock,
    worker: DeliveryWorker,
    discord: DiscordStandIn,
    smtp: SMTPStandIn,
    http: httpx.AsyncClient,
) -> None:
    alert = await add_alert(hub.db, clock())
    await enqueue(hub.db, clock(), "discord", payload(alert), thread_key="discord:g")
    await enqueue(hub.db, clock(), "mail", payload(alert), thread_key="mail:g")
    await worker.tick(http)
    from dataclasses import replace

    done = replace(alert, state="resolved", resolved_at="2026-11-27T09:30:00Z")
    resolved = payload(done, status="resolved", reason="all alerts resolved")
    clock.advance(60)
    await enqueue(hub.db, clock(), "discord", resolved, thread_key="discord:g")
    await enqueue(hub.db, clock(), "mail", resolved, thread_key="mail:g")
    await worker.tick(http)
    assert [r.method for r in discord.requests] == ["POST", "PATCH"]
    [message] = discord.messages.values()
    assert message["embeds"][0]["color"] == 0x2ECC71
    first, reply = smtp.mails
    assert reply.message["In-Reply-To"] == first.message["Message-ID"]


async def test_an_acknowledgement_edits_the_message_grey(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    from dataclasses import replace

    alert = await add_alert(hub.db, clock())
    await enqueue(hub.db, clock(), "discord", payload(alert), thread_key="discord:g")
    await worker.tick(http)
    acked = replace(alert, state="acknowledged", acknowledged_by="kim")
    await enqueue(
        hub.db, clock(), "discord", payload(acked, status="acknowledged", reason="acknowledged"), thread_key="discord:g"
    )
    await worker.tick(http)
    [message] = discord.messages.values()
    embed = message["embeds"][0]
    assert embed["title"].startswith("[Acknowledged]")
    assert {"name": "Acknowledged by", "value": "kim", "inline": True} in embed["fields"]


async def test_a_row_for_an_unknown_channel_fails_visibly(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, http: httpx.AsyncClient
) -> None:
    row_id = await enqueue(hub.db, clock(), "gone", payload(await add_alert(hub.db, clock())))
    await worker.tick(http)
    failed = await row(hub.db, row_id)
    assert failed.status is NotificationStatus.FAILED and "no channel named 'gone'" in (failed.last_error or "")


async def test_the_loop_wakes_on_the_event_and_stops(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(hub.background["delivery"](stop))
    row_id = await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock())))
    hub.wake_delivery.set()

    async def sent() -> bool:
        return (await row(hub.db, row_id)).status is NotificationStatus.SENT

    await eventually(sent)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert (await row(hub.db, row_id)).status is NotificationStatus.SENT


async def test_the_loop_sleeps_until_the_next_due_row_or_budget_not_less(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    assert await worker.idle_delay() == 1.0  # nothing to do: poll
    discord.fail_next(RATE_LIMITED)
    await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock())))
    await worker.tick(http)
    assert await worker.idle_delay() == pytest.approx(0.757)  # wakes exactly for the retry
    clock.advance(0.757)
    await worker.tick(http)
    for _ in range(5):
        await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock())))
    await worker.tick(http)  # sends what the budget allows (a digest), nothing is left
    for _ in range(3):
        await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock())))
    await worker.tick(http)
    # Rows are due but the budget is spent: the loop must not spin on them.
    assert worker.budget_returns is not None and worker.budget_returns > clock()
    assert await worker.idle_delay() == 1.0


async def test_a_resolution_is_not_buried_in_a_digest_it_edits_its_message_when_budget_returns(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    from dataclasses import replace

    first = await add_alert(hub.db, clock())
    await enqueue(hub.db, clock(), "discord", payload(first), thread_key="discord:a")
    await worker.tick(http)
    [message_id] = discord.messages
    for i in range(8):
        await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock(), labels={"host": f"n{i}"})))
    done = payload(replace(first, state="resolved"), status="resolved", reason="all alerts resolved")
    resolve_id = await enqueue(hub.db, clock(), "discord", done, thread_key="discord:a")
    await worker.tick(http)
    assert [r.method for r in discord.requests] == ["POST"] * 5  # 3 alone + 1 digest of 5
    assert (await row(hub.db, resolve_id)).status is NotificationStatus.PENDING
    clock.advance(2)
    await worker.tick(http)
    assert discord.requests[-1].method == "PATCH"
    assert discord.messages[message_id]["embeds"][0]["color"] == 0x2ECC71
    assert all(r.status is NotificationStatus.SENT for r in await rows(hub.db))


async def test_a_channel_bug_is_retried_counted_and_never_leaks_the_webhook_token(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    real = worker.channels["discord"]

    class Broken:
        kind, threads, name = "discord", "edit", "discord"

        def describe(self) -> dict[str, str]:
            return {}

        async def send(self, message: object, client: httpx.AsyncClient) -> object:
            raise RuntimeError(f"unexpected answer from {discord.url()}")

    worker.channels["discord"] = Broken()  # type: ignore[assignment]
    row_id = await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock())))
    await worker.tick(http)
    failed = await row(hub.db, row_id)
    assert failed.status is NotificationStatus.PENDING and "RuntimeError" in (failed.last_error or "")
    assert "secret-token" not in (failed.last_error or "")
    assert metric(hub, "alerthub_background_errors_total", loop="delivery") == 1
    worker.channels["discord"] = real
    clock.now = failed.next_attempt_at
    await worker.tick(http)
    assert (await row(hub.db, row_id)).status is NotificationStatus.SENT


async def test_send_resolved_false_suppresses_the_resolved_message_visibly(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    worker.configs["discord"] = worker.configs["discord"].model_copy(update={"send_resolved": False})
    resolved = payload(await add_alert(hub.db, clock(), state="resolved"), status="resolved")
    row_id = await enqueue(hub.db, clock(), "discord", resolved)
    await worker.tick(http)
    quiet = await row(hub.db, row_id)
    assert quiet.status is NotificationStatus.SUPPRESSED and "send_resolved" in (quiet.last_error or "")
    assert discord.requests == []
    assert metric(hub, "alerthub_notifications_total", channel="discord", status="suppressed") == 1


async def test_rate_limit_headers_pause_the_channel_before_any_429(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    discord.window.limit = 2  # stricter than our budget of 5, but it says so in X-RateLimit-* headers
    for _ in range(6):
        await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock())))
    await worker.tick(http)
    assert discord.statuses() == [200, 200]  # Remaining: 0 after the second: the worker stopped
    for _ in range(10):
        clock.advance(1)
        await worker.tick(http)
    assert 429 not in discord.statuses()
    assert all(r.status is NotificationStatus.SENT for r in await rows(hub.db))


async def test_a_group_that_fires_again_starts_a_new_conversation(
    hub: Hub,
    clock: FakeClock,
    worker: DeliveryWorker,
    discord: DiscordStandIn,
    smtp: SMTPStandIn,
    http: httpx.AsyncClient,
) -> None:
    from dataclasses import replace

    alert = await add_alert(hub.db, clock())
    resolved = payload(replace(alert, state="resolved"), status="resolved", reason="all alerts resolved")
    episodes = []
    for _ in range(2):
        await enqueue(hub.db, clock(), "discord", payload(alert), thread_key="discord:g")
        await enqueue(hub.db, clock(), "mail", payload(alert), thread_key="mail:g")
        await worker.tick(http)
        clock.advance(60)
        await enqueue(hub.db, clock(), "discord", resolved, thread_key="discord:g")
        await enqueue(hub.db, clock(), "mail", resolved, thread_key="mail:g")
        await worker.tick(http)
        clock.advance(60)
        episodes.append(list(discord.messages))
    first, second = episodes[0][0], episodes[1][1]
    assert [r.method for r in discord.requests] == ["POST", "PATCH", "POST", "PATCH"]
    assert discord.requests[1].path.endswith(first) and discord.requests[3].path.endswith(second)
    assert all(m["embeds"][0]["color"] == 0x2ECC71 for m in discord.messages.values())
    opened, reply1, reopened, reply2 = (m.message for m in smtp.mails)
    assert reopened["In-Reply-To"] is None  # a new thread, not a reply to the last episode
    assert reply1["In-Reply-To"] == opened["Message-ID"] and reply2["In-Reply-To"] == reopened["Message-ID"]


async def test_notification_latency_runs_from_commit_to_sent(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, discord: DiscordStandIn, http: httpx.AsyncClient
) -> None:
    discord.fail_next(RATE_LIMITED)
    await enqueue(hub.db, clock(), "discord", payload(await add_alert(hub.db, clock())))
    await worker.tick(http)  # rate limited: no observation yet
    assert metric(hub, "alerthub_notification_latency_seconds_count", channel="discord") == 0
    clock.advance(40)
    await worker.tick(http)
    assert metric(hub, "alerthub_notification_latency_seconds_count", channel="discord") == 1
    assert metric(hub, "alerthub_notification_latency_seconds_sum", channel="discord") == pytest.approx(40)
    assert metric(hub, "alerthub_notification_latency_seconds_bucket", channel="discord", le="30.0") == 0
    assert metric(hub, "alerthub_notification_latency_seconds_bucket", channel="discord", le="60.0") == 1


async def test_a_digest_on_email_replies_in_each_alerts_thread(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, smtp: SMTPStandIn, http: httpx.AsyncClient
) -> None:
    from dataclasses import replace

    alerts = [await add_alert(hub.db, clock(), labels={"host": f"web-{i}"}) for i in range(5)]
    for i, alert in enumerate(alerts):
        await enqueue(hub.db, clock(), "mail", payload(alert), thread_key=f"mail:g{i}")
    await worker.tick(http)  # email's burst is 5: each alert opens its own thread
    firsts = [m.message["Message-ID"] for m in smtp.mails]
    assert len(firsts) == 5 and all(m.message["In-Reply-To"] is None for m in smtp.mails)

    # All five resolve at once, with budget for one mail: a digest.
    clock.advance(5)
    for i, alert in enumerate(alerts):
        done = payload(replace(alert, state="resolved"), status="resolved", reason="all alerts resolved")
        await enqueue(hub.db, clock(), "mail", done, thread_key=f"mail:g{i}")
    await worker.tick(http)
    assert len(smtp.mails) == 6
    digest_mail = smtp.mails[-1].message
    assert "Digest: 5 alerts" in digest_mail["Subject"] and digest_mail["Subject"].startswith("Re: ")
    assert digest_mail["In-Reply-To"].split() == firsts
    assert digest_mail["References"].split() == firsts
    assert [r.kind for r in await rows(hub.db) if r.status is NotificationStatus.SENT].count("digest") == 1


async def test_a_digest_of_alerts_with_no_mail_thread_yet_is_a_new_mail(
    hub: Hub, clock: FakeClock, worker: DeliveryWorker, smtp: SMTPStandIn, http: httpx.AsyncClient
) -> None:
    for i in range(7):
        alert = await add_alert(hub.db, clock(), labels={"host": f"web-{i}"})
        await enqueue(hub.db, clock(), "mail", payload(alert), thread_key=f"mail:g{i}")
    await worker.tick(http)  # 4 alone + a digest of 3 that opens no thread of its own
    assert len(smtp.mails) == 5
    assert smtp.mails[-1].message["In-Reply-To"] is None and "Digest" in smtp.mails[-1].message["Subject"]

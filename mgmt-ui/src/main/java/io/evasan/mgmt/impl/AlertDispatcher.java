package io.evasan.mgmt.impl;

import io.evasan.mgmt.impl.EventRecordDescriptor.Event;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Delivers alerts: for each event of the {@link EventLog} that an enabled {@link AlertRule} matches, one HTTP POST of
 * {@code {"alert": rules, "event": {...}}} (JSON) to every configured webhook, retried with exponential backoff
 * ({@code baseDelayMillis}, doubled each time) until a 2xx answer or {@link #ATTEMPTS} attempts.
 *
 * <p>Invariant: delivery never blocks the caller (the event log's append) and one slow webhook never delays
 * another's attempt beyond its own timeout ({@link #TIMEOUT}); a delivery given up is one server-log line.
 */
final class AlertDispatcher implements AutoCloseable {
    /** Attempts per webhook and alert. */
    static final int ATTEMPTS = 5;
    /** Timeout of one attempt. */
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final Supplier<AlertConfigDescriptor.Stored> config;
    private final long baseDelayMillis;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final java.util.concurrent.atomic.AtomicLong delivered = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong failedAttempts = new java.util.concurrent.atomic.AtomicLong();
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(1, r -> {
        Thread t = new Thread(r, "evasan-alerts");
        t.setDaemon(true);
        return t;
    });

    AlertDispatcher(Supplier<AlertConfigDescriptor.Stored> config, long baseDelayMillis) {
        this.config = config;
        this.baseDelayMillis = baseDelayMillis;
    }

    /** The rules of the current configuration that {@code e} raises, in declaration order (empty: no alert). */
    List<AlertRule> raised(Event e) {
        List<AlertRule> out = new ArrayList<>();
        for (AlertRule r : config.get().rules()) {
            if (r.matches(e)) {
                out.add(r);
            }
        }
        return out;
    }

    /** Event log subscriber: schedules the deliveries of the alert {@code e} raises, if any. */
    void onEvent(Event e) {
        List<AlertRule> rules = raised(e);
        if (rules.isEmpty()) {
            return;
        }
        JsonArray names = new JsonArray();
        rules.forEach(r -> names.add(r.name()));
        String body = new JsonObject().put("alert", names).put("event", EventLogRoutes.json(e)).encode();
        for (String url : config.get().webhooks()) {
            timer.execute(() -> attempt(url, body, 1));
        }
    }

    /**
     * One attempt, sent asynchronously: the timer thread only starts it, so a webhook that takes its whole timeout
     * holds up no other delivery; the answer (or failure) schedules the retry.
     */
    private void attempt(String url, String body, int n) {
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT)
                    .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        } catch (IllegalArgumentException e) {
            answered(url, body, n, -1, e.toString());
            return;
        }
        http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((r, t) -> {
            if (t == null) {
                answered(url, body, n, r.statusCode(), "HTTP " + r.statusCode());
            } else {
                Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
                answered(url, body, n, -1, cause.toString());
            }
        });
    }

    private void answered(String url, String body, int n, int status, String why) {
        if (status >= 200 && status < 300) {
            delivered.incrementAndGet();
            return;
        }
        failedAttempts.incrementAndGet();
        if (n >= ATTEMPTS) {
            System.err.println("evasan alerts: gave up delivering to " + url + " after " + n + " attempts (" + why + ")");
            return;
        }
        try {
            timer.schedule(() -> attempt(url, body, n + 1), baseDelayMillis << (n - 1), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed meanwhile: the appliance is stopping
        }
    }

    /** Deliveries answered 2xx so far. */
    long delivered() {
        return delivered.get();
    }

    /** Attempts that failed (non-2xx, timeout, refused) so far. */
    long failedAttempts() {
        return failedAttempts.get();
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}

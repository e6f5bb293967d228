package io.evasan.mgmt.impl;

import io.evasan.mgmt.impl.EventLog.Page;
import io.evasan.mgmt.impl.EventLog.Query;
import io.evasan.mgmt.impl.EventRecordDescriptor.Event;
import io.evasan.mgmt.impl.EventRecordDescriptor.Severity;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GET /api/event-log: one page of the persistent event log, newest first, filtered by {@code object} (exact),
 * {@code severity} (the lowest to list: INFO, WARNING, CRITICAL), {@code since} / {@code until} (an ISO-8601
 * instant, epoch milliseconds, or a duration back from now: {@code 90s}, {@code 30m}, {@code 1h}, {@code 7d}), paged
 * by {@code before} (the {@code next} of the previous page) and {@code limit} (1..1000, default 100).
 *
 * <p>Invariant: a bad parameter answers 400 naming it (and nothing is read); unknown parameters are refused.
 */
final class EventLogRoutes {
    private static final Pattern RELATIVE = Pattern.compile("([0-9]{1,9})([smhd])");
    private static final Set<String> PARAMS = Set.of("object", "severity", "since", "until", "before", "limit");

    private final ApiRoutes api;
    private final EventLog log;
    private final LongSupplier clock;

    EventLogRoutes(ApiRoutes api, EventLog log, LongSupplier clock) {
        this.api = api;
        this.log = log;
        this.clock = clock;
    }

    void register(Router router) {
        api.on(router, "GET", "/api/event-log", this::get);
    }

    private ApiRoutes.Reply get(RoutingContext ctx) {
        for (String p : ctx.queryParams().names()) {
            if (!PARAMS.contains(p)) {
                throw ApiError.badRequest(p, "unknown query parameter '" + p + "' (allowed: " + new java.util.TreeSet<>(PARAMS) + ")");
            }
        }
        long now = clock.getAsLong();
        String severity = one(ctx, "severity", "INFO");
        Severity min;
        try {
            min = Severity.valueOf(severity.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("severity", "severity must be INFO, WARNING or CRITICAL, not '" + severity + "'");
        }
        long since = time("since", one(ctx, "since", null), now, 0);
        long until = time("until", one(ctx, "until", null), now, Long.MAX_VALUE);
        long before = number("before", one(ctx, "before", "0"), 0, Long.MAX_VALUE);
        int limit = (int) number("limit", one(ctx, "limit", "100"), 1, EventLog.MAX_PAGE);
        Page p = log.query(new Query(one(ctx, "object", ""), min, since, until, before, limit));
        JsonArray a = new JsonArray();
        for (Event e : p.events()) {
            a.add(json(e));
        }
        return new ApiRoutes.Reply(200, new JsonObject().put("events", a).put("next", p.next() == 0 ? null : p.next()));
    }

    static JsonObject json(Event e) {
        return new JsonObject().put("seq", e.seq()).put("time", Instant.ofEpochMilli(e.timeMillis()).toString())
                .put("timeMillis", e.timeMillis()).put("severity", e.severity().name()).put("category", e.category())
                .put("object", e.object()).put("actor", e.actor()).put("message", e.message());
    }

    private static String one(RoutingContext ctx, String name, String dflt) {
        List<String> v = ctx.queryParam(name);
        if (v.size() > 1) {
            throw ApiError.badRequest(name, "query parameter '" + name + "' given " + v.size() + " times");
        }
        return v.isEmpty() ? dflt : v.get(0);
    }

    private static long number(String field, String v, long min, long max) {
        try {
            long n = Long.parseLong(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiError.badRequest(field, field + " must be a whole number from " + min + " to " + max + ", not '" + v + "'");
    }

    /** An ISO-8601 instant, epoch milliseconds, or a duration back from {@code now} ("1h"); {@code dflt} when absent. */
    static long time(String field, String v, long now, long dflt) {
        if (v == null) {
            return dflt;
        }
        Matcher m = RELATIVE.matcher(v);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            long unit = switch (m.group(2)) {
                case "s" -> 1_000L;
                case "m" -> 60_000L;
                case "h" -> 3_600_000L;
                default -> 86_400_000L;
            };
            return now - n * unit;
        }
        if (v.matches("[0-9]{1,18}")) {
            return Long.parseLong(v);
        }
        try {
            return Instant.parse(v).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw ApiError.badRequest(field, field + " must be an ISO-8601 instant (2026-01-31T12:00:00Z), epoch milliseconds "
                    + "or a duration back from now (90s, 30m, 1h, 7d), not '" + v + "'");
        }
    }
}

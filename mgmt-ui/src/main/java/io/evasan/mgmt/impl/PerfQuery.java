package io.evasan.mgmt.impl;

import io.evasan.mgmt.impl.PerfHistory.Resolution;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The validated query of {@code GET /api/perf}: {@code object} ({@code lun/NAME}, {@code controller/NAME} or
 * {@code port/NAME}), {@code from} / {@code to} (ISO-8601 instants or epoch milliseconds; default the hour before
 * now), {@code resolution} ({@code 10s}, {@code 5m} or {@code auto}: 10 s when {@code from} lies within the last
 * 24 h, else 5 min) and {@code format} ({@code json} or {@code csv}). Invariant: a query that {@link #parse}
 * returns has from &lt; to and a known resolution; anything else is refused with an {@link ApiError} 400 naming
 * the parameter.
 */
record PerfQuery(String object, long from, long to, Resolution resolution, boolean csv) {
    static final Pattern OBJECT = Pattern.compile("(lun|controller|port)/" + ApiRoutes.NAME.pattern());
    static final long DEFAULT_SPAN_MILLIS = 3_600_000L;

    /** Parses {@code params} (each name to its values) at {@code now}. @throws ApiError 400 naming the bad parameter */
    static PerfQuery parse(Map<String, List<String>> params, long now) {
        String object = one(params, "object");
        if (object == null) {
            throw ApiError.badRequest("object", "query parameter 'object' is required (lun/NAME, controller/NAME or port/NAME)");
        }
        if (!OBJECT.matcher(object).matches()) {
            throw ApiError.badRequest("object", "query parameter 'object' must be lun/NAME, controller/NAME or port/NAME, not '"
                    + object + "'");
        }
        String t = one(params, "to");
        long to = t == null ? now : time("to", t);
        String f = one(params, "from");
        long from = f == null ? to - DEFAULT_SPAN_MILLIS : time("from", f);
        if (from >= to) {
            throw ApiError.badRequest("from", "query parameter 'from' must be before 'to'");
        }
        String r = one(params, "resolution");
        Resolution res;
        if (r == null || r.equals("auto")) {
            res = from >= now - Resolution.TEN_SECONDS.retentionMillis() ? Resolution.TEN_SECONDS : Resolution.FIVE_MINUTES;
        } else {
            res = Resolution.of(r);
            if (res == null) {
                throw ApiError.badRequest("resolution", "query parameter 'resolution' must be 10s, 5m or auto, not '" + r + "'");
            }
        }
        String fmt = one(params, "format");
        if (fmt != null && !fmt.equals("json") && !fmt.equals("csv")) {
            throw ApiError.badRequest("format", "query parameter 'format' must be json or csv, not '" + fmt + "'");
        }
        return new PerfQuery(object, from, to, res, "csv".equals(fmt));
    }

    private static String one(Map<String, List<String>> params, String name) {
        List<String> v = params.get(name);
        if (v == null || v.isEmpty()) {
            return null;
        }
        if (v.size() > 1) {
            throw ApiError.badRequest(name, "query parameter '" + name + "' is given " + v.size() + " times");
        }
        return v.get(0);
    }

    private static long time(String name, String v) {
        if (v.matches("-?[0-9]{1,18}")) {
            return Long.parseLong(v);
        }
        try {
            return Instant.parse(v).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw ApiError.badRequest(name, "query parameter '" + name
                    + "' must be an ISO-8601 instant (2026-01-31T12:00:00Z) or epoch milliseconds, not '" + v + "'");
        }
    }
}

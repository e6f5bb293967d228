package io.evasan.mgmt.impl;

import io.evasan.mgmt.ManagementConfig;
import io.evasan.nsc.api.Cell;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Routes of the performance and capacity history: {@code GET /api/perf} (points of one series over a time range,
 * JSON or CSV, see {@link PerfQuery}), {@code GET /api/perf/series} (the series with history) and {@code GET /api/capacity} ({@link CapacityView}); and the history's life:
 * {@link #open} on the timer thread after start (the Chronicle Map files under {@link ManagementConfig#perfHistoryDir()}, or memory when none
 * is configured), {@link #tick} on the management timer ({@link PerfSampler}, {@link CapacityView#record}),
 * {@link #close} at stop. Invariant: the routes only read the history; only {@link #tick} writes it.
 */
final class PerfRoutes {
    private final ApiRoutes api;
    private final ManagementConfig config;
    private final MeterRegistry registry;
    private final CapacityView capacity;
    private volatile PerfHistory history;
    private PerfSampler sampler;

    PerfRoutes(ApiRoutes api, Cell cell, ManagementConfig config, MeterRegistry registry) {
        this.api = api;
        this.config = config;
        this.registry = registry;
        this.capacity = new CapacityView(cell);
    }

    /** Opens the history (recovering the files after an unclean stop). */
    synchronized void open() {
        if (history != null) {
            return;
        }
        PerfHistory h = config.perfHistoryDir() == null ? PerfHistory.inMemory(config.perfMaxSeries())
                : PerfHistory.open(config.perfHistoryDir(), config.perfMaxSeries());
        if (h.recovered()) {
            System.err.println("evasan mgmt: performance history in " + config.perfHistoryDir()
                    + " was not closed cleanly; recovered");
        }
        sampler = new PerfSampler(registry, h, config.controllerName(), config.clock());
        history = h;
    }

    /** Samples the meters and the capacity when their windows changed (management timer). */
    void tick() {
        PerfHistory h = history;
        if (h != null) {
            sampler.tick();
            capacity.record(h, config.clock().getAsLong());
        }
    }

    /** Closes the history (leaves the clean-shutdown marker). */
    synchronized void close() {
        if (history != null) {
            history.close();
            history = null;
        }
    }

    void register(Router router) {
        router.get("/api/perf").blockingHandler(this::perf, false);
        api.on(router, "GET", "/api/perf/series", ctx -> new ApiRoutes.Reply(200, new JsonObject()
                .put("series", new JsonArray(open(ctx).seriesNames())).put("controller", "controller/" + config.controllerName())));
        api.on(router, "GET", "/api/capacity", ctx -> new ApiRoutes.Reply(200, capacity.body(open(ctx), now())));
    }

    private long now() {
        return config.clock().getAsLong();
    }

    private PerfHistory open(RoutingContext ctx) {
        PerfHistory h = history;
        if (h == null) {
            throw new ApiError(503, "the performance history is not open (opening after a start, or stopping)", null);
        }
        return h;
    }

    private void perf(RoutingContext ctx) {
        try {
            long now = now();
            Map<String, List<String>> params = new HashMap<>();
            for (String n : ctx.queryParams().names()) {
                params.put(n, ctx.queryParams().getAll(n));
            }
            PerfQuery q = PerfQuery.parse(params, now);
            PerfHistory h = open(ctx);
            if (!h.knows(q.object()) && !exists(q.object())) {
                throw new ApiError(404, "no " + q.object() + " and no history for it", "object");
            }
            List<PerfPoint> points = h.io(q.object(), q.resolution(), q.from(), q.to(), now);
            long step = q.resolution().stepMillis();
            if (q.csv()) {
                StringBuilder b = new StringBuilder(CSV_HEADER).append('\n');
                for (PerfPoint p : points) {
                    b.append(csvRow(p, step)).append('\n');
                }
                api.sendText(ctx, 200, "text/csv; charset=utf-8", b.toString());
                return;
            }
            JsonArray a = new JsonArray();
            for (PerfPoint p : points) {
                a.add(json(p, step));
            }
            api.send(ctx, 200, new JsonObject().put("object", q.object()).put("resolution", q.resolution().label())
                    .put("stepSeconds", step / 1000).put("from", Instant.ofEpochMilli(q.from()).toString())
                    .put("to", Instant.ofEpochMilli(q.to()).toString()).put("points", a));
        } catch (RuntimeException e) {
            api.fail(ctx, e);
        }
    }

    /** True when the object the series names exists now. */
    private boolean exists(String object) {
        String kind = object.substring(0, object.indexOf('/'));
        String name = object.substring(object.indexOf('/') + 1);
        switch (kind) {
            case "lun":
                return api.unitNames().containsValue(name);
            case "controller":
                return name.equals(config.controllerName());
            default:
                return false; // ports: only those with history
        }
    }

    static final String CSV_HEADER = "time,iops,read_iops,write_iops,mb_per_s,read_mb_per_s,write_mb_per_s,"
            + "latency_p50_ms,latency_p99_ms";

    static String csvRow(PerfPoint p, long step) {
        return Instant.ofEpochMilli(p.startMillis()) + "," + num(p.iops(step)) + "," + num(p.reads() * 1000.0 / step)
                + "," + num(p.writes() * 1000.0 / step) + "," + num(p.bytesPerSecond(step) / 1e6)
                + "," + num(p.readBytes() * 1000.0 / step / 1e6) + "," + num(p.writeBytes() * 1000.0 / step / 1e6)
                + "," + ms(p.latency(0.5)) + "," + ms(p.latency(0.99));
    }

    static JsonObject json(PerfPoint p, long step) {
        Duration p50 = p.latency(0.5);
        Duration p99 = p.latency(0.99);
        return new JsonObject().put("t", p.startMillis()).put("time", Instant.ofEpochMilli(p.startMillis()).toString())
                .put("iops", p.iops(step)).put("readIops", p.reads() * 1000.0 / step)
                .put("writeIops", p.writes() * 1000.0 / step).put("mbps", p.bytesPerSecond(step) / 1e6)
                .put("readMBps", p.readBytes() * 1000.0 / step / 1e6).put("writeMBps", p.writeBytes() * 1000.0 / step / 1e6)
                .put("latencyP50Ms", p50 == null ? null : p50.toNanos() / 1e6)
                .put("latencyP99Ms", p99 == null ? null : p99.toNanos() / 1e6);
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static String ms(Duration d) {
        return d == null ? "" : String.format(Locale.ROOT, "%.3f", d.toNanos() / 1e6);
    }
}

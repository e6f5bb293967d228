package io.evasan.mgmt.impl;

import io.evasan.nsc.api.Volumes;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.nsc.api.Cell;
import io.evasan.nsc.api.DiskGroupView;
import io.evasan.nsc.api.DriveView;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code GET /api/events}: live updates for the console as server-sent events ({@code text/event-stream}).
 *
 * <p>One Vert.x timer per server (every {@code tickMillis}, default 500 ms) computes, on a worker
 * thread and only while at least one stream is open, a cheap fingerprint per topic straight from the
 * appliance objects and the API's own bodies: {@code pool} (per group free PSEGs, rebuild/resync flags,
 * per drive state and used PSEGs), {@code luns} (name, size, kind, disk, presentations), {@code snapshots}
 * (name, LUN, disk, kind, presentations; a snapclone promoted to a LUN changes both), {@code jobs} (id, state, done/total of every job in
 * {@link ApiRoutes#jobsBody()}: BGCOPY, rebuild, LOP copy, cancelled jobs), {@code controllers} (cache
 * dirty bytes, seed-003 engine state, and what {@code ownership} holds), {@code ownership} (each controller's state,
 * owned units, mirror, takeovers; the drill count: changes on failovers and moves, not on every cached write), {@code schedules} (the GET /api/schedules body: next/last run,
 * last snapshot and error), {@code backup} (the GET /api/backup body: log usage, copy progress) and
 * {@code hosts} (the GET /api/hosts body: hosts, their initiators and LUNs, unregistered initiators) and
 * {@code health} (the GET /api/health body: every object's state and reason).
 * Frames sent:
 * <pre>
 *   event: changed              when fingerprints differ from the previous tick
 *   data: {"topics":["jobs","pool"]}
 *
 *   event: jobs                 at most every {@code jobsMillis} (1 s) while a job runs, and once
 *   data: {jobs body}           more when the last one ends ({@link ApiRoutes#jobsBody()}, the GET /api/jobs body)
 *
 *   : ping                      every {@code pingMillis} (15 s), keeps proxies and the client's watchdog content
 * </pre>
 * The stream opens with {@code retry: 2000} and a comment, so the client sees the headers at once;
 * every change made after the client received that comment is reported by a later {@code changed}
 * frame (when no stream was open, the baseline fingerprints are taken before the comment is sent).
 *
 * <p>Invariants: at most {@code maxStreams} streams are open (the next gets 503 JSON with
 * {@code Retry-After}); a stream is forgotten when its connection closes, fails, or cannot keep up
 * (write queue full: the connection is closed and the client reconnects and reloads); nothing is
 * computed while no stream is open; the token check is the one in front of every {@code /api} route.
 */
public final class EventStream {
    public static final int MAX_STREAMS = 16;
    public static final List<String> TOPICS = List.of("pool", "luns", "snapshots", "jobs", "controllers", "schedules", "backup",
            "hosts", "ownership", "health", "events");

    private final Vertx vertx;
    private final Cell cell;
    private final Volumes controller;
    private final ApiRoutes api;
    private final int maxStreams;
    private final long tickMillis;
    private final long jobsMillis;
    private final long pingMillis;

    private final Set<Client> clients = ConcurrentHashMap.newKeySet();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicBoolean computing = new AtomicBoolean();
    // guarded by this: the previous observation's fingerprints (null while no stream is open)
    private Map<String, String> last;
    private boolean jobsWereRunning;
    private long lastJobsSentNanos;

    /** One open stream: its response and the Vert.x context (event loop) that owns it. */
    private record Client(HttpServerResponse response, Context context) {
    }

    /** What one tick saw. */
    record Observation(Map<String, String> fingerprints, JsonObject jobs, boolean jobRunning) {
    }

    public EventStream(Vertx vertx, Cell cell, ApiRoutes api) {
        this(vertx, cell, api, MAX_STREAMS, 500, 1000, 15_000);
    }

    /**
     * With explicit limits (tests use short periods): at most {@code maxStreams} open streams, a
     * fingerprint check every {@code tickMillis}, a {@code jobs} frame at most every {@code jobsMillis}
     * while a job runs, a ping comment every {@code pingMillis}.
     */
    public EventStream(Vertx vertx, Cell cell, ApiRoutes api,
                       int maxStreams, long tickMillis, long jobsMillis, long pingMillis) {
        if (maxStreams < 1 || tickMillis < 10 || jobsMillis < tickMillis || pingMillis < 10) {
            throw new IllegalArgumentException("bad event stream settings");
        }
        this.vertx = vertx;
        this.cell = cell;
        this.controller = cell.volumes();
        this.api = api;
        this.maxStreams = maxStreams;
        this.tickMillis = tickMillis;
        this.jobsMillis = jobsMillis;
        this.pingMillis = pingMillis;
    }

    /**
     * Mounts {@code /api/events} (behind the caller's token check; GET streams, any other method gets
     * 405 JSON) and starts the timers (they end with the Vert.x instance). The route is method-less on
     * purpose: it is documented in openapi.json by the API's owners, and {@code ManagementServer.apiRoutes()}
     * lists only single-method routes.
     */
    public void register(Router router) {
        router.route("/api/events").handler(ctx -> {
            if (ctx.request().method() == io.vertx.core.http.HttpMethod.GET) {
                open(ctx);
            } else {
                ctx.response().putHeader("Allow", "GET");
                api.fail(ctx, new ApiError(405, ctx.request().method() + " /api/events: only GET streams events", null));
            }
        });
        vertx.setPeriodic(tickMillis, id -> tick());
        vertx.setPeriodic(pingMillis, id -> broadcast(Buffer.buffer(": ping\n\n")));
    }

    /** Streams open now. */
    public int openStreams() {
        return open.get();
    }

    private void open(RoutingContext ctx) {
        if (open.incrementAndGet() > maxStreams) {
            open.decrementAndGet();
            ctx.response().putHeader("Retry-After", "5");
            api.fail(ctx, new ApiError(503, "too many event streams open (at most " + maxStreams
                    + "); close another console window", null));
            return;
        }
        HttpServerResponse r = ctx.response();
        Client c = new Client(r, vertx.getOrCreateContext());
        AtomicBoolean gone = new AtomicBoolean();
        Runnable forget = () -> {
            if (gone.compareAndSet(false, true)) {
                clients.remove(c);
                open.decrementAndGet();
            }
        };
        r.closeHandler(v -> forget.run());
        r.endHandler(v -> forget.run());
        r.exceptionHandler(e -> forget.run());
        r.setChunked(true)
                .putHeader("content-type", "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-store")
                .putHeader("x-content-type-options", "nosniff")
                .putHeader("x-accel-buffering", "no");
        clients.add(c);
        Runnable opening = () -> {
            if (r.closed() || r.ended()) {
                forget.run();
                return;
            }
            r.write("retry: 2000\n: evasan events " + String.join(",", TOPICS) + "\n\n");
        };
        if (hasBaseline()) {
            opening.run();
            return;
        }
        // no stream was open: take the baseline before the first bytes, so that every change made
        // after the client saw the opening comment is reported
        vertx.executeBlocking(this::observe, false).onComplete(ar -> {
            if (ar.succeeded()) {
                baseline(ar.result());
            } else {
                System.err.println("evasan mgmt: event fingerprint failed: " + ar.cause());
            }
            c.context().runOnContext(v -> opening.run());
        });
    }

    private synchronized boolean hasBaseline() {
        return last != null;
    }

    private synchronized void baseline(Observation o) {
        if (last == null) {
            last = o.fingerprints();
            jobsWereRunning = o.jobRunning();
        }
    }

    private void tick() {
        if (clients.isEmpty()) {
            synchronized (this) {
                last = null;
                jobsWereRunning = false;
            }
            return;
        }
        if (!computing.compareAndSet(false, true)) {
            return; // the previous observation is still being computed
        }
        vertx.executeBlocking(this::observe, false).onComplete(ar -> {
            try {
                if (ar.succeeded()) {
                    publish(ar.result());
                } else {
                    System.err.println("evasan mgmt: event fingerprint failed: " + ar.cause());
                }
            } finally {
                computing.set(false);
            }
        });
    }

    private synchronized void publish(Observation o) {
        Map<String, String> prev = last;
        last = o.fingerprints();
        if (prev != null) {
            List<String> changed = new ArrayList<>();
            for (String t : TOPICS) {
                if (!o.fingerprints().get(t).equals(prev.get(t))) {
                    changed.add(t);
                }
            }
            if (!changed.isEmpty()) {
                broadcast(frame("changed", new JsonObject().put("topics", new JsonArray(changed))));
            }
        }
        long now = System.nanoTime();
        boolean due = now - lastJobsSentNanos >= (jobsMillis - tickMillis / 2) * 1_000_000L;
        if ((o.jobRunning() && due) || (jobsWereRunning && !o.jobRunning())) {
            broadcast(frame("jobs", o.jobs()));
            lastJobsSentNanos = now;
        }
        jobsWereRunning = o.jobRunning();
    }

    static Buffer frame(String event, JsonObject data) {
        // encode() is one line: no "data:" continuation needed
        return Buffer.buffer("event: " + event + "\ndata: " + data.encode() + "\n\n");
    }

    private void broadcast(Buffer b) {
        for (Client c : clients) {
            c.context().runOnContext(v -> {
                HttpServerResponse r = c.response();
                if (r.closed() || r.ended()) {
                    return;
                }
                if (r.writeQueueFull()) {
                    // a client that cannot keep up is dropped; it reconnects and reloads everything
                    r.reset();
                    return;
                }
                r.write(b);
            });
        }
    }

    // ---- fingerprints (worker thread) ----

    Observation observe() {
        Map<String, String> f = new LinkedHashMap<>();
        StringBuilder b = new StringBuilder();
        for (DiskGroupView g : cell.drives().diskGroups()) {
            b.append(g.id()).append(':').append(g.freePsegs()).append('/').append(g.totalPsegs())
                    .append(g.rebuildInProgress() ? 'R' : '-').append(g.resyncInProgress() ? 'S' : '-');
            for (DriveView d : g.drives()) {
                b.append(' ').append(d.index()).append('=').append(d.state()).append(',').append(d.usedPsegs());
            }
            b.append(';');
        }
        f.put("pool", b.toString());

        List<LunRecord> luns = controller.listLuns();
        List<Presentation> presentations = controller.listPresentations();
        List<SnapshotRecord> snapshots = controller.listSnapshots();
        b.setLength(0);
        for (LunRecord l : luns) {
            b.append(l.id()).append(':').append(l.name()).append(':').append(l.kind()).append(':')
                    .append(l.sizeBytes()).append(':').append(l.disk()).append(';');
        }
        for (Presentation p : presentations) {
            b.append(p.initiator()).append('@').append(p.hostLun()).append('=').append(p.lunId()).append(';');
        }
        f.put("luns", b.toString());

        b.setLength(0);
        for (SnapshotRecord s : snapshots) {
            b.append(s.name()).append(':').append(s.lunId()).append(':').append(s.disk()).append(':')
                    .append(s.snapclone()).append(';');
            for (Presentation p : presentations) {   // a snapshot's presentations are part of the snapshot
                if (p.lunId() == s.id()) {
                    b.append(p.initiator()).append('@').append(p.hostLun()).append(';');
                }
            }
        }
        f.put("snapshots", b.toString());

        JsonObject jobs = api.jobsBody();
        boolean running = false;
        b.setLength(0);
        for (Object o : jobs.getJsonArray("jobs")) {
            JsonObject j = (JsonObject) o;
            b.append(j.getString("id")).append(':').append(j.getString("state")).append(':')
                    .append(j.getValue("done")).append('/').append(j.getValue("total")).append(';');
            running |= "RUNNING".equals(j.getString("state"));
        }
        f.put("jobs", b.toString());

        io.evasan.nsc.api.CacheView cache = cell.controllers().cache();
        b.setLength(0);
        for (io.evasan.nsc.api.NscView v : cell.controllers().nscs()) {   // state, ownership, mirror, failovers
            b.append(v.id()).append(':').append(v.state()).append(':').append(v.ownedUnits()).append(':')
                    .append(v.mirrorLost()).append(':').append(v.takeovers()).append(':').append(v.lease()).append(';');
        }
        b.append(cell.controllers().drills().size());
        f.put("ownership", b.toString());
        f.put("controllers", cache.dirtyBytes() + ":" + cache.capacityBytes() + ":"
                + cell.backup().state().state() + ":" + b);
        // the schedules as GET /api/schedules shows them (next/last run, last snapshot and error included)
        f.put("schedules", api.schedulesBody().encode());
        // the seed-003 backup state as GET /api/backup shows it (log usage and copy progress included)
        f.put("backup", api.backupBody().encode());
        // the hosts as GET /api/hosts shows them (initiators, their LUNs, CHAP user names; unregistered initiators)
        f.put("hosts", api.hostsBody().encode());
        // the health model as GET /api/health shows it (every object's state and reason)
        // (one computation per tick, shared with the event watcher's)
        f.put("health", api.recentHealthBody(tickMillis).encode());
        // the event log's newest record: the Events page reloads when one is appended
        f.put("events", Long.toString(api.lastEventSeq()));
        return new Observation(f, jobs, running);
    }

    /** The body of the {@code jobs} frame now: the GET /api/jobs body. Blocks on the appliance objects: call it off the event loop. */
    public JsonObject jobsBody() {
        return api.jobsBody();
    }
}

package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mgmt.ManagementConfig;
import io.evasan.nsc.api.Volumes;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.nsc.api.BgCopyView;
import io.evasan.nsc.api.Cell;
import io.evasan.nsc.api.RebuildView;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The JSON API over the appliance objects: assembles the route classes of each area
 * ({@link PoolRoutes}, {@link JobRoutes}, {@link LunRoutes}, {@link SnapshotRoutes},
 * {@link HostRoutes}, {@link ControllerRoutes}, {@link PairRoutes}, {@link ScheduleRoutes}, {@link BackupRoutes}, {@link FabricRoutes}, {@link PerfRoutes}), runs
 * the background timer, and keeps what they share: handler registration ({@link #on}), answers
 * ({@link #send}, {@link #fail}), name and state helpers and common JSON shapes. Every handler runs
 * on a worker thread (the storage calls block), answers JSON, and reports failures through
 * {@link #fail}, the one place that turns an {@link ApiError} / {@link StorageException} into an
 * HTTP answer {@code {"error","field","code"}}.
 * Invariant: a request rejected with 4xx has changed nothing (validation precedes every mutation,
 * and the storage layers below promise the same for their own checks).
 */
public final class ApiRoutes {
    /** Names the API accepts for new LUNs and snapshots (safe in URL paths). */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    static final int MAX_HOST_LUN = 16383;

    private final Volumes controller;
    private final ManagementConfig config;
    private final ApplianceMeters meters;
    private final PoolRoutes poolRoutes;
    private final LunRoutes luns;
    private final SnapshotRoutes snapshots;
    private final ControllerRoutes controllers;
    private final PairRoutes pair;
    private final JobRoutes jobs;
    private final ScheduleRoutes schedules;
    private final BackupRoutes backup;
    private final HostRoutes hosts;
    private final FabricRoutes fabric;
    private final DestageRate destageRate;
    private final HealthRoutes health;
    private final SessionRoutes sessionRoutes;
    private final EventLog eventLog;
    private final EventWatcher eventWatcher;
    private final EventLogRoutes eventLogRoutes;
    private final AlertRoutes alerts;
    private final AlertDispatcher alertDispatcher;
    private final PerfRoutes perf;
    private java.util.concurrent.ScheduledExecutorService background;

    public ApiRoutes(Cell cell, ManagementConfig config, ApplianceMeters meters) {
        this.controller = cell.volumes();
        this.config = config;
        this.meters = meters;
        this.jobs = new JobRoutes(this, cell);
        this.schedules = new ScheduleRoutes(this, controller, config);
        this.backup = new BackupRoutes(this, cell);
        this.hosts = new HostRoutes(this, controller, config);
        this.destageRate = new DestageRate(() -> cell.controllers().cache().destagedBytes(), config.clock());
        this.poolRoutes = new PoolRoutes(this, cell.drives(), meters);
        this.luns = new LunRoutes(this, cell);
        this.snapshots = new SnapshotRoutes(this, luns, cell, config);
        this.controllers = new ControllerRoutes(this, cell, config, destageRate);
        this.pair = new PairRoutes(this, luns, cell.controllers(), cell.drives());
        this.fabric = new FabricRoutes(this, config, cell.volumes());
        this.health = new HealthRoutes(this, cell, config);
        this.eventLog = EventLog.open(cell.drives().poolDirectory().resolve("mgmt").resolve("events.log"), config.clock());
        this.eventWatcher = new EventWatcher(eventLog, () -> health.recent(config.backgroundTickMillis()), () -> cell.drives().diskGroups(),
                () -> cell.controllers().nscs(), g -> cell.drives().leveling(g));
        this.eventLogRoutes = new EventLogRoutes(this, eventLog, config.clock());
        this.sessionRoutes = new SessionRoutes(this, config, eventLog);
        this.alerts = new AlertRoutes(this, config);
        this.alertDispatcher = new AlertDispatcher(alerts::current, config.alertRetryMillis());
        eventLog.subscribe(alertDispatcher::onEvent);
        this.perf = new PerfRoutes(this, cell, config, meters.registry());
    }

    /**
     * Loads the stored snapshot schedules and starts the background timer (schedule ticks and the
     * destage-rate sample, both once a second by default).
     *
     * @throws StorageException CORRUPT_METADATA for a malformed stored schedule
     */
    public synchronized void startBackground() {
        schedules.load();
        hosts.load();
        fabric.load();
        alerts.load();
        java.util.concurrent.ScheduledExecutorService ex = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "evasan-mgmt-timer");
            t.setDaemon(true);
            return t;
        });
        eventWatcher.tick();   // the baseline: the state found at start is not an event
        long tick = config.backgroundTickMillis();
        // the history's files open on the timer thread, before its first tick: a first open generates code
        // (seconds) and the API must not wait for it
        ex.execute(() -> {
            try {
                perf.open();
            } catch (RuntimeException e) {
                System.err.println("evasan mgmt: performance history not kept: " + e);
            }
        });
        ex.scheduleWithFixedDelay(() -> {
            try {
                destageRate.sample();
                schedules.tick();
                perf.tick();
            } catch (RuntimeException e) {
                System.err.println("evasan mgmt: background tick: " + e);
            }
            try {
                eventWatcher.tick();
            } catch (RuntimeException e) {
                System.err.println("evasan mgmt: event watcher: " + e);
            }
        }, tick, tick, TimeUnit.MILLISECONDS);
        background = ex;
    }

    /** Stops the background timer (waits for a run in progress, at most 30 s). */
    public synchronized void stopBackground() {
        if (background == null) {
            eventLog.close();
            alertDispatcher.close();
            return;
        }
        background.shutdownNow();
        try {
            background.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        perf.close();
        background = null;
        eventLog.close();
        alertDispatcher.close();
    }

    /** The GET /api/jobs body, built now (for the console's event stream). Blocks briefly on the storage layers. */
    public JsonObject jobsBody() {
        return jobs.body();
    }

    /** True while any job in {@link #jobsBody()} is RUNNING or PAUSED. */
    public boolean jobsActive() {
        return jobs.jobs().stream().anyMatch(j -> j.getString("state").equals("RUNNING") || j.getString("state").equals("PAUSED"));
    }

    /** The GET /api/schedules body, built now (for the console's event stream). */
    JsonArray schedulesBody() {
        return schedules.all();
    }

    /** The GET /api/hosts body, built now (for the console's event stream). */
    JsonObject hostsBody() {
        return hosts.all();
    }

    /** The GET /api/fabric body, built now (for the console). @throws ApiError 404 without a fabric */
    JsonObject fabricBody() {
        return fabric.viewBody();
    }

    /** The GET /api/backup body, built now (for the console's event stream). */
    JsonObject backupBody() {
        return backup.state();
    }

    /** Runs the snapshot schedules that are due now (what the timer does each tick); returns how many ran. */
    public int runSchedules() {
        return schedules.tick();
    }

    /** Samples the performance meters and capacity into the history now, on the timer thread (after the history opened). */
    public void samplePerf() {
        java.util.concurrent.ScheduledExecutorService ex;
        synchronized (this) {
            ex = background;
        }
        if (ex == null) {
            throw new IllegalStateException("the background timer is not running");
        }
        try {
            ex.submit(perf::tick).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Registers the routes listed in openapi.json on {@code router} (auth and body handling are the caller's). */
    public void register(Router router) {
        poolRoutes.register(router);
        jobs.register(router);
        luns.register(router);
        snapshots.register(router);
        hosts.register(router);
        controllers.register(router);
        pair.register(router);
        schedules.register(router);
        backup.register(router);
        fabric.register(router);
        perf.register(router);
        health.register(router);
        eventLogRoutes.register(router);
        sessionRoutes.register(router);
        alerts.register(router);
    }

    /** The audit of management changes into the event log (a route handler for /api/*, after authentication). */
    public AuditTrail auditTrail() {
        return new AuditTrail(eventLog);
    }

    /** Logs a refused iSCSI login as a WARNING {@code login} event, on the background thread (when running). */
    public synchronized void loginRefused(String initiatorName, String remoteAddress, int status) {
        if (background == null) {
            return;
        }
        String who = initiatorName == null ? "" : "initiator " + initiatorName;
        String why = status == 0x0201 ? "authentication failure (CHAP)" : status == 0x0202 ? "authorization failure"
                : status == 0x0203 ? "target not found" : "status " + String.format("0x%04x", status);
        background.execute(() -> eventLog.append(EventRecordDescriptor.Severity.WARNING, "login", who, "",
                "iSCSI login refused from " + remoteAddress + ": " + why));
    }

    /** The sequence number of the event log's newest record (0 when empty). */
    long lastEventSeq() {
        return eventLog.lastSeq();
    }

    /** Logs what changed since the last call (the background timer's job; tests call it to avoid waiting). */
    public int watchEvents() {
        health.objects();   // afresh: the watcher then reads this computation, not one up to a tick old
        return eventWatcher.tick();
    }

    /** The {@code health} field of every object, keyed "kind/id" ({@link HealthRoutes}). */
    java.util.Map<String, JsonObject> healthByObject() {
        return health.byObject();
    }

    /** The GET /api/health body, built now (for the metrics). */
    public JsonObject healthBody() {
        return health.body(List.of());
    }

    /** The GET /api/health body over a computation at most {@code maxAgeMillis} old (the console's live stream). */
    JsonObject recentHealthBody(long maxAgeMillis) {
        return HealthRoutes.body(List.of(), health.recent(maxAgeMillis));
    }

    /**
     * A handler's answer: status and JSON body (null body = no content); {@code afterSent} (null: none) runs off the
     * event loop once the answer has been written to the connection (a drill that stops this very process).
     */
    record Reply(int status, Object body, Runnable afterSent) {
        Reply(int status, Object body) {
            this(status, body, null);
        }
    }

    void on(Router router, String method, String path, Function<RoutingContext, Reply> h) {
        router.route(io.vertx.core.http.HttpMethod.valueOf(method), path).blockingHandler(ctx -> {
            Reply r;
            try {
                r = h.apply(ctx);
            } catch (RuntimeException e) {
                fail(ctx, e);
                return;
            }
            io.vertx.core.Future<Void> sent = send(ctx, r.status(), r.body());
            if (r.afterSent() != null) {
                sent.onComplete(x -> {
                    Thread t = new Thread(r.afterSent(), "evasan-mgmt-after-answer");
                    t.setDaemon(true);
                    t.start();
                });
            }
        }, false);
    }

    io.vertx.core.Future<Void> send(RoutingContext ctx, int status, Object body) {
        meters.answered(status);
        if (body == null) {
            return ctx.response().setStatusCode(status).end();
        }
        String text = body instanceof JsonObject o ? o.encodePrettily() : ((JsonArray) body).encodePrettily();
        return ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(text);
    }

    /** A non-JSON answer (CSV export): counted like every other. */
    void sendText(RoutingContext ctx, int status, String contentType, String text) {
        meters.answered(status);
        ctx.response().setStatusCode(status).putHeader("content-type", contentType).end(text);
    }

    /** The one error answer: status from {@link ErrorStatus}, body {@code {"error","field"?,"code"?}}. */
    public void fail(RoutingContext ctx, Throwable t) {
        ApiError e;
        if (t instanceof ApiError a) {
            e = a;
        } else if (t instanceof StorageException s) {
            e = new ApiError(s, null);
        } else {
            e = new ApiError(500, "internal error: " + t, null);
        }
        JsonObject b = new JsonObject().put("error", e.getMessage());
        if (e.field() != null) {
            b.put("field", e.field());
        }
        if (e.code() != null) {
            b.put("code", e.code());
        }
        if (e.details() != null) {
            b.mergeIn(e.details());
        }
        send(ctx, e.status(), b);
    }

    // ---- shared JSON shapes and helpers of the route classes ----

    static JsonObject rebuild(RebuildView r) {
        JsonObject o = new JsonObject().put("type", "rebuild").put("group", r.group())
                .put("done", r.done()).put("total", r.total()).put("unit", "64 KiB rows")
                .put("membersRebuilt", r.membersRebuilt()).put("finished", r.finished())
                .put("unrecoverableRsds", new JsonArray(List.copyOf(r.unrecoverable())));
        if (r.failure() != null) {
            o.put("failure", r.failure().toString());
        }
        return o;
    }

    static JsonObject bgcopy(BgCopyView p) {
        return new JsonObject().put("disk", p.disk()).put("done", p.done()).put("total", p.total())
                .put("unit", "segments").put("state", p.state().name());
    }

    String lunName(int id) {
        return unitNames().get(id);
    }

    /** Unit id to name: every LUN and snapshot (a presented snapshot is a unit too; ids share one space). */
    java.util.Map<Integer, String> unitNames() {
        java.util.Map<Integer, String> m = new java.util.HashMap<>();
        for (LunRecord l : controller.listLuns()) {
            m.put(l.id(), l.name());
        }
        for (SnapshotRecord s : controller.listSnapshots()) {
            m.putIfAbsent(s.id(), s.name());
        }
        return m;
    }

    /**
     * Presents the LUN or snapshot with unit id {@code id} (as a presentation names it) to
     * {@code initiator} at {@code hostLun}: what moving a presentation to another initiator needs.
     *
     * @throws StorageException NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT
     */
    void presentUnit(String initiator, int hostLun, int id) {
        for (LunRecord l : controller.listLuns()) {
            if (l.id() == id) {
                controller.presentLun(initiator, hostLun, l.name());
                return;
            }
        }
        for (SnapshotRecord s : controller.listSnapshots()) {
            if (s.id() == id) {
                controller.presentSnapshot(initiator, hostLun, s.name());
                return;
            }
        }
        throw new StorageException(ErrorCode.NOT_FOUND, "no LUN or snapshot with id " + id);
    }

    /**
     * The {@code force} query parameter of a destructive request: absent or {@code false}: not forced; {@code true}:
     * forced. @throws ApiError 400 naming {@code force} for any other value
     */
    static boolean force(RoutingContext ctx) {
        List<String> v = ctx.queryParam("force");
        if (v.isEmpty()) {
            return false;
        }
        if (v.size() == 1 && (v.get(0).equals("true") || v.get(0).equals("false"))) {
            return v.get(0).equals("true");
        }
        throw ApiError.badRequest("force", "query parameter 'force' must be true or false, not " + String.join(",", v));
    }

    /**
     * A destructive change refused because the LUN is in use, as a 409 blaming {@code force} (what the client sends to
     * do it anyway), with {@code lun}, {@code presentations} (initiator, host LUN, the unit shown, the registered host
     * owning the initiator or null) and {@code snapshots} in the body.
     */
    ApiError inUse(io.evasan.nsc.lun.LunInUseException e) {
        java.util.Map<Integer, String> names = unitNames();
        JsonArray pres = new JsonArray();
        for (io.evasan.nsc.lun.Presentation p : e.presentations()) {
            pres.add(new JsonObject().put("initiator", p.initiator()).put("hostLun", p.hostLun())
                    .put("unit", names.get(p.lunId())).put("host", hosts.hostOf(p.initiator())));
        }
        return new ApiError(409, e.getMessage(), "force", e.code().name(), new JsonObject().put("lun", e.lun())
                .put("presentations", pres).put("snapshots", new JsonArray(e.snapshots())));
    }

    static String name(JsonObject o, String field) {
        String n = Json.string(o, field);
        if (!NAME.matcher(n).matches()) {
            throw ApiError.badRequest(field, "field '" + field + "' must match " + NAME.pattern());
        }
        return n;
    }

    /** Adds {@code state} ("online" or "quarantined") and, when quarantined, {@code reason} and {@code repair}. */
    void putState(JsonObject o, String quarantineId) {
        for (io.evasan.nsc.api.QuarantineEntry q : controller.quarantine()) {
            if (q.id().equals(quarantineId)) {
                o.put("state", "quarantined").put("reason", q.reason()).put("repair", q.repair());
                return;
            }
        }
        o.put("state", "online");
    }
}

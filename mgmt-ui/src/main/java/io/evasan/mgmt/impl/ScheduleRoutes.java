package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mgmt.ManagementConfig;
import io.evasan.nsc.api.Records;
import io.evasan.nsc.api.Volumes;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.nsc.marker.SnapshotMarker;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * Snapshot schedules: every {@code intervalSeconds} a snapshot (or snapclone) of a LUN named
 * {@code <schedule>-<yyyyMMdd-HHmmss>} (UTC) through {@link Volumes#snapshot} (a cache marker, so it
 * holds exactly the writes acknowledged before the run); after a run that took its snapshot, the
 * oldest snapshots of that schedule beyond {@code keep} are deleted.
 *
 * <p>Invariants: a schedule exists in memory only after its record ({@link ScheduleDescriptor}) is
 * committed to the MLD (kind {@value #KIND}) or its file is renamed into place; schedules are loaded at
 * start and keep their phase across restarts (next run = last run, or creation, + interval; an overdue
 * schedule runs at the first tick). Runs happen on {@link #tick()}, called by a timer once a second
 * (tests call it directly with a manual clock); a run's failure is reported in {@code lastError} and
 * the schedule stays. Only snapshots whose names match the schedule's pattern and whose LUN is the
 * schedule's are ever deleted by retention.
 */
public final class ScheduleRoutes {
    public static final String KIND = "mgmt.schedule";
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,111}");
    static final long MIN_INTERVAL = 60;
    static final long MAX_INTERVAL = 31_536_000;
    static final int MAX_KEEP = 256;
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final ApiRoutes api;
    private final Volumes controller;
    private final ManagementConfig config;
    private final LongSupplier clock;
    private final RecordStore store;
    private final Map<String, Schedule> schedules = new TreeMap<>();
    private final Object runLock = new Object();

    /** A schedule and its run state. */
    private static final class Schedule {
        ScheduleDescriptor.Stored stored;
        String lastSnapshot;
        String lastError;

        Schedule(ScheduleDescriptor.Stored s) {
            this.stored = s;
        }

        long nextRun() {
            long base = stored.lastRunMillis() >= 0 ? stored.lastRunMillis() : stored.createdMillis();
            return ScheduleRoutes.nextRun(base, stored.intervalSeconds(), stored.atMinute());
        }
    }

    /**
     * The first run after {@code base}: {@code base} + the interval without a time of day; with one, the first time
     * after {@code base} that is that time of day (UTC) plus a whole number of intervals (daily at 02:00; hourly at :15).
     */
    static long nextRun(long base, long intervalSeconds, int atMinute) {
        long period = intervalSeconds * 1000;
        if (atMinute < 0) {
            return base + period;
        }
        long phase = Math.floorMod(atMinute * 60_000L, period);
        return base - Math.floorMod(base - phase, period) + period;
    }

    /** "HH:MM" of a time of day in minutes, null for none. */
    static String timeOfDay(int atMinute) {
        return atMinute < 0 ? null : String.format("%02d:%02d", atMinute / 60, atMinute % 60);
    }

    /** The time of day of field {@code at} ("HH:MM", UTC), -1 when null; 400 naming the field otherwise. */
    static int atMinute(JsonObject b) {
        Object v = b.getValue("at");
        if (v == null) {
            return -1;
        }
        java.util.regex.Matcher m = v instanceof String ? Pattern.compile("([01]\\d|2[0-3]):([0-5]\\d)").matcher((String) v) : null;
        if (m == null || !m.matches()) {
            throw ApiError.badRequest("at", "field 'at' must be a time of day HH:MM (UTC, 00:00..23:59) or null, not " + v);
        }
        return Integer.parseInt(m.group(1)) * 60 + Integer.parseInt(m.group(2));
    }

    ScheduleRoutes(ApiRoutes api, Volumes controller, ManagementConfig config) {
        this.api = api;
        this.controller = controller;
        this.config = config;
        this.clock = config.clock();
        Records mld = config.records();
        this.store = new RecordStore(mld, KIND);
    }

    void register(Router router) {
        api.on(router, "GET", "/api/schedules", this::list);
        api.on(router, "POST", "/api/schedules", this::create);
        api.on(router, "GET", "/api/schedules/:name", ctx -> new ApiRoutes.Reply(200, json(param(ctx))));
        api.on(router, "PATCH", "/api/schedules/:name", this::update);
        api.on(router, "DELETE", "/api/schedules/:name", this::delete);
    }

    // ---- persistence ----

    /**
     * Loads the stored schedules (replacing what is in memory).
     *
     * @throws StorageException CORRUPT_METADATA for a malformed record (nothing loaded), IO_ERROR
     */
    public synchronized void load() {
        schedules.clear();
        List<byte[]> records = store.loadAll();
        Map<String, Schedule> loaded = new TreeMap<>();
        for (byte[] r : records) {
            ScheduleDescriptor.Stored s = ScheduleDescriptor.decode(r);
            Schedule sc = new Schedule(s);
            sc.lastSnapshot = newestTaken(s);
            loaded.put(s.name(), sc);
        }
        schedules.putAll(loaded);
    }

    private void store(ScheduleDescriptor.Stored s) {
        store.put(s.name(), ScheduleDescriptor.encode(s));
    }

    private void unstore(String name) {
        store.remove(name);
    }

    // ---- runs ----

    /**
     * Runs every schedule that is due at the clock's now; returns how many ran. Runs are serialized
     * (timer and callers); the schedule table is locked only to pick and record runs, not while a
     * snapshot marker waits behind cached writes, so the API keeps answering meanwhile.
     */
    public int tick() {
        synchronized (runLock) {
            long now = clock.getAsLong();
            List<Schedule> due = new ArrayList<>();
            synchronized (this) {
                for (Schedule sc : schedules.values()) {
                    if (sc.nextRun() <= now && record(sc, now)) {
                        due.add(sc);
                    }
                }
            }
            for (Schedule sc : due) {
                run(sc, now);
            }
            return due.size();
        }
    }

    /** Records the run in the store first: a crash mid-run does not repeat it at once after a restart. */
    private boolean record(Schedule sc, long now) {
        ScheduleDescriptor.Stored s = sc.stored;
        ScheduleDescriptor.Stored next = s.ranAt(now);
        try {
            store(next);
            sc.stored = next;
            return true;
        } catch (StorageException e) {
            sc.lastError = "cannot record the run: " + e.getMessage();
            return false;
        }
    }

    private void run(Schedule sc, long now) {
        ScheduleDescriptor.Stored s = sc.stored;
        String snap = s.name() + "-" + STAMP.format(Instant.ofEpochMilli(now));
        String error = null;
        try {
            SnapshotMarker m = controller.snapshot(s.lun(), snap, s.snapclone());
            m.taken().get(config.snapshotTimeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (StorageException e) {
            error = e.code() + ": " + e.getMessage();
        } catch (TimeoutException e) {
            error = "snapshot " + snap + " still queued behind cached writes after "
                    + config.snapshotTimeoutMillis() + " ms; retention skipped this run";
        } catch (ExecutionException e) {
            error = "snapshot " + snap + " failed: " + e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error = "interrupted while waiting for snapshot " + snap;
        }
        synchronized (this) {
            if (schedules.get(s.name()) != sc) {
                return;   // deleted meanwhile: its snapshots stay
            }
            sc.lastError = error;
            if (error == null) {
                sc.lastSnapshot = snap;
                retain(sc);
            }
        }
    }

    /** Deletes the oldest snapshots of the schedule beyond {@code keep}. */
    private void retain(Schedule sc) {
        List<SnapshotRecord> mine = taken(sc.stored);
        for (int i = 0; i < mine.size() - sc.stored.keep(); i++) {
            try {
                controller.deleteSnapshot(mine.get(i).name());
            } catch (StorageException e) {
                if (e.code() != ErrorCode.NOT_FOUND) {
                    sc.lastError = "retention: cannot delete " + mine.get(i).name() + ": " + e.getMessage();
                }
            }
        }
    }

    /** The schedule's snapshots, oldest first. */
    private List<SnapshotRecord> taken(ScheduleDescriptor.Stored s) {
        LunRecord lun;
        try {
            lun = controller.lun(s.lun());
        } catch (StorageException e) {
            return List.of();
        }
        Pattern p = Pattern.compile(Pattern.quote(s.name()) + "-\\d{8}-\\d{6}");
        List<SnapshotRecord> out = new ArrayList<>();
        for (SnapshotRecord r : controller.listSnapshots()) {
            if (r.lunId() == lun.id() && p.matcher(r.name()).matches()) {
                out.add(r);
            }
        }
        out.sort(Comparator.comparing(SnapshotRecord::name).thenComparingLong(SnapshotRecord::createdMillis));
        return out;
    }

    private String newestTaken(ScheduleDescriptor.Stored s) {
        List<SnapshotRecord> t = taken(s);
        return t.isEmpty() ? null : t.get(t.size() - 1).name();
    }

    // ---- handlers ----

    private synchronized JsonObject json(Schedule sc) {
        ScheduleDescriptor.Stored s = sc.stored;
        return new JsonObject().put("name", s.name()).put("lun", s.lun()).put("intervalSeconds", s.intervalSeconds())
                .put("keep", s.keep()).put("snapclone", s.snapclone()).put("at", timeOfDay(s.atMinute()))
                .put("nextRunMillis", sc.nextRun())
                .put("lastRunMillis", s.lastRunMillis() >= 0 ? s.lastRunMillis() : null)
                .put("lastSnapshot", sc.lastSnapshot).put("lastError", sc.lastError);
    }

    private synchronized Schedule param(RoutingContext ctx) {
        Schedule sc = schedules.get(ctx.pathParam("name"));
        if (sc == null) {
            throw new ApiError(404, "no schedule named '" + ctx.pathParam("name") + "'", "name");
        }
        return sc;
    }

    private ApiRoutes.Reply list(RoutingContext ctx) {
        return new ApiRoutes.Reply(200, all());
    }

    /** Every schedule as GET /api/schedules shows it, by name. */
    synchronized JsonArray all() {
        JsonArray a = new JsonArray();
        for (Schedule sc : schedules.values()) {
            a.add(json(sc));
        }
        return a;
    }

    private synchronized ApiRoutes.Reply create(RoutingContext ctx) {
        JsonObject b = Json.body(ctx, Set.of("name", "lun", "intervalSeconds", "keep", "snapclone", "at"));
        String name = Json.string(b, "name");
        if (!NAME.matcher(name).matches()) {
            throw ApiError.badRequest("name", "field 'name' must match " + NAME.pattern()
                    + " (snapshots are named <name>-yyyyMMdd-HHmmss)");
        }
        String lunName = Json.string(b, "lun");
        long interval = Json.integer(b, "intervalSeconds", MIN_INTERVAL, MAX_INTERVAL);
        int keep = (int) Json.integer(b, "keep", 1, MAX_KEEP);
        boolean clone = Json.optionalBoolean(b, "snapclone", false);
        int at = atMinute(b);
        LunRecord lun;
        try {
            lun = controller.lun(lunName);
        } catch (StorageException e) {
            throw new ApiError(e, "lun");
        }
        if (lun.kind() != LunRecord.Kind.PRIMARY) {
            throw ApiError.badRequest("lun", "LUN " + lunName + " is the log LUN; it has no snapshots");
        }
        if (schedules.containsKey(name)) {
            throw new ApiError(409, "a schedule named '" + name + "' already exists", "name");
        }
        ScheduleDescriptor.Stored s = new ScheduleDescriptor.Stored(name, lunName, interval, keep, clone,
                clock.getAsLong(), -1, at);
        store(s);
        Schedule sc = new Schedule(s);
        schedules.put(name, sc);
        ctx.response().putHeader("location", "/api/schedules/" + name);
        return new ApiRoutes.Reply(201, json(sc));
    }

    /**
     * PATCH: changes the interval, the count kept, snapclone and the time of day ({@code "at": null} removes it) of a
     * schedule; fields left out stay. The phase is kept (the next run follows from the last run, or creation); a
     * smaller {@code keep} deletes the surplus snapshots at the next run. All fields are checked before anything is
     * stored.
     */
    private synchronized ApiRoutes.Reply update(RoutingContext ctx) {
        Schedule sc = param(ctx);
        JsonObject b = Json.body(ctx, Set.of("intervalSeconds", "keep", "snapclone", "at"));
        ScheduleDescriptor.Stored s = sc.stored;
        long interval = b.containsKey("intervalSeconds") ? Json.integer(b, "intervalSeconds", MIN_INTERVAL, MAX_INTERVAL)
                : s.intervalSeconds();
        int keep = b.containsKey("keep") ? (int) Json.integer(b, "keep", 1, MAX_KEEP) : s.keep();
        boolean clone = Json.optionalBoolean(b, "snapclone", s.snapclone());
        int at = b.containsKey("at") ? atMinute(b) : s.atMinute();
        ScheduleDescriptor.Stored next = new ScheduleDescriptor.Stored(s.name(), s.lun(), interval, keep, clone,
                s.createdMillis(), s.lastRunMillis(), at);
        store(next);
        sc.stored = next;
        return new ApiRoutes.Reply(200, json(sc));
    }

    private synchronized ApiRoutes.Reply delete(RoutingContext ctx) {
        Schedule sc = param(ctx);
        unstore(sc.stored.name());
        schedules.remove(sc.stored.name());
        return new ApiRoutes.Reply(204, null);
    }
}

package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mgmt.ManagementConfig;
import io.evasan.nsc.api.Volumes;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.nsc.marker.SnapshotMarker;
import io.evasan.nsc.api.BgCopyView;
import io.evasan.nsc.api.Cell;
import io.evasan.nsc.api.DiskGroupView;
import io.evasan.nsc.api.DriveFile;
import io.evasan.nsc.api.DriveStatus;
import io.evasan.nsc.api.DriveView;
import io.evasan.nsc.api.Drives;
import io.evasan.nsc.api.RebuildView;
import io.evasan.nsc.api.TreeDiskView;
import io.evasan.nsc.api.Trees;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The JSON API over the appliance objects. Every handler runs on a worker thread (the storage calls
 * block), answers JSON, and reports failures through {@link #fail}, the one place that turns an
 * {@link ApiError} / {@link StorageException} into an HTTP answer {@code {"error","field","code"}}.
 * Invariant: a request rejected with 4xx has changed nothing (validation precedes every mutation,
 * and the storage layers below promise the same for their own checks).
 */
public final class ApiRoutes {
    /** Names the API accepts for new LUNs and snapshots (safe in URL paths). */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private static final int MAX_HOST_LUN = 16383;

    private final Cell cell;
    private final Drives pool;
    private final Trees trees;
    private final Volumes controller;
    private final ManagementConfig config;
    private final ApplianceMeters meters;
    private final JobRoutes jobs;
    private final ScheduleRoutes schedules;
    private final BackupRoutes backup;
    private final HostRoutes hosts;
    private final DestageRate destageRate;
    private java.util.concurrent.ScheduledExecutorService background;

    public ApiRoutes(Cell cell, ManagementConfig config, ApplianceMeters meters) {
        this.cell = cell;
        this.pool = cell.drives();
        this.trees = cell.trees();
        this.controller = cell.volumes();
        this.config = config;
        this.meters = meters;
        this.jobs = new JobRoutes(this, cell);
        this.schedules = new ScheduleRoutes(this, controller, config);
        this.backup = new BackupRoutes(this, cell);
        this.hosts = new HostRoutes(this, controller, config);
        this.destageRate = new DestageRate(() -> cell.controllers().cache().destagedBytes(), config.clock());
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
        java.util.concurrent.ScheduledExecutorService ex = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "evasan-mgmt-timer");
            t.setDaemon(true);
            return t;
        });
        long tick = config.backgroundTickMillis();
        ex.scheduleWithFixedDelay(() -> {
            try {
                destageRate.sample();
                schedules.tick();
            } catch (RuntimeException e) {
                System.err.println("evasan mgmt: background tick: " + e);
            }
        }, tick, tick, TimeUnit.MILLISECONDS);
        background = ex;
    }

    /** Stops the background timer (waits for a run in progress, at most 30 s). */
    public synchronized void stopBackground() {
        if (background == null) {
            return;
        }
        background.shutdownNow();
        try {
            background.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        background = null;
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

    /** The GET /api/backup body, built now (for the console's event stream). */
    JsonObject backupBody() {
        return backup.state();
    }

    /** Runs the snapshot schedules that are due now (what the timer does each tick); returns how many ran. */
    public int runSchedules() {
        return schedules.tick();
    }

    /** Registers the routes listed in openapi.json on {@code router} (auth and body handling are the caller's). */
    public void register(Router router) {
        on(router, "GET", "/api/pool", this::getPool);
        on(router, "POST", "/api/pool/groups/:group/drives", this::addDrive);
        on(router, "POST", "/api/pool/groups", this::createGroup);
        on(router, "POST", "/api/pool/groups/:group/drives/:drive/remove", this::removeDrive);
        on(router, "POST", "/api/pool/groups/:group/drives/:drive/fail", this::failDrive);
        on(router, "POST", "/api/pool/groups/:group/drives/:drive/restore", this::restoreDrive);
        jobs.register(router);
        on(router, "GET", "/api/luns", this::listLuns);
        on(router, "POST", "/api/luns", this::createLun);
        on(router, "GET", "/api/luns/:name", this::getLun);
        on(router, "PATCH", "/api/luns/:name", this::resizeLun);
        on(router, "DELETE", "/api/luns/:name", this::deleteLun);
        on(router, "POST", "/api/luns/:name/present", this::present);
        on(router, "POST", "/api/luns/:name/unpresent", this::unpresent);
        on(router, "POST", "/api/luns/:name/snapshots", this::snapshot);
        on(router, "GET", "/api/luns/:name/tree", this::tree);
        on(router, "POST", "/api/luns/:name/rollback", this::rollback);
        on(router, "GET", "/api/snapshots", this::listSnapshots);
        on(router, "DELETE", "/api/snapshots/:name", this::deleteSnapshot);
        on(router, "POST", "/api/snapshots/:name/present", this::presentSnapshot);
        on(router, "POST", "/api/snapshots/:name/unpresent", this::unpresentSnapshot);
        on(router, "POST", "/api/snapshots/:name/bgcopy/pause", ctx -> bgcopyControl(ctx, true));
        on(router, "POST", "/api/snapshots/:name/bgcopy/resume", ctx -> bgcopyControl(ctx, false));
        on(router, "GET", "/api/quarantine", this::listQuarantine);
        on(router, "POST", "/api/quarantine/:id/repair", this::repairQuarantined);
        hosts.register(router);
        on(router, "GET", "/api/controllers", this::controllers);
        schedules.register(router);
        backup.register(router);
    }

    /** A handler's answer: status and JSON body (null body = no content). */
    record Reply(int status, Object body) {
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
            send(ctx, r.status(), r.body());
        }, false);
    }

    void send(RoutingContext ctx, int status, Object body) {
        meters.answered(status);
        if (body == null) {
            ctx.response().setStatusCode(status).end();
        } else {
            String text = body instanceof JsonObject o ? o.encodePrettily() : ((JsonArray) body).encodePrettily();
            ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(text);
        }
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

    // ---- pool, drills, jobs ----

    private Reply getPool(RoutingContext ctx) {
        JsonArray groups = new JsonArray();
        for (DiskGroupView g : pool.diskGroups()) {
            groups.add(group(g));
        }
        return new Reply(200, new JsonObject().put("id", pool.poolId()).put("groups", groups));
    }

    private JsonObject group(DiskGroupView g) {
        JsonArray drives = new JsonArray();
        for (DriveView d : g.drives()) {
            drives.add(drive(d));
        }
        long total = g.totalPsegs();
        long free = g.freePsegs();
        return new JsonObject().put("id", g.id()).put("name", g.name())
                .put("totalPsegs", total).put("freePsegs", free).put("usedPsegs", total - free)
                .put("psegBytes", 2L << 20)
                .put("rebuildInProgress", g.rebuildInProgress()).put("resyncInProgress", g.resyncInProgress())
                .put("drives", drives);
    }

    private static JsonObject drive(DriveView d) {
        return new JsonObject().put("index", d.index()).put("driveId", d.driveId().toString())
                .put("path", d.path().toString()).put("state", d.state().name())
                .put("capacityBytes", d.capacity()).put("psegCount", d.psegCount()).put("usedPsegs", d.usedPsegs())
                .put("rssId", d.rssId()).put("rssSlot", d.rssSlot());
    }

    private DiskGroupView groupParam(RoutingContext ctx) {
        int id = Json.pathInt(ctx, "group");
        for (DiskGroupView g : pool.diskGroups()) {
            if (g.id() == id) {
                return g;
            }
        }
        throw new ApiError(404, "no disk group with id " + id, "group");
    }

    private static DriveView driveParam(RoutingContext ctx, DiskGroupView g) {
        int index = Json.pathInt(ctx, "drive");
        for (DriveView d : g.drives()) {
            if (d.index() == index && d.state() != DriveStatus.REMOVED) {
                return d;
            }
        }
        throw new ApiError(404, "disk group " + g.name() + " has no drive " + index, "drive");
    }

    /** Smallest and largest drive the API creates (a sparse file under the pool directory). */
    static final long MIN_DRIVE_BYTES = 64L << 20;
    static final long MAX_DRIVE_BYTES = 64L << 40;

    private Reply addDrive(RoutingContext ctx) {
        DiskGroupView g = groupParam(ctx);
        JsonObject b = Json.body(ctx, Set.of("sizeBytes"));
        long size = Json.integer(b, "sizeBytes", MIN_DRIVE_BYTES, MAX_DRIVE_BYTES);
        if (size % (1 << 20) != 0) {
            throw ApiError.badRequest("sizeBytes", "field 'sizeBytes' must be a multiple of 1 MiB");
        }
        synchronized (this) {
            String rel = null;
            for (int n = 0; n < 10_000; n++) {
                String candidate = String.format("drives/g%d-api%02d.img", g.id(), n);
                if (!java.nio.file.Files.exists(pool.poolDirectory().resolve(candidate))) {
                    rel = candidate;
                    break;
                }
            }
            if (rel == null) {
                throw new ApiError(409, "no free drive file name under " + pool.poolDirectory().resolve("drives"), "group");
            }
            java.nio.file.Path file = pool.poolDirectory().resolve(rel);
            DriveFiles.checkFits(file.getParent(), new long[] {size}, "sizeBytes");
            DriveFiles.Undo undo = DriveFiles.track(pool.poolDirectory(), List.of(file));
            DriveView added;
            try {
                added = pool.addDrive(g.id(), new DriveFile(rel, size));
            } catch (RuntimeException e) {
                undo.rollback();   // a failed add leaves no drive file behind
                if (e instanceof StorageException se) {
                    throw new ApiError(se, "sizeBytes");
                }
                throw e;
            }
            return new Reply(201, drive(added));
        }
    }

    /** Group names: a LUN-style name of at most 32 characters (a disk group label holds 32 ASCII bytes). */
    static final Pattern GROUP_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,31}");
    static final int MIN_GROUP_DRIVES = 6;
    static final int MAX_GROUP_DRIVES = 12;

    private Reply createGroup(RoutingContext ctx) {
        JsonObject b = Json.body(ctx, Set.of("name", "drives", "driveSizeBytes"));
        String name = Json.string(b, "name");
        if (!GROUP_NAME.matcher(name).matches()) {
            throw ApiError.badRequest("name", "field 'name' must match " + GROUP_NAME.pattern());
        }
        int n = (int) Json.integer(b, "drives", MIN_GROUP_DRIVES, MAX_GROUP_DRIVES);
        long[] sizes = new long[n];
        Object sv = b.getValue("driveSizeBytes");
        if (sv instanceof JsonArray a) {
            if (a.size() != n) {
                throw ApiError.badRequest("driveSizeBytes", "field 'driveSizeBytes' lists " + a.size()
                        + " sizes for " + n + " drives");
            }
            for (int i = 0; i < n; i++) {
                sizes[i] = driveSize(new JsonObject().put("driveSizeBytes", a.getValue(i)));
            }
        } else {
            java.util.Arrays.fill(sizes, driveSize(b));
        }
        synchronized (this) {
            for (DiskGroupView g : pool.diskGroups()) {
                if (g.name().equals(name)) {
                    throw new ApiError(409, "disk group " + name + " already exists", "name");
                }
            }
            java.util.List<DriveFile> drives = new java.util.ArrayList<>();
            java.util.List<java.nio.file.Path> files = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                drives.add(new DriveFile(String.format("drives/group-%s/d%02d.img", name, i), sizes[i]));
                files.add(pool.poolDirectory().resolve(drives.get(i).path()));
            }
            DriveFiles.checkFits(pool.poolDirectory().resolve("drives"), sizes, "driveSizeBytes");
            DriveFiles.Undo undo = DriveFiles.track(pool.poolDirectory(), files);
            DiskGroupView g;
            try {
                g = pool.createDiskGroup(name, drives);
            } catch (RuntimeException e) {
                undo.rollback();   // a failed create leaves no drive file or directory behind
                if (!(e instanceof StorageException)) {
                    throw e;
                }
                StorageException se = (StorageException) e;
                switch (se.code()) {
                    case ALREADY_EXISTS -> throw new ApiError(se, "name");
                    case DUPLICATE_DRIVE, FOREIGN_POOL -> throw new ApiError(409, e.getMessage(), "name");
                    case DRIVE_TOO_SMALL -> throw ApiError.badRequest("driveSizeBytes", e.getMessage());
                    default -> throw new ApiError(se, null);
                }
            }
            meters.groupAdded(g);
            ctx.response().putHeader("Location", "/api/pool");
            return new Reply(201, group(g));
        }
    }

    private static long driveSize(JsonObject b) {
        long size = Json.integer(b, "driveSizeBytes", MIN_DRIVE_BYTES, MAX_DRIVE_BYTES);
        if (size % (1 << 20) != 0) {
            throw ApiError.badRequest("driveSizeBytes", "field 'driveSizeBytes' must be a multiple of 1 MiB");
        }
        return size;
    }

    private Reply removeDrive(RoutingContext ctx) {
        DiskGroupView g = groupParam(ctx);
        DriveView d = driveParam(ctx, g);
        long left = g.drives().stream().filter(x -> x.rssId() == d.rssId() && x.state() != DriveStatus.REMOVED).count() - 1;
        if (left < 6) {
            throw new ApiError(409, "removing drive " + d.index() + " would leave its RSS " + d.rssId() + " with " + left
                    + " drives; at least 6 are needed", "drive");
        }
        try {
            pool.removeDrive(g.id(), d.index());
        } catch (StorageException e) {
            throw new ApiError(e, "drive");
        }
        for (DriveView x : pool.diskGroup(g.id()).map(DiskGroupView::drives).orElse(List.of())) {
            if (x.index() == d.index()) {
                return new Reply(200, drive(x));
            }
        }
        // the group no longer lists the drive: removeDrive returned, so it is removed
        return new Reply(200, drive(d.removed()));
    }

    private Reply failDrive(RoutingContext ctx) {
        DiskGroupView g = groupParam(ctx);
        DriveView d = driveParam(ctx, g);
        if (d.state() != DriveStatus.AVAILABLE) {
            throw new ApiError(409, "drive " + d.index() + " is " + d.state() + ", not AVAILABLE", "drive");
        }
        try {
            pool.failDrive(g.id(), d.index());
        } catch (StorageException e) {
            throw new ApiError(e, "drive");
        }
        return new Reply(200, drive(current(g, d.index())));
    }

    private Reply restoreDrive(RoutingContext ctx) {
        DiskGroupView g = groupParam(ctx);
        DriveView d = driveParam(ctx, g);
        if (d.state() == DriveStatus.AVAILABLE) {
            throw new ApiError(409, "drive " + d.index() + " is AVAILABLE; only FAILED or MISSING drives are restored", "drive");
        }
        RebuildView r;
        try {
            r = pool.restoreDrive(g.id(), d.index());
        } catch (StorageException e) {
            throw new ApiError(e, "drive");
        }
        return new Reply(202, new JsonObject().put("drive", drive(current(g, d.index())))
                .put("rebuild", rebuild(r)));
    }

    private DriveView current(DiskGroupView g, int index) {
        for (DriveView d : pool.diskGroup(g.id()).map(DiskGroupView::drives).orElse(List.of())) {
            if (d.index() == index) {
                return d;
            }
        }
        throw new StorageException(ErrorCode.NOT_FOUND, "drive " + index + " left disk group " + g.name());
    }

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

    // ---- LUNs ----

    String lunName(int id) {
        for (LunRecord l : controller.listLuns()) {
            if (l.id() == id) {
                return l.name();
            }
        }
        for (SnapshotRecord s : controller.listSnapshots()) {   // a presented snapshot (ids share one space)
            if (s.id() == id) {
                return s.name();
            }
        }
        return null;
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

    private JsonObject lun(LunRecord l) {
        JsonArray pres = new JsonArray();
        for (Presentation p : controller.listPresentations()) {
            if (p.lunId() == l.id()) {
                pres.add(new JsonObject().put("initiator", p.initiator()).put("hostLun", p.hostLun()));
            }
        }
        JsonArray snaps = new JsonArray();
        for (SnapshotRecord s : controller.listSnapshots()) {
            if (s.lunId() == l.id()) {
                snaps.add(s.name());
            }
        }
        JsonObject o = new JsonObject().put("id", l.id()).put("name", l.name()).put("kind", l.kind().name())
                .put("sizeBytes", l.sizeBytes()).put("serial", l.serialNumber()).put("disk", l.disk());
        putState(o, "lun-" + l.id());
        if (l.disk() >= 0) {
            try {
                o.put("group", trees.diskGroupOf(l.disk()));
            } catch (StorageException e) {
                // the LUN's disk is gone from the trees (deleted concurrently): no group to show
            }
        }
        return o.put("presentations", pres).put("snapshots", snaps);
    }

    private LunRecord lunParam(RoutingContext ctx) {
        controller.promoteDetachedSnapclones();   // a snapclone that just finished answers as its LUN at once
        try {
            return controller.lun(ctx.pathParam("name"));
        } catch (StorageException e) {
            throw new ApiError(e, "name");
        }
    }

    private Reply listLuns(RoutingContext ctx) {
        controller.promoteDetachedSnapclones();
        JsonArray a = new JsonArray();
        for (LunRecord l : controller.listLuns()) {
            a.add(lun(l));
        }
        return new Reply(200, a);
    }

    private Reply getLun(RoutingContext ctx) {
        return new Reply(200, lun(lunParam(ctx)));
    }

    static String name(JsonObject o, String field) {
        String n = Json.string(o, field);
        if (!NAME.matcher(n).matches()) {
            throw ApiError.badRequest(field, "field '" + field + "' must match " + NAME.pattern());
        }
        return n;
    }

    static final long MIN_LUN_BYTES = 1L << 20;
    static final long MAX_LUN_BYTES = 2L << 40;

    private Reply createLun(RoutingContext ctx) {
        JsonObject b = Json.body(ctx, Set.of("name", "sizeBytes", "raid", "group"));
        String name = name(b, "name");
        // LUN sizes are 1 MiB to 2 TiB in 1 MiB steps (seed 004 [0062]: one L2MAP covers 2 TB)
        long size = Json.integer(b, "sizeBytes", MIN_LUN_BYTES, MAX_LUN_BYTES);
        if (size % MIN_LUN_BYTES != 0) {
            throw ApiError.badRequest("sizeBytes", "field 'sizeBytes' must be a multiple of 1 MiB (1048576)");
        }
        long segs = (size + trees.segmentBytes() - 1) / trees.segmentBytes();
        if (segs > Integer.MAX_VALUE) {
            throw ApiError.badRequest("sizeBytes", "field 'sizeBytes' is too large");
        }
        String raid = null;
        if (b.getValue("raid") != null) {
            String r = Json.string(b, "raid");
            List<String> levels = cell.luns().raidLevels();
            if (!levels.contains(r)) {
                throw ApiError.badRequest("raid", "field 'raid' must be one of " + levels);
            }
            raid = r;
        }
        int group = b.getValue("group") == null ? -1 : lunGroup(b.getValue("group"));
        LunRecord l;
        try {
            l = cell.luns().createLun(name, size, raid, group);
        } catch (StorageException e) {
            throw new ApiError(e, e.code() == ErrorCode.ALREADY_EXISTS ? "name"
                    : e.code() == ErrorCode.INVALID_ARGUMENT ? "sizeBytes"
                    : e.code() == ErrorCode.NOT_FOUND ? "group" : null);
        }
        ctx.response().putHeader("location", "/api/luns/" + l.name());
        return new Reply(201, lun(l));
    }

    /** Disk group id from a LUN body's {@code group}: a group id (integer) or name as GET /api/pool shows them. */
    private int lunGroup(Object v) {
        for (DiskGroupView g : pool.diskGroups()) {
            if (v instanceof String s ? g.name().equals(s)
                    : (v instanceof Integer || v instanceof Long) && ((Number) v).longValue() == g.id()) {
                return g.id();
            }
        }
        if (v instanceof String || v instanceof Integer || v instanceof Long) {
            throw new ApiError(404, "disk group " + v + " does not exist", "group");
        }
        throw ApiError.badRequest("group", "field 'group' must be a disk group id (integer) or name (string)");
    }

    private Reply resizeLun(RoutingContext ctx) {
        LunRecord l = lunParam(ctx);
        JsonObject b = Json.body(ctx, Set.of("sizeBytes"));
        long size = Json.integer(b, "sizeBytes", MIN_LUN_BYTES, MAX_LUN_BYTES);
        if (size % MIN_LUN_BYTES != 0) {
            throw ApiError.badRequest("sizeBytes", "field 'sizeBytes' must be a multiple of 1 MiB (1048576)");
        }
        if (l.kind() != LunRecord.Kind.PRIMARY) {
            throw new ApiError(400, "LUN " + l.name() + " is the log LUN; redefine it to change its capacity", "name");
        }
        LunRecord r;
        try {
            r = controller.resizeLun(l.name(), size);
        } catch (StorageException e) {
            throw new ApiError(e, e.code() == ErrorCode.NOT_FOUND ? "name" : "sizeBytes");
        }
        return new Reply(200, lun(r));
    }

    private Reply deleteLun(RoutingContext ctx) {
        LunRecord l = lunParam(ctx);
        try {
            controller.deleteLun(l.name());
        } catch (StorageException e) {
            throw new ApiError(e, "name");
        }
        return new Reply(204, null);
    }

    private Reply present(RoutingContext ctx) {
        LunRecord l = lunParam(ctx);
        JsonObject b = Json.body(ctx, Set.of("initiator", "hostLun"));
        String initiator = InitiatorNames.field(b, "initiator", true);   // RFC 7143 §4.2.7 / RFC 3722, or "*"
        int hostLun = (int) Json.integer(b, "hostLun", 0, MAX_HOST_LUN);
        try {
            controller.presentLun(initiator, hostLun, l.name());
        } catch (StorageException e) {   // INVALID_STATE: the LUN is quarantined
            throw new ApiError(e, e.code() == ErrorCode.NOT_FOUND || e.code() == ErrorCode.INVALID_STATE ? "name" : "hostLun");
        }
        return new Reply(200, lun(controller.lun(l.name())));
    }

    private Reply unpresent(RoutingContext ctx) {
        LunRecord l = lunParam(ctx);
        JsonObject b = Json.body(ctx, Set.of("initiator", "hostLun"));
        String initiator = Json.string(b, "initiator");
        int hostLun = (int) Json.integer(b, "hostLun", 0, MAX_HOST_LUN);
        boolean mine = controller.listPresentations().stream()
                .anyMatch(p -> p.lunId() == l.id() && p.hostLun() == hostLun && p.initiator().equals(initiator));
        if (!mine) {
            throw new ApiError(404, "LUN " + l.name() + " is not presented to " + initiator + " as host LUN " + hostLun, "hostLun");
        }
        controller.unpresentLun(initiator, hostLun);
        return new Reply(200, lun(controller.lun(l.name())));
    }

    // ---- snapshots and trees ----

    private Reply snapshot(RoutingContext ctx) {
        LunRecord l = lunParam(ctx);
        JsonObject b = Json.body(ctx, Set.of("name", "snapclone", "policy", "group"));
        String name = name(b, "name");
        boolean clone = Json.optionalBoolean(b, "snapclone", false);
        int group = -1;
        if (b.getValue("group") != null) {
            if (!clone) {
                throw ApiError.badRequest("group", "field 'group' is for a snapclone (snapclone: true): a snapshot stays"
                        + " in its LUN's disk group");
            }
            group = lunGroup(b.getValue("group"));
        }
        String policy = cell.luns().defaultSnapshotPolicy();
        if (b.getValue("policy") != null) {
            String p = Json.string(b, "policy");
            List<String> policies = cell.luns().allocationPolicies();
            if (!policies.contains(p)) {
                throw ApiError.badRequest("policy", "field 'policy' = '" + p + "' must be one of " + policies);
            }
            policy = p;
        }
        SnapshotMarker m;
        try {
            m = cell.luns().snapshot(l.name(), name, clone, policy, group);
        } catch (StorageException e) {   // INVALID_STATE: the LUN is quarantined
            throw new ApiError(e, e.code() == ErrorCode.NOT_FOUND || e.code() == ErrorCode.INVALID_STATE ? "lun" : "name");
        }
        try {
            m.taken().get(config.snapshotTimeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return new Reply(202, new JsonObject().put("name", name).put("lun", l.name()).put("snapclone", clone)
                    .put("policy", policy)
                    .put("taken", false).put("message", "the snapshot marker is queued behind cached writes and not taken after "
                            + config.snapshotTimeoutMillis() + " ms; GET /api/snapshots shows it once taken"));
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof StorageException s) {   // NOT_FOUND without a group: the LUN was deleted before the marker fired
                throw new ApiError(s, s.code() == ErrorCode.SPACE_ALLOCATION_FAILED ? "policy"
                        : s.code() == ErrorCode.NOT_FOUND ? (group >= 0 && !s.getMessage().startsWith("LUN id ") ? "group" : "lun")
                        : "snapclone");
            }
            throw new ApiError(500, "snapshot failed: " + c, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "interrupted while waiting for the snapshot", null);
        }
        // the record the marker produced, even if a DELETE of its LUN, serialized after it, already removed it
        SnapshotRecord s = controller.takenSnapshot(m).orElseGet(() -> controller.listSnapshots().stream()
                .filter(x -> x.name().equals(name)).findFirst().orElseThrow(() -> new ApiError(404, "snapshot " + name
                        + " was not taken: LUN " + l.name() + " was deleted before its marker left the cache", "lun")));
        JsonObject o = snapshotJson(s).put("lun", l.name()).put("taken", true);
        if (controller.listSnapshots().stream().noneMatch(x -> x.id() == s.id())) {
            o.put("state", "deleted");   // taken, then deleted with its LUN by a DELETE serialized right after it
        }
        return new Reply(201, o);
    }

    /** Adds {@code state} ("online" or "quarantined") and, when quarantined, {@code reason} and {@code repair}. */
    private void putState(JsonObject o, String quarantineId) {
        for (io.evasan.nsc.api.QuarantineEntry q : controller.quarantine()) {
            if (q.id().equals(quarantineId)) {
                o.put("state", "quarantined").put("reason", q.reason()).put("repair", q.repair());
                return;
            }
        }
        o.put("state", "online");
    }

    static JsonObject quarantineJson(io.evasan.nsc.api.QuarantineEntry q) {
        return new JsonObject().put("id", q.id()).put("kind", q.kind().name().toLowerCase(java.util.Locale.ROOT))
                .put("name", q.name()).put("unitId", q.unitId()).put("disk", q.disk()).put("reason", q.reason())
                .put("repair", q.repair());
    }

    private Reply listQuarantine(RoutingContext ctx) {
        JsonArray a = new JsonArray();
        for (io.evasan.nsc.api.QuarantineEntry q : controller.quarantine()) {
            a.add(quarantineJson(q));
        }
        return new Reply(200, a);
    }

    private Reply repairQuarantined(RoutingContext ctx) {
        io.evasan.nsc.api.QuarantineEntry q;
        try {
            q = controller.repairQuarantined(ctx.pathParam("id"));
        } catch (StorageException e) {
            throw new ApiError(e, "id");
        }
        return new Reply(200, quarantineJson(q).put("repaired", true));
    }

    private JsonObject snapshotJson(SnapshotRecord s) {
        JsonArray pres = new JsonArray();
        for (Presentation p : controller.listPresentations()) {
            if (p.lunId() == s.id()) {
                pres.add(new JsonObject().put("initiator", p.initiator()).put("hostLun", p.hostLun()));
            }
        }
        JsonObject o = new JsonObject().put("name", s.name()).put("lun", lunName(s.lunId())).put("disk", s.disk())
                .put("snapclone", s.snapclone()).put("policy", policyOf(s.disk()))
                .put("createdMillis", s.createdMillis()).put("sizeBytes", s.sizeBytes()).put("serial", s.serialNumber())
                .put("presentations", pres);
        putState(o, "snapshot-" + s.id());
        try {
            o.put("group", trees.diskGroupOf(s.disk()));
        } catch (StorageException e) {
            // the disk is gone (deleted concurrently); no group to report
        }
        if (s.snapclone()) {
            try {
                o.put("bgcopy", bgcopy(cell.jobs().bgcopy(s.disk())));
            } catch (StorageException e) {
                // the clone's disk is gone; report without progress
            }
        }
        return o;
    }

    /** The allocation policy the sharing tree keeps for {@code disk} (persisted with the disk), or null when it is gone. */
    private String policyOf(long disk) {
        try {
            for (TreeDiskView d : trees.describe(disk)) {
                if (d.id() == disk) {
                    return d.policy();
                }
            }
        } catch (StorageException e) {
            // the disk is gone (deleted concurrently); no policy to report
        }
        return null;
    }

    private Reply listSnapshots(RoutingContext ctx) {
        controller.promoteDetachedSnapclones();
        JsonArray a = new JsonArray();
        for (SnapshotRecord s : controller.listSnapshots()) {
            a.add(snapshotJson(s));
        }
        return new Reply(200, a);
    }

    private Reply deleteSnapshot(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        try {
            controller.deleteSnapshot(name);
        } catch (StorageException e) {
            throw new ApiError(e, "name");
        }
        return new Reply(204, null);
    }

    private Reply tree(RoutingContext ctx) {
        LunRecord l = lunParam(ctx);
        if (l.kind() != LunRecord.Kind.PRIMARY) {
            throw new ApiError(400, "LUN " + l.name() + " is the log LUN and has no sharing tree", "name");
        }
        if (controller.isQuarantined(l.id())) {
            throw new ApiError(409, "LUN " + l.name() + " is quarantined; GET /api/quarantine says why and how to repair it", "name");
        }
        Map<Long, String> names = new HashMap<>();
        names.put(l.disk(), l.name());
        for (SnapshotRecord s : controller.listSnapshots()) {
            names.put(s.disk(), s.name());
        }
        List<TreeDiskView> t;
        try {
            t = trees.describe(l.disk());
        } catch (StorageException e) {
            throw new ApiError(e, "name");
        }
        JsonArray disks = new JsonArray();
        for (TreeDiskView d : t) {
            JsonObject o = new JsonObject().put("disk", d.id()).put("name", names.get(d.id()))
                    .put("kind", d.kind()).put("policy", d.policy())
                    .put("position", d.position()).put("segments", d.segments())
                    .put("sharedWithPredecessor", d.sharedWithPredecessor())
                    .put("sharedWithSuccessor", d.sharedWithSuccessor())
                    .put("privateSegments", d.privateSegments()).put("zeroSegments", d.zeroSegments())
                    .put("valid", d.valid());
            if (d.bgcopy() != null) {
                o.put("bgcopy", bgcopy(d.bgcopy()));
            }
            disks.add(o);
        }
        return new Reply(200, new JsonObject().put("lun", l.name()).put("segmentBytes", trees.segmentBytes())
                .put("order", "oldest first; each disk's successor is the next newer disk, the LUN is last")
                .put("disks", disks));
    }

    private Reply rollback(RoutingContext ctx) {
        LunRecord l = lunParam(ctx);
        JsonObject b = Json.body(ctx, Set.of("snapshot"));
        String snap = Json.string(b, "snapshot");
        try {
            controller.rollbackLun(l.name(), snap);
        } catch (StorageException e) {
            throw new ApiError(e, e.code() == ErrorCode.INVALID_STATE ? "name" : "snapshot");
        }
        return new Reply(200, lun(controller.lun(l.name())));
    }

    private SnapshotRecord snapshotParam(RoutingContext ctx) {
        controller.promoteDetachedSnapclones();
        String name = ctx.pathParam("name");
        for (SnapshotRecord s : controller.listSnapshots()) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        throw new ApiError(404, "no snapshot named '" + name + "'", "name");
    }

    private Reply presentSnapshot(RoutingContext ctx) {
        SnapshotRecord s = snapshotParam(ctx);
        JsonObject b = Json.body(ctx, Set.of("initiator", "hostLun"));
        String initiator = InitiatorNames.field(b, "initiator", true);   // RFC 7143 §4.2.7 / RFC 3722, or "*"
        int hostLun = (int) Json.integer(b, "hostLun", 0, MAX_HOST_LUN);
        try {
            controller.presentSnapshot(initiator, hostLun, s.name());
        } catch (StorageException e) {
            throw new ApiError(e, e.code() == ErrorCode.NOT_FOUND ? "name" : "hostLun");
        }
        return new Reply(200, snapshotJson(current(s)));
    }

    private Reply unpresentSnapshot(RoutingContext ctx) {
        SnapshotRecord s = snapshotParam(ctx);
        JsonObject b = Json.body(ctx, Set.of("initiator", "hostLun"));
        String initiator = Json.string(b, "initiator");
        int hostLun = (int) Json.integer(b, "hostLun", 0, MAX_HOST_LUN);
        boolean had;
        try {
            had = controller.unpresentSnapshot(initiator, hostLun, s.name());
        } catch (StorageException e) {
            throw new ApiError(e, "name");
        }
        if (!had) {
            throw new ApiError(404, "snapshot " + s.name() + " is not presented to " + initiator + " as host LUN " + hostLun, "hostLun");
        }
        return new Reply(200, snapshotJson(current(s)));
    }

    /** The snapshot's record now. @throws ApiError 404 when it is gone (deleted or promoted meanwhile) */
    private SnapshotRecord current(SnapshotRecord s) {
        for (SnapshotRecord x : controller.listSnapshots()) {
            if (x.name().equals(s.name())) {
                return x;
            }
        }
        throw new ApiError(404, "snapshot " + s.name() + " is gone (deleted, or promoted to a LUN)", "name");
    }

    private Reply bgcopyControl(RoutingContext ctx, boolean pause) {
        SnapshotRecord s = snapshotParam(ctx);
        if (!s.snapclone()) {
            throw new ApiError(400, s.name() + " is a snapshot, not a snapclone; it has no background copy", "name");
        }
        try {
            if (pause) {
                cell.jobs().pauseBgcopy(s.disk());
            } else {
                cell.jobs().resumeBgcopy(s.disk());
            }
            return new Reply(200, snapshotJson(s));
        } catch (StorageException e) {
            throw new ApiError(e, "name");
        }
    }

    // ---- hosts and controllers ----

    private Reply controllers(RoutingContext ctx) {
        JsonArray luns = new JsonArray();
        for (LunRecord l : controller.listLuns()) {
            luns.add(l.name());
        }
        io.evasan.nsc.api.CacheView cache = cell.controllers().cache();
        JsonObject c = new JsonObject().put("name", config.controllerName())
                .put("state", controller.isOpen() ? "ONLINE" : "STOPPED")
                .put("destagedBytesPerSecond", destageRate.bytesPerSecond())
                .put("cacheDirtyBytes", cache.dirtyBytes())
                .put("cacheCapacityBytes", cache.capacityBytes())
                .put("snapshotBackupState", cell.backup().state().state())
                .put("health", controller.quarantine().isEmpty() ? "OK" : "DEGRADED")
                .put("quarantined", controller.quarantine().size())
                .put("luns", luns);
        return new Reply(200, new JsonArray().add(c));
    }
}

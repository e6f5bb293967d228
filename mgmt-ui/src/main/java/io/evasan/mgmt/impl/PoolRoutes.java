package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mgmt.impl.ApiRoutes.Reply;
import io.evasan.nsc.api.DiskGroupView;
import io.evasan.nsc.api.DriveFile;
import io.evasan.nsc.api.DriveStatus;
import io.evasan.nsc.api.DriveView;
import io.evasan.nsc.api.Drives;
import io.evasan.nsc.api.RebuildView;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The pool routes: disk groups and their drives ({@code /api/pool...}) over the cell API's
 * {@link Drives}: listing, creating a group, adding, removing, failing and restoring a drive. New
 * drives are sparse files under the pool directory ({@link DriveFiles}).
 *
 * <p>Invariants: sizes and counts are checked, and the drive files checked to fit the file system,
 * before anything is written; a create or add that fails anyway leaves no drive file or directory
 * behind; drive files are named and created one request at a time; a drive removal never leaves its
 * RSS with fewer than 6 drives.
 */
final class PoolRoutes {
    private final ApiRoutes api;
    private final Drives pool;
    private final ApplianceMeters meters;

    PoolRoutes(ApiRoutes api, Drives pool, ApplianceMeters meters) {
        this.api = api;
        this.pool = pool;
        this.meters = meters;
    }

    void register(Router router) {
        api.on(router, "GET", "/api/pool", this::getPool);
        api.on(router, "POST", "/api/pool/groups/:group/drives", this::addDrive);
        api.on(router, "POST", "/api/pool/groups", this::createGroup);
        api.on(router, "POST", "/api/pool/groups/:group/drives/:drive/remove", this::removeDrive);
        api.on(router, "POST", "/api/pool/groups/:group/drives/:drive/fail", this::failDrive);
        api.on(router, "POST", "/api/pool/groups/:group/drives/:drive/restore", this::restoreDrive);
        api.on(router, "POST", "/api/pool/groups/:group/level", this::level);
    }

    private Reply getPool(RoutingContext ctx) {
        JsonArray groups = new JsonArray();
        java.util.Map<String, JsonObject> health = api.healthByObject();
        for (DiskGroupView g : pool.diskGroups()) {
            JsonObject o = group(g).put("health", health.get("disk-group/" + g.id()));
            for (Object d : o.getJsonArray("drives")) {
                JsonObject dj = (JsonObject) d;
                dj.put("health", health.get("drive/" + g.id() + "/" + dj.getInteger("index")));
            }
            groups.add(o);
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

    /**
     * Starts leveling the group (a drive add starts it by itself): 202 with the job ({@code leveling-<group>}, progress
     * in GET /api/jobs); the running job when one runs already.
     */
    private Reply level(RoutingContext ctx) {
        DiskGroupView g = groupParam(ctx);
        try {
            return new Reply(202, JobRoutes.levelingJob(pool.startLeveling(g.id())));
        } catch (StorageException e) {
            throw new ApiError(e, "group");
        }
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
                .put("rebuild", ApiRoutes.rebuild(r)));
    }

    private DriveView current(DiskGroupView g, int index) {
        for (DriveView d : pool.diskGroup(g.id()).map(DiskGroupView::drives).orElse(List.of())) {
            if (d.index() == index) {
                return d;
            }
        }
        throw new StorageException(ErrorCode.NOT_FOUND, "drive " + index + " left disk group " + g.name());
    }
}

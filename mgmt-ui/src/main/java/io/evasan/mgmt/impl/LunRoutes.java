package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mgmt.impl.ApiRoutes.Reply;
import io.evasan.nsc.api.Volumes;
import io.evasan.nsc.api.Cell;
import io.evasan.nsc.api.DiskGroupView;
import io.evasan.nsc.api.Drives;
import io.evasan.nsc.api.Trees;
import io.evasan.nsc.lun.LunInUseException;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.SnapshotRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Set;

/**
 * The LUN routes ({@code /api/luns...}): list, create, show, resize, delete, present to and
 * unpresent from an initiator, roll back to a snapshot; and the LUN JSON and path parameter the
 * snapshot routes share. A snapclone whose copy finished answers as its LUN at once (promoted before
 * a LUN is looked up or listed).
 *
 * <p>Delete and shrink of a LUN that hosts see or that has snapshots answer 409 (field {@code force}, the
 * presentations and snapshots in the body) unless the request says {@code ?force=true}.
 *
 * <p>Invariant: a LUN body is validated (name, size in 1 MiB steps from 1 MiB to 2 TiB, RAID level,
 * disk group) before the controller is called, so a 4xx answer created or changed nothing.
 */
final class LunRoutes {
    private final ApiRoutes api;
    private final Cell cell;
    private final Drives pool;
    private final Trees trees;
    private final Volumes controller;

    LunRoutes(ApiRoutes api, Cell cell) {
        this.api = api;
        this.cell = cell;
        this.pool = cell.drives();
        this.trees = cell.trees();
        this.controller = cell.volumes();
    }

    void register(Router router) {
        api.on(router, "GET", "/api/luns", this::listLuns);
        api.on(router, "POST", "/api/luns", this::createLun);
        api.on(router, "GET", "/api/luns/:name", this::getLun);
        api.on(router, "PATCH", "/api/luns/:name", this::resizeLun);
        api.on(router, "DELETE", "/api/luns/:name", this::deleteLun);
        api.on(router, "POST", "/api/luns/:name/present", this::present);
        api.on(router, "POST", "/api/luns/:name/unpresent", this::unpresent);
        api.on(router, "POST", "/api/luns/:name/rollback", this::rollback);
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
                .put("sizeBytes", l.sizeBytes()).put("serial", l.serialNumber()).put("wwn", cell.luns().wwn(l))
                .put("disk", l.disk());
        try {
            o.put("raid", cell.luns().raidLevel(l));
        } catch (StorageException e) {
            o.put("raid", (Object) null);   // deleted concurrently: no tree disk to ask
        }
        api.putState(o, "lun-" + l.id());
        if (l.disk() >= 0) {
            try {
                o.put("group", trees.diskGroupOf(l.disk()));
            } catch (StorageException e) {
                // the LUN's disk is gone from the trees (deleted concurrently): no group to show
            }
        }
        return o.put("presentations", pres).put("snapshots", snaps);
    }

    LunRecord lunParam(RoutingContext ctx) {
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
        java.util.Map<String, JsonObject> health = api.healthByObject();
        for (LunRecord l : controller.listLuns()) {
            a.add(lun(l).put("health", health.get("lun/" + l.id())));
        }
        return new Reply(200, a);
    }

    private Reply getLun(RoutingContext ctx) {
        LunRecord l = lunParam(ctx);
        return new Reply(200, lun(l).put("allocatedBytes", allocatedBytes(l))
                .put("health", api.healthByObject().get("lun/" + l.id())));
    }

    /** Bytes of the LUN's segments that hold data of their own or shared (not zero); null without a tree disk. */
    private Long allocatedBytes(LunRecord l) {
        if (l.kind() != LunRecord.Kind.PRIMARY || l.disk() < 0) {
            return null;
        }
        try {
            for (io.evasan.nsc.api.TreeDiskView d : trees.describe(l.disk())) {
                if (d.id() == l.disk()) {
                    return (long) (d.segments() - d.zeroSegments()) * trees.segmentBytes();
                }
            }
        } catch (StorageException e) {
            // deleted or quarantined meanwhile: no tree to read
        }
        return null;
    }

    static final long MIN_LUN_BYTES = 1L << 20;
    static final long MAX_LUN_BYTES = 2L << 40;

    private Reply createLun(RoutingContext ctx) {
        JsonObject b = Json.body(ctx, Set.of("name", "sizeBytes", "raid", "group"));
        String name = ApiRoutes.name(b, "name");
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
    int lunGroup(Object v) {
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
        boolean force = ApiRoutes.force(ctx);
        LunRecord r;
        try {
            r = controller.resizeLun(l.name(), size, force);
        } catch (LunInUseException e) {
            throw api.inUse(e);
        } catch (StorageException e) {
            throw new ApiError(e, e.code() == ErrorCode.NOT_FOUND ? "name" : "sizeBytes");
        }
        return new Reply(200, lun(r));
    }

    private Reply deleteLun(RoutingContext ctx) {
        LunRecord l = lunParam(ctx);
        boolean force = ApiRoutes.force(ctx);
        try {
            controller.deleteLun(l.name(), force);
        } catch (LunInUseException e) {
            throw api.inUse(e);
        } catch (StorageException e) {
            throw new ApiError(e, "name");
        }
        return new Reply(204, null);
    }

    private Reply present(RoutingContext ctx) {
        LunRecord l = lunParam(ctx);
        JsonObject b = Json.body(ctx, Set.of("initiator", "hostLun"));
        String initiator = InitiatorNames.field(b, "initiator", true);   // RFC 7143 §4.2.7 / RFC 3722, or "*"
        int hostLun = (int) Json.integer(b, "hostLun", 0, ApiRoutes.MAX_HOST_LUN);
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
        int hostLun = (int) Json.integer(b, "hostLun", 0, ApiRoutes.MAX_HOST_LUN);
        boolean mine = controller.listPresentations().stream()
                .anyMatch(p -> p.lunId() == l.id() && p.hostLun() == hostLun && p.initiator().equals(initiator));
        if (!mine) {
            throw new ApiError(404, "LUN " + l.name() + " is not presented to " + initiator + " as host LUN " + hostLun, "hostLun");
        }
        controller.unpresentLun(initiator, hostLun);
        return new Reply(200, lun(controller.lun(l.name())));
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
}

package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mgmt.ManagementConfig;
import io.evasan.mgmt.impl.ApiRoutes.Reply;
import io.evasan.nsc.api.Volumes;
import io.evasan.nsc.api.Cell;
import io.evasan.nsc.api.TreeDiskView;
import io.evasan.nsc.api.Trees;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.nsc.marker.SnapshotMarker;
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

/**
 * The snapshot routes: taking a snapshot or snapclone of a LUN through the cache marker
 * ({@code POST /api/luns/{name}/snapshots}), the LUN's sharing tree ({@code GET /api/luns/{name}/tree}),
 * and {@code /api/snapshots...}: list, delete, present, unpresent, pause / resume a snapclone's
 * background copy. A finished snapclone is a LUN, not a snapshot (promoted before snapshots are
 * looked up or listed).
 *
 * <p>Invariant: a snapshot answered 201 holds exactly the writes acknowledged before the request
 * (the marker was taken); 202 means it is still queued behind cached writes; a 4xx answer took or
 * changed nothing.
 */
final class SnapshotRoutes {
    private final ApiRoutes api;
    private final LunRoutes luns;
    private final Cell cell;
    private final Trees trees;
    private final Volumes controller;
    private final ManagementConfig config;

    SnapshotRoutes(ApiRoutes api, LunRoutes luns, Cell cell, ManagementConfig config) {
        this.api = api;
        this.luns = luns;
        this.cell = cell;
        this.trees = cell.trees();
        this.controller = cell.volumes();
        this.config = config;
    }

    void register(Router router) {
        api.on(router, "POST", "/api/luns/:name/snapshots", this::snapshot);
        api.on(router, "GET", "/api/luns/:name/tree", this::tree);
        api.on(router, "GET", "/api/snapshots", this::listSnapshots);
        api.on(router, "DELETE", "/api/snapshots/:name", this::deleteSnapshot);
        api.on(router, "POST", "/api/snapshots/:name/present", this::presentSnapshot);
        api.on(router, "POST", "/api/snapshots/:name/unpresent", this::unpresentSnapshot);
        api.on(router, "POST", "/api/snapshots/:name/bgcopy/pause", ctx -> bgcopyControl(ctx, true));
        api.on(router, "POST", "/api/snapshots/:name/bgcopy/resume", ctx -> bgcopyControl(ctx, false));
    }

    private Reply snapshot(RoutingContext ctx) {
        LunRecord l = luns.lunParam(ctx);
        JsonObject b = Json.body(ctx, Set.of("name", "snapclone", "policy", "group", "mode", "quiesceThreshold"));
        String name = ApiRoutes.name(b, "name");
        boolean clone = Json.optionalBoolean(b, "snapclone", false);
        int group = -1;
        if (b.getValue("group") != null) {
            if (!clone) {
                throw ApiError.badRequest("group", "field 'group' is for a snapclone (snapclone: true): a snapshot stays"
                        + " in its LUN's disk group");
            }
            group = luns.lunGroup(b.getValue("group"));
        }
        // seed 004: EAGER (Figs. 13-14) or SCALING (Fig. 15) per snapclone, with its quiesce threshold M (Fig. 15d)
        String mode = null;
        int quiesce = 0;
        if (b.getValue("mode") != null || b.getValue("quiesceThreshold") != null) {
            String field = b.getValue("mode") != null ? "mode" : "quiesceThreshold";
            if (!clone) {
                throw ApiError.badRequest(field, "field '" + field + "' is for a snapclone (snapclone: true)");
            }
        }
        if (b.getValue("mode") != null) {
            mode = Json.string(b, "mode");
            List<String> modes = cell.luns().snapcloneModes();
            if (!modes.contains(mode)) {
                throw ApiError.badRequest("mode", "field 'mode' = '" + mode + "' must be one of " + modes);
            }
        }
        if (b.getValue("quiesceThreshold") != null) {
            quiesce = (int) Json.integer(b, "quiesceThreshold", 1, 0xFFFF);
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
            m = mode == null && quiesce == 0 ? cell.luns().snapshot(l.name(), name, clone, policy, group)
                    : cell.luns().snapshot(l.name(), name, clone, policy, group, mode, quiesce);
        } catch (StorageException e) {   // INVALID_STATE: the LUN is quarantined
            throw new ApiError(e, e.code() == ErrorCode.NOT_FOUND || e.code() == ErrorCode.INVALID_STATE ? "lun" : "name");
        }
        try {
            m.taken().get(config.snapshotTimeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return new Reply(202, new JsonObject().put("name", name).put("lun", l.name()).put("snapclone", clone)
                    .put("policy", policy).put("mode", clone ? (mode == null ? "EAGER" : mode) : null)
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
        if (clone) {
            o.put("mode", mode == null ? "EAGER" : mode);
            if (quiesce > 0) {
                o.put("quiesceThreshold", quiesce);
            }
        }
        if (controller.listSnapshots().stream().noneMatch(x -> x.id() == s.id())) {
            o.put("state", "deleted");   // taken, then deleted with its LUN by a DELETE serialized right after it
        }
        return new Reply(201, o);
    }

    private JsonObject snapshotJson(SnapshotRecord s) {
        JsonArray pres = new JsonArray();
        for (Presentation p : controller.listPresentations()) {
            if (p.lunId() == s.id()) {
                pres.add(new JsonObject().put("initiator", p.initiator()).put("hostLun", p.hostLun()));
            }
        }
        JsonObject o = new JsonObject().put("name", s.name()).put("lun", api.lunName(s.lunId())).put("disk", s.disk())
                .put("snapclone", s.snapclone()).put("policy", policyOf(s.disk()))
                .put("createdMillis", s.createdMillis()).put("sizeBytes", s.sizeBytes()).put("serial", s.serialNumber())
                .put("presentations", pres);
        api.putState(o, "snapshot-" + s.id());
        try {
            o.put("group", trees.diskGroupOf(s.disk()));
        } catch (StorageException e) {
            // the disk is gone (deleted concurrently); no group to report
        }
        if (s.snapclone()) {
            try {
                o.put("bgcopy", ApiRoutes.bgcopy(cell.jobs().bgcopy(s.disk())));
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
        LunRecord l = luns.lunParam(ctx);
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
                o.put("bgcopy", ApiRoutes.bgcopy(d.bgcopy()));
            }
            disks.add(o);
        }
        return new Reply(200, new JsonObject().put("lun", l.name()).put("segmentBytes", trees.segmentBytes())
                .put("order", "oldest first; each disk's successor is the next newer disk, the LUN is last")
                .put("disks", disks));
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
        int hostLun = (int) Json.integer(b, "hostLun", 0, ApiRoutes.MAX_HOST_LUN);
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
        int hostLun = (int) Json.integer(b, "hostLun", 0, ApiRoutes.MAX_HOST_LUN);
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
}

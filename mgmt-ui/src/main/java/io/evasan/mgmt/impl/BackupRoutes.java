package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.Volumes;
import io.evasan.nsc.backup.BackupRefusedException;
import io.evasan.nsc.api.BackupView;
import io.evasan.nsc.api.Cell;
import io.evasan.nsc.api.CopyView;
import io.evasan.scsi.sense.SenseCodes;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;

/**
 * Seed 003 snapshot backup over the cell API's {@link Volumes} entry points (the same work as the
 * DCMDs, without a SCSI nexus): the log LUN, initiate, terminate and the LOP copy.
 *
 * <p>Invariant: a refusal for one of the seed's reasons is a 409 whose body carries the reason text and
 * the sense {@code key/asc/ascq} a host would have received (or the LOP status word for a LOP START),
 * and changed nothing.
 */
final class BackupRoutes {
    private final ApiRoutes api;
    private final Volumes controller;
    private final Cell cell;

    BackupRoutes(ApiRoutes api, Cell cell) {
        this.cell = cell;
        Volumes controller = cell.volumes();
        this.api = api;
        this.controller = controller;
    }

    void register(Router router) {
        api.on(router, "GET", "/api/backup", ctx -> new ApiRoutes.Reply(200, state()));
        api.on(router, "PUT", "/api/backup/log", this::defineLog);
        api.on(router, "DELETE", "/api/backup/log", this::deleteLog);
        api.on(router, "POST", "/api/backup/initiate", this::initiate);
        api.on(router, "POST", "/api/backup/terminate", this::terminate);
        api.on(router, "POST", "/api/backup/copy", this::copy);
    }

    /** A refused seed 003 operation as an API error: 409, the reason, and sense / LOP status. */
    static ApiError refused(BackupRefusedException e, String field) {
        JsonObject d = new JsonObject();
        if (e.sense() != 0) {
            int s = e.sense();
            d.put("sense", new JsonObject().put("key", String.format("%02X", SenseCodes.key(s)))
                    .put("asc", String.format("%02X", SenseCodes.asc(s)))
                    .put("ascq", String.format("%02X", SenseCodes.ascq(s))));
        }
        if (e.lopStatus() != 0) {
            d.put("lopStatus", String.format("%04X", e.lopStatus()));
        }
        return new ApiError(409, e.getMessage(), field, e.code().name(), d);
    }

    JsonObject state() {
        BackupView e = cell.backup().state();
        int primary = e.activePrimary();
        long disk = e.activeSnapshotDisk();
        CopyView p = e.copy();
        return new JsonObject().put("state", e.state())
                .put("primary", primary >= 0 ? api.lunName(primary) : null)
                .put("snapshotDisk", disk >= 0 ? disk : null)
                .put("logLun", e.logLun())
                .put("logCapacityBytes", e.logLun() == null ? null : e.logCapacityBytes())
                .put("logUsedSegments", e.logUsedSegments() >= 0 ? e.logUsedSegments() : null)
                .put("logCapacitySegments", e.logCapacitySegments() >= 0 ? e.logCapacitySegments() : null)
                .put("lastCopiedSegments", e.lastCopiedSegments())
                .put("copy", p == null ? null : new JsonObject().put("destination", api.lunName(p.destinationLunId()))
                        .put("done", p.done()).put("total", p.total()).put("copiedSegments", p.copied())
                        .put("running", p.running()).put("paused", p.paused()).put("incremental", p.incremental())
                        .put("lopStatus", String.format("%04X", p.status())));
    }

    private ApiRoutes.Reply defineLog(RoutingContext ctx) {
        JsonObject b = Json.body(ctx, Set.of("name", "capacityBytes"));
        String name = ApiRoutes.name(b, "name");
        long cap = Json.integer(b, "capacityBytes", LunRoutes.MIN_LUN_BYTES, LunRoutes.MAX_LUN_BYTES);
        if (cap % LunRoutes.MIN_LUN_BYTES != 0) {
            throw ApiError.badRequest("capacityBytes", "field 'capacityBytes' must be a multiple of 1 MiB (1048576)");
        }
        try {
            controller.defineLogLun(name, cap);
        } catch (StorageException e) {
            String field = e.code() == ErrorCode.INVALID_ARGUMENT ? "capacityBytes" : "name";
            if (e.code() == ErrorCode.ALREADY_EXISTS) {
                throw new ApiError(409, e.getMessage(), field);
            }
            throw new ApiError(e, field);
        }
        ctx.response().putHeader("location", "/api/luns/" + name);
        return new ApiRoutes.Reply(201, state());
    }

    private ApiRoutes.Reply deleteLog(RoutingContext ctx) {
        String log = cell.backup().logLun().orElse(null);
        if (log == null) {
            throw new ApiError(404, "no log LUN is defined", null);
        }
        boolean force = ApiRoutes.force(ctx);
        try {
            controller.deleteLun(log, force);
        } catch (io.evasan.nsc.lun.LunInUseException e) {
            throw api.inUse(e);
        } catch (StorageException e) {
            throw new ApiError(e, null);
        }
        return new ApiRoutes.Reply(204, null);
    }

    private ApiRoutes.Reply initiate(RoutingContext ctx) {
        JsonObject b = Json.body(ctx, Set.of("lun"));
        String lun = Json.string(b, "lun");
        try {
            controller.initiateBackup(lun);
        } catch (BackupRefusedException e) {
            throw refused(e, "lun");
        } catch (StorageException e) {
            throw new ApiError(e, "lun");
        }
        return new ApiRoutes.Reply(200, state());
    }

    private ApiRoutes.Reply terminate(RoutingContext ctx) {
        try {
            controller.terminateBackup();
        } catch (BackupRefusedException e) {
            throw refused(e, null);
        }
        return new ApiRoutes.Reply(200, state());
    }

    private ApiRoutes.Reply copy(RoutingContext ctx) {
        JsonObject b = Json.body(ctx, Set.of("destination", "incremental"));
        String dest = Json.string(b, "destination");
        boolean incremental = Json.optionalBoolean(b, "incremental", false);
        boolean force = ApiRoutes.force(ctx);
        try {
            controller.startBackupCopy(dest, incremental, force);
        } catch (BackupRefusedException e) {
            throw refused(e, "destination");
        } catch (io.evasan.nsc.lun.LunInUseException e) {
            throw api.inUse(e);
        } catch (StorageException e) {   // INVALID_STATE: the destination holds data and the copy was not forced
            throw new ApiError(e, e.code() == ErrorCode.INVALID_STATE ? "force" : "destination");
        }
        return new ApiRoutes.Reply(202, state());
    }
}

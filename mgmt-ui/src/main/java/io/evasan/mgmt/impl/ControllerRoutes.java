package io.evasan.mgmt.impl;

import io.evasan.error.StorageException;
import io.evasan.mgmt.ManagementConfig;
import io.evasan.mgmt.impl.ApiRoutes.Reply;
import io.evasan.nsc.api.Volumes;
import io.evasan.nsc.api.Cell;
import io.evasan.nsc.api.NscView;
import io.evasan.nsc.lun.LunRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The controller routes: {@code GET /api/controllers} (each controller of the cell: state, owned LUNs, mirror,
 * heartbeat, takeovers; and the cell's cache, destage rate, backup state, health) and the quarantine it reports ({@code /api/quarantine}: list, repair).
 *
 * <p>Invariant: a controller's health is DEGRADED exactly while something is quarantined; a repair
 * answers the entry it removed (the object is deleted).
 */
final class ControllerRoutes {
    private final ApiRoutes api;
    private final Cell cell;
    private final Volumes controller;
    private final ManagementConfig config;
    private final DestageRate destageRate;

    ControllerRoutes(ApiRoutes api, Cell cell, ManagementConfig config, DestageRate destageRate) {
        this.api = api;
        this.cell = cell;
        this.controller = cell.volumes();
        this.config = config;
        this.destageRate = destageRate;
    }

    void register(Router router) {
        api.on(router, "GET", "/api/quarantine", this::listQuarantine);
        api.on(router, "POST", "/api/quarantine/:id/repair", this::repairQuarantined);
        api.on(router, "GET", "/api/controllers", this::controllers);
    }

    /**
     * One entry per controller (both NSCs of a pair, the one of a single-controller cell): the fields of
     * {@link PairRoutes#nsc} and, for old clients, the cell-wide ones each entry repeats: {@code cacheDirtyBytes},
     * {@code cacheCapacityBytes} and {@code destagedBytesPerSecond} (all caches together), backup state, health.
     * {@code name} is the configured controller name for a single controller, {@code nsc-a} / {@code nsc-b} in a
     * pair; {@code luns} names the LUNs it owns (a single controller: all).
     */
    private Reply controllers(RoutingContext ctx) {
        JsonArray all = new JsonArray();
        for (LunRecord l : controller.listLuns()) {
            all.add(l.name());
        }
        io.evasan.nsc.api.CacheView cache = cell.controllers().cache();
        java.util.List<NscView> views = cell.controllers().nscs();
        boolean paired = views.size() > 1;
        java.util.Map<Integer, String> names = paired ? api.unitNames() : java.util.Map.of();
        JsonArray a = new JsonArray();
        for (NscView v : views) {
            JsonObject c = PairRoutes.nsc(v, paired, names);
            c.put("name", paired ? "nsc-" + v.id().name().toLowerCase(java.util.Locale.ROOT) : config.controllerName())
                    .put("state", !controller.isOpen() ? "STOPPED" : v.state().name())
                    .put("paired", paired)
                    .put("destagedBytesPerSecond", destageRate.bytesPerSecond())
                    .put("cacheDirtyBytes", cache.dirtyBytes())
                    .put("cacheCapacityBytes", cache.capacityBytes())
                    .put("snapshotBackupState", cell.backup().state().state())
                    .put("health", controller.quarantine().isEmpty() ? "OK" : "DEGRADED")
                    .put("quarantined", controller.quarantine().size());
            if (!paired) {
                c.put("luns", all);
            }
            a.add(c);
        }
        return new Reply(200, a);
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
}

package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mgmt.impl.ApiRoutes.Reply;
import io.evasan.nsc.api.Controllers;
import io.evasan.nsc.api.DiskGroupView;
import io.evasan.nsc.api.DrillReport;
import io.evasan.nsc.api.DrillRequest;
import io.evasan.nsc.api.DriveStatus;
import io.evasan.nsc.api.DriveView;
import io.evasan.nsc.api.Drives;
import io.evasan.nsc.api.FailoverMode;
import io.evasan.nsc.api.LunOwnership;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.api.NscState;
import io.evasan.nsc.api.NscView;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The controller-pair routes: a LUN's ownership ({@code GET/PUT /api/luns/{name}/ownership}, {@code POST
 * /api/luns/{name}/move}), failover drills ({@code POST /api/controllers/{id}/drills}, {@code GET /api/drills}) and
 * the restart of a failed controller ({@code POST /api/controllers/{id}/restart}), the pull-drive drill ({@code POST
 * /api/drills/pull-drive}); and the per-controller JSON
 * GET /api/controllers shows. Controllers are named {@code A} and {@code B} (either case); units by name.
 *
 * <p>A drill on the controller process serving this API (the clustered cell's leader) cannot report its own
 * takeover: it is answered 202 with the report stored as started (its {@code id}; the survivor completes it in
 * {@code GET /api/drills}), and acts only once that answer has been written.
 *
 * <p>Invariants: a drill is destructive, so it runs only with {@code "force": true} in the body; without it the
 * answer is 409 naming the field {@code force} and the LUNs that would fail over, and nothing happened. Every
 * request is validated before the cell is called, so a 4xx changed nothing.
 */
final class PairRoutes {
    static final List<String> KINDS = List.of("kill", "hang", "partition");
    /**
     * Drills and restarts stop and start the pair's heartbeat verticles and wait for that, which Vert.x refuses on
     * its own threads (the handlers run on its workers): they run on this plain daemon thread instead, one at a time.
     */
    private static final java.util.concurrent.ExecutorService PAIR_COMMANDS = java.util.concurrent.Executors
            .newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "evasan-mgmt-pair-command");
                t.setDaemon(true);
                return t;
            });

    private final ApiRoutes api;
    private final LunRoutes luns;
    private final Controllers controllers;
    private final Drives drives;

    PairRoutes(ApiRoutes api, LunRoutes luns, Controllers controllers, Drives drives) {
        this.api = api;
        this.luns = luns;
        this.controllers = controllers;
        this.drives = drives;
    }

    void register(Router router) {
        api.on(router, "GET", "/api/luns/:name/ownership", this::ownership);
        api.on(router, "PUT", "/api/luns/:name/ownership", this::setOwnership);
        api.on(router, "POST", "/api/luns/:name/move", this::move);
        api.on(router, "POST", "/api/controllers/:id/drills", this::drill);
        api.on(router, "POST", "/api/controllers/:id/restart", this::restart);
        api.on(router, "GET", "/api/drills", this::drills);
        api.on(router, "POST", "/api/drills/pull-drive", this::pullDrive);
    }

    // ---- JSON shapes ----

    /**
     * One controller as GET /api/controllers adds it to the cache fields: {@code id}, {@code nscState}, owned units
     * ({@code ownedUnits} ids, {@code luns} names), {@code mirror} (MIRRORED, LOST with {@code mirrorLost}, or NONE
     * without a partner), {@code dirtyBytes}, {@code heartbeatRttMs} (null before the first beat), {@code takeovers}.
     */
    static JsonObject nsc(NscView v, boolean paired, Map<Integer, String> names) {
        JsonArray ids = new JsonArray();
        JsonArray luns = new JsonArray();
        for (int u : v.ownedUnits()) {
            ids.add(u);
            luns.add(names.getOrDefault(u, "unit " + u));
        }
        String mirror = !paired ? "NONE" : v.mirrorLost() == null ? "MIRRORED" : "LOST";
        return new JsonObject().put("id", v.id().name()).put("nscState", v.state().name())
                .put("ownedUnits", ids).put("luns", luns).put("mirror", mirror).put("mirrorLost", v.mirrorLost())
                .put("dirtyBytes", v.dirtyBytes())
                .put("heartbeatRttMs", v.heartbeatRttNanos() < 0 ? null : Math.round(v.heartbeatRttNanos() / 1e3) / 1e3)
                .put("takeovers", v.takeovers()).put("lease", v.lease());
    }

    static JsonObject ownershipJson(String lun, LunOwnership o) {
        return new JsonObject().put("lun", lun).put("unitId", o.unitId()).put("owner", o.owner().name())
                .put("preferred", o.preferred() == null ? null : o.preferred().name()).put("mode", o.mode().name());
    }

    static JsonObject drillJson(DrillReport d) {
        return new JsonObject().put("id", d.id()).put("kind", d.kind())
                .put("target", d.target() == null ? null : d.target().name())
                .put("startedAt", d.startedAtMillis()).put("detectionMillis", d.detectionMillis())
                .put("takeoverMillis", d.takeoverMillis()).put("firstIoMillis", d.firstIoMillis())
                .put("unitsMoved", d.unitsMoved()).put("writesAcknowledged", d.writesAcknowledged())
                .put("writesVerified", d.writesVerified()).put("lostWrites", d.lostWrites()).put("outcome", d.outcome());
    }

    // ---- parameters ----

    /** {@code A} or {@code B} (either case) from a path parameter or body field, else 400 naming {@code field}. */
    static NscId nscId(Object v, String field) {
        if (v instanceof String s) {
            for (NscId id : NscId.values()) {
                if (id.name().equalsIgnoreCase(s)) {
                    return id;
                }
            }
        }
        throw ApiError.badRequest(field, "'" + field + "' must be A or B (a controller of the pair), got "
                + (v instanceof String s ? "'" + s + "'" : Json.kind(v)));
    }

    private static FailoverMode mode(JsonObject b) {
        String m = Json.string(b, "mode");
        try {
            return FailoverMode.valueOf(m.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("mode", "field 'mode' must be one of " + Arrays.toString(FailoverMode.values())
                    + ", got '" + m + "'");
        }
    }

    /** The LUN named in the path (404 {@code name} when there is none). */
    private String lun(RoutingContext ctx) {
        return luns.lunParam(ctx).name();
    }

    private static ApiError refused(StorageException e, String stateField) {
        return new ApiError(e, e.code() == ErrorCode.NOT_FOUND ? "name"
                : e.code() == ErrorCode.INVALID_STATE ? stateField : null);
    }

    /** The body field an INVALID_ARGUMENT names ("field: why"), if it is one of {@code fields}; else null. */
    private static String namedField(StorageException e, Set<String> fields) {
        String m = e.getMessage();
        int colon = m == null ? -1 : m.indexOf(':');
        return colon > 0 && fields.contains(m.substring(0, colon)) ? m.substring(0, colon) : null;
    }

    // ---- ownership ----

    private Reply ownership(RoutingContext ctx) {
        String lun = lun(ctx);
        try {
            return new Reply(200, ownershipJson(lun, controllers.ownership(lun)));
        } catch (StorageException e) {
            throw refused(e, "name");
        }
    }

    private Reply setOwnership(RoutingContext ctx) {
        String lun = lun(ctx);
        JsonObject b = Json.body(ctx, Set.of("preferred", "mode"));
        NscId preferred = b.getValue("preferred") == null ? null : nscId(b.getValue("preferred"), "preferred");
        FailoverMode mode = mode(b);
        if (preferred == null && mode != FailoverMode.NO_PREFERENCE) {
            throw ApiError.badRequest("preferred", "mode " + mode + " needs a preferred controller: 'preferred' must be A or B");
        }
        try {
            return new Reply(200, ownershipJson(lun, controllers.setOwnership(lun, preferred, mode)));
        } catch (StorageException e) {
            throw refused(e, "preferred");
        }
    }

    private Reply move(RoutingContext ctx) {
        String lun = lun(ctx);
        JsonObject b = Json.body(ctx, Set.of("to"));
        NscId to = nscId(Json.string(b, "to"), "to");
        try {
            return new Reply(200, ownershipJson(lun, controllers.move(lun, to)));
        } catch (StorageException e) {
            throw refused(e, "to");
        }
    }

    // ---- drills and restart ----

    private Reply drill(RoutingContext ctx) {
        NscId target = nscId(ctx.pathParam("id"), "id");
        JsonObject b = Json.body(ctx, Set.of("kind", "force", "verify"));
        String kind = Json.string(b, "kind");
        if (!KINDS.contains(kind)) {
            throw ApiError.badRequest("kind", "field 'kind' must be one of " + KINDS + ", got '" + kind + "'");
        }
        boolean force = Json.optionalBoolean(b, "force", false);
        boolean verify = Json.optionalBoolean(b, "verify", false);
        if (!force) {
            throw "partition".equals(kind) ? unforcedPartition() : unforced(kind, target);
        }
        DrillReport d;
        try {
            d = offVertx(() -> controllers.drill(DrillRequest.of(kind, target, verify)));
        } catch (StorageException e) {
            throw e.code() == ErrorCode.INVALID_ARGUMENT ? new ApiError(e, namedField(e, Set.of("kind", "verify")))
                    : refused(e, "id");
        }
        if (d.started()) {
            long id = d.id();
            return new Reply(202, drillJson(d), () -> controllers.act(id));
        }
        return new Reply(200, drillJson(settled(d)));
    }

    /**
     * The drill's report once its takeover has been written down: the pair may answer as soon as the takeover
     * time is set, a moment before the outcome and the units moved are (then the outcome still says "running");
     * re-reads the history for up to 1 s.
     */
    private DrillReport settled(DrillReport d) {
        long deadline = System.nanoTime() + 1_000_000_000L;
        while ("running".equals(d.outcome()) && d.takeoverMillis() >= 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            for (DrillReport r : controllers.drills()) {
                if (r.id() == d.id()) {
                    d = r;
                }
            }
        }
        return d;
    }

    /**
     * The refusal of a drill without {@code force}: 409 {@code force} naming the LUNs that would fail over (also in
     * {@code wouldFailOver}, with {@code takenOverBy}); or, when the drill could not run anyway (one controller,
     * or not both online), the INVALID_STATE the cell would answer, naming {@code id}.
     */
    /** A partition drill without force: what it does (either controller may be the one that loses). */
    private ApiError unforcedPartition() {
        return new ApiError(409, "a partition drill cuts the event bus between A and B while both keep the drives: the "
                + "controller holding the quorum lease keeps writing and takes the other's LUNs over (the controller in "
                + "the path is ignored); repeat with \"force\": true", "force", null, null);
    }

    private ApiError unforced(String kind, NscId target) {
        List<NscView> views = controllers.nscs();
        NscView t = null;
        boolean bothOnline = views.size() == 2;
        for (NscView v : views) {
            bothOnline &= v.state() == NscState.ONLINE;
            if (v.id() == target) {
                t = v;
            }
        }
        if (!bothOnline || t == null) {
            String states = views.stream().map(v -> "nsc-" + v.id().name().toLowerCase(Locale.ROOT) + " is " + v.state())
                    .reduce((x, y) -> x + ", " + y).orElse("no controllers");
            String why = views.size() < 2 ? "this cell has a single controller: no partner to take over" : states;
            return new ApiError(409, "a " + kind + " drill needs both controllers online: " + why, "id",
                    ErrorCode.INVALID_STATE.name(), null);
        }
        Map<Integer, String> names = api.unitNames();
        List<String> luns = new ArrayList<>();
        for (int u : t.ownedUnits()) {
            luns.add(names.getOrDefault(u, "unit " + u));
        }
        String which = luns.isEmpty() ? "no LUNs (it owns none)" : "LUNs " + String.join(", ", luns);
        return new ApiError(409, "a " + kind + " drill stops controller " + target + ": " + which + " would fail over to "
                + target.partner() + "; repeat with \"force\": true", "force", null,
                new JsonObject().put("wouldFailOver", new JsonArray(luns)).put("takenOverBy", target.partner().name()));
    }

    private Reply restart(RoutingContext ctx) {
        NscId target = nscId(ctx.pathParam("id"), "id");
        if (ctx.body() != null && ctx.body().length() > 0) {
            Json.body(ctx, Set.of());   // no fields; an empty object (or no body) is fine
        }
        List<Integer> back;
        try {
            back = offVertx(() -> controllers.restart(target));
        } catch (StorageException e) {
            throw refused(e, "id");
        }
        Map<Integer, String> names = api.unitNames();
        JsonArray moved = new JsonArray();
        for (int u : back) {
            moved.add(names.getOrDefault(u, "unit " + u));
        }
        JsonObject o = new JsonObject().put("id", target.name()).put("failedBack", moved);
        for (NscView v : controllers.nscs()) {
            if (v.id() == target) {
                o.put("nsc", nsc(v, true, names));
            }
        }
        return new Reply(200, o);
    }

    /** Runs {@code call} on {@link #PAIR_COMMANDS} and waits; its exception is rethrown as it was. */
    private static <T> T offVertx(java.util.function.Supplier<T> call) {
        try {
            return PAIR_COMMANDS.submit(call::get).get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(ErrorCode.BUSY, "interrupted while waiting for the controller pair");
        }
    }

    /**
     * The pull-drive drill: {@code group} and {@code index} name the drive (404 naming the field when there is none,
     * 409 {@code index} when it is not AVAILABLE), {@code verify} runs the verifier, {@code force} pulls even a drive
     * holding the last redundancy of an RStore (without it that is 409 naming {@code force}, nothing changed).
     */
    private Reply pullDrive(RoutingContext ctx) {
        JsonObject b = Json.body(ctx, Set.of("group", "index", "verify", "force"));
        int group = (int) Json.integer(b, "group", 0, Integer.MAX_VALUE);
        int index = (int) Json.integer(b, "index", 0, Integer.MAX_VALUE);
        boolean verify = Json.optionalBoolean(b, "verify", false);
        boolean force = Json.optionalBoolean(b, "force", false);
        DiskGroupView g = drives.diskGroup(group).orElseThrow(() -> new ApiError(404, "no disk group with id " + group,
                "group", ErrorCode.NOT_FOUND.name(), null));
        DriveView drive = g.drives().stream().filter(d -> d.index() == index).findFirst().orElseThrow(() -> new ApiError(
                404, "disk group " + g.name() + " has no drive " + index, "index", ErrorCode.NOT_FOUND.name(), null));
        if (drive.state() != DriveStatus.AVAILABLE) {
            throw new ApiError(409, "drive " + index + " of disk group " + g.name() + " is " + drive.state()
                    + ": only an AVAILABLE drive can be pulled", "index", ErrorCode.INVALID_STATE.name(), null);
        }
        DrillReport d;
        try {
            d = offVertx(() -> controllers.drill(DrillRequest.pullDrive(group, index, verify, force)));
        } catch (StorageException e) {
            throw new ApiError(e, e.code() == ErrorCode.INVALID_STATE ? "force"
                    : e.code() == ErrorCode.NOT_FOUND ? "index" : null);
        }
        return new Reply(200, drillJson(d));
    }

    private Reply drills(RoutingContext ctx) {
        JsonArray a = new JsonArray();
        for (DrillReport d : controllers.drills()) {
            a.add(drillJson(d));
        }
        return new Reply(200, a);
    }
}

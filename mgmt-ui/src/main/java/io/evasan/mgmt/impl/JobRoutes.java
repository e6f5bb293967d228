package io.evasan.mgmt.impl;

import io.evasan.error.StorageException;
import io.evasan.nsc.api.Volumes;
import io.evasan.nsc.api.Backup;
import io.evasan.nsc.api.BgCopyView;
import io.evasan.nsc.api.Cell;
import io.evasan.nsc.api.CopyView;
import io.evasan.nsc.api.DiskGroupView;
import io.evasan.nsc.api.Drives;
import io.evasan.nsc.api.Jobs;
import io.evasan.nsc.api.RebuildView;
import io.evasan.nsc.lun.PromotedSnapclone;
import io.evasan.nsc.lun.SnapshotRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Background jobs with ids: {@code bgcopy-<snapclone>} (a snapclone's BGCOPY), {@code rebuild-<group>}
 * (the latest rebuild started through this API in a disk group) and {@code lopcopy} (the seed 003
 * LOP copy of the backup snapshot). Each job is {@code {id, type, target, state, done, total, unit, percent}}
 * with state RUNNING, PAUSED, DONE, FAILED or CANCELLED.
 *
 * <p>Invariants: a job's state is read from the layer that runs it at each request (nothing cached
 * except the final answer of a cancelled job, kept so its id still answers CANCELLED); a refused
 * pause/resume/cancel (409) changed nothing. Cancelling a bgcopy stops the copy and deletes the
 * unfinished snapclone (its data is not yet independent of the tree); a rebuild is never paused or
 * cancelled (it restores redundancy).
 */
final class JobRoutes {
    private static final int REMEMBERED_CANCELLED = 64;
    private final ApiRoutes api;
    private final Cell cell;
    private final Drives pool;
    private final Jobs trees;
    private final Volumes controller;
    /** Final answers of cancelled jobs, oldest first. */
    private final Map<String, JsonObject> cancelled = new LinkedHashMap<>();
    /**
     * Finished jobs an operator cleared, by id: the answer they had. A job is left out of the list while it still
     * answers exactly that (a new rebuild of the group, or a new copy, answers otherwise and shows again).
     */
    private final Map<String, JsonObject> cleared = new java.util.concurrent.ConcurrentHashMap<>();

    JobRoutes(ApiRoutes api, Cell cell) {
        this.api = api;
        this.cell = cell;
        this.pool = cell.drives();   // rebuilds started through this API: the cell keeps the latest per disk group
        this.trees = cell.jobs();
        this.controller = cell.volumes();
    }

    void register(Router router) {
        api.on(router, "GET", "/api/jobs", this::getJobs);
        api.on(router, "GET", "/api/jobs/:id", ctx -> new ApiRoutes.Reply(200, job(ctx.pathParam("id"))));
        api.on(router, "POST", "/api/jobs/clear", ctx -> new ApiRoutes.Reply(200, clearFinished()));
        api.on(router, "POST", "/api/jobs/:id/pause", ctx -> control(ctx, Action.PAUSE));
        api.on(router, "POST", "/api/jobs/:id/resume", ctx -> control(ctx, Action.RESUME));
        api.on(router, "POST", "/api/jobs/:id/cancel", ctx -> control(ctx, Action.CANCEL));
    }

    private enum Action { PAUSE, RESUME, CANCEL }

    // ---- the job list ----

    private ApiRoutes.Reply getJobs(RoutingContext ctx) {
        return new ApiRoutes.Reply(200, body());
    }

    /** The GET /api/jobs body. */
    JsonObject body() {
        JsonArray rb = new JsonArray();
        JsonArray flags = new JsonArray();
        for (DiskGroupView g : pool.diskGroups()) {
            RebuildView r = pool.rebuild(g.id()).orElse(null);
            if (r != null) {
                rb.add(ApiRoutes.rebuild(r));
            }
            flags.add(new JsonObject().put("group", g.id()).put("rebuildInProgress", g.rebuildInProgress())
                    .put("resyncInProgress", g.resyncInProgress()));
        }
        JsonArray bg = new JsonArray();
        for (SnapshotRecord s : controller.listSnapshots()) {
            if (!s.snapclone()) {
                continue;
            }
            BgCopyView p;
            try {
                p = trees.bgcopy(s.disk());
            } catch (StorageException e) {
                continue; // the disk is gone between listing and asking
            }
            bg.add(ApiRoutes.bgcopy(p).put("type", "bgcopy").put("snapshot", s.name()).put("lun", api.lunName(s.lunId())));
        }
        return new JsonObject().put("rebuilds", rb).put("bgcopies", bg).put("groups", flags)
                .put("jobs", new JsonArray(jobs()));
    }

    /**
     * Every job known now: bgcopies (a snapclone promoted to a LUN in this run answers DONE with
     * {@code promotedTo}), rebuilds, the LOP copy, then cancelled ones no longer present.
     */
    List<JsonObject> jobs() {
        List<JsonObject> out = allJobs();
        out.removeIf(j -> j.equals(cleared.get(j.getString("id"))));
        return out;
    }

    /**
     * Clears every finished job (DONE, FAILED, CANCELLED) from the list: {@code {cleared: [ids]}}. Running and
     * paused jobs stay; a failed bgcopy is a snapclone that still needs a decision (cancel) and stays too.
     */
    JsonObject clearFinished() {
        JsonArray ids = new JsonArray();
        for (JsonObject j : jobs()) {
            String state = j.getString("state");
            boolean finished = state.equals("DONE") || state.equals("CANCELLED")
                    || (state.equals("FAILED") && !j.getString("type").equals("bgcopy"));
            if (finished) {
                cleared.put(j.getString("id"), j);
                ids.add(j.getString("id"));
            }
        }
        synchronized (cancelled) {
            for (Object id : ids) {
                cancelled.remove((String) id);
            }
        }
        return new JsonObject().put("cleared", ids);
    }

    /** Every job known now, cleared ones included. */
    private List<JsonObject> allJobs() {
        controller.promoteDetachedSnapclones();
        List<JsonObject> out = new ArrayList<>();
        for (SnapshotRecord s : controller.listSnapshots()) {
            if (s.snapclone()) {
                JsonObject j = bgcopyJob(s);
                if (j != null) {
                    out.add(j);
                }
            }
        }
        for (PromotedSnapclone p : controller.promotedSnapclones()) {
            String id = "bgcopy-" + p.snapshotName();
            if (out.stream().noneMatch(j -> j.getString("id").equals(id))) {
                out.add(job(id, "bgcopy", p.snapshotName(), "DONE", p.segments(), p.segments(), "segments")
                        .put("lun", api.lunName(p.sourceLunId())).put("promotedTo", p.lunName()));
            }
        }
        for (DiskGroupView g : pool.diskGroups()) {
            RebuildView r = pool.rebuild(g.id()).orElse(null);
            if (r != null) {
                out.add(rebuildJob(r));
            }
            pool.leveling(g.id()).ifPresent(l -> out.add(levelingJob(l)));
        }
        JsonObject lop = lopJob();
        if (lop != null) {
            out.add(lop);
        }
        synchronized (cancelled) {
            for (Map.Entry<String, JsonObject> e : cancelled.entrySet()) {
                if (out.stream().noneMatch(j -> j.getString("id").equals(e.getKey()))) {
                    out.add(e.getValue().copy());
                }
            }
        }
        return out;
    }

    private static JsonObject job(String id, String type, String target, String state, long done, long total, String unit) {
        long percent = total <= 0 ? (state.equals("DONE") ? 100 : 0) : Math.min(100, done * 100 / total);
        return new JsonObject().put("id", id).put("type", type).put("target", target).put("state", state)
                .put("done", done).put("total", total).put("unit", unit).put("percent", percent);
    }

    private JsonObject bgcopyJob(SnapshotRecord s) {
        BgCopyView p;
        try {
            p = trees.bgcopy(s.disk());
        } catch (StorageException e) {
            return null;
        }
        String state = switch (p.state()) {
            case RUNNING -> "RUNNING";
            case PAUSED -> "PAUSED";
            case DONE -> "DONE";
            case STALLED_NO_SPACE -> "FAILED";
        };
        JsonObject j = job("bgcopy-" + s.name(), "bgcopy", s.name(), state, p.done(), p.total(), "segments")
                .put("lun", api.lunName(s.lunId()));
        if (p.state() == BgCopyView.State.STALLED_NO_SPACE) {
            j.put("message", "stalled: the disk group has no free segment; free space, then resume");
        }
        return j;
    }

    private static JsonObject rebuildJob(RebuildView r) {
        String state = !r.finished() ? "RUNNING" : r.failure() != null ? "FAILED" : "DONE";
        JsonObject j = job("rebuild-" + r.group(), "rebuild", r.groupName(), state, r.done(), r.total(), "64 KiB rows")
                .put("group", r.group());
        if (r.failure() != null) {
            j.put("message", r.failure().toString());
        }
        return j;
    }

    /** A leveling job: BALANCED is DONE, STOPPED is CANCELLED, STUCK and FAILED are FAILED with the reason. */
    static JsonObject levelingJob(io.evasan.nsc.api.LevelingView l) {
        String state = switch (l.state()) {
            case "RUNNING", "IDLE" -> "RUNNING";
            case "PAUSED" -> "PAUSED";
            case "BALANCED" -> "DONE";
            case "STOPPED" -> "CANCELLED";
            default -> "FAILED";
        };
        JsonObject j = job("leveling-" + l.group(), "leveling", l.groupName(), state, l.bytesMoved(), l.bytesPlanned(), "bytes")
                .put("group", l.group()).put("moves", l.movesDone()).put("movesPlanned", l.movesPlanned())
                .put("movesSkipped", l.movesSkipped()).put("rateBytesPerSecond", l.rateBytesPerSecond())
                .put("levelingState", l.state());
        if (state.equals("FAILED") && l.lastError() != null) {
            j.put("message", l.state() + ": " + l.lastError());
        }
        return j;
    }

    private JsonObject lopJob() {
        CopyView p = cell.backup().state().copy();
        if (p == null) {
            return null;
        }
        String state;
        if (p.running()) {
            state = p.paused() ? "PAUSED" : "RUNNING";
        } else if (p.completed()) {
            state = "DONE";
        } else if (p.terminatedByCommand()) {
            state = "CANCELLED";
        } else {
            state = "FAILED";
        }
        JsonObject j = job("lopcopy", "lopcopy", api.lunName(p.destinationLunId()), state, p.done(), p.total(), "segments")
                .put("copiedSegments", p.copied()).put("incremental", p.incremental())
                .put("lopStatus", String.format("%04X", p.status()));
        if (state.equals("FAILED")) {
            j.put("message", "the copy ended with LOP status " + String.format("%04Xh", p.status()));
        }
        return j;
    }

    /** The job {@code id} now. @throws ApiError 404 */
    JsonObject job(String id) {
        for (JsonObject j : jobs()) {
            if (j.getString("id").equals(id)) {
                return j;
            }
        }
        throw new ApiError(404, "no job with id '" + id + "' (ids: bgcopy-<snapclone>, rebuild-<group>, leveling-<group>,"
                + " lopcopy)", "id");
    }

    // ---- pause / resume / cancel ----

    private ApiRoutes.Reply control(RoutingContext ctx, Action action) {
        String id = ctx.pathParam("id");
        synchronized (this) {
            JsonObject j = job(id);
            String state = j.getString("state");
            if (state.equals("DONE") || state.equals("CANCELLED") || (state.equals("FAILED") && !j.getString("type").equals("bgcopy"))) {
                throw new ApiError(409, "job " + id + " is " + state + "; it cannot be " + verb(action), "id");
            }
            switch (j.getString("type")) {
                case "rebuild" -> throw new ApiError(409, "job " + id + " is a rebuild: it restores redundancy and is not "
                        + verb(action), "id");
                case "bgcopy" -> bgcopyControl(j, action);
                case "lopcopy" -> lopControl(j, action);
                case "leveling" -> levelingControl(j, action);
                default -> throw new IllegalStateException("unknown job type " + j.getString("type"));
            }
            if (action == Action.CANCEL) {
                JsonObject done = j.copy().put("state", "CANCELLED");
                synchronized (cancelled) {
                    cancelled.remove(id);
                    cancelled.put(id, done);
                    while (cancelled.size() > REMEMBERED_CANCELLED) {
                        cancelled.remove(cancelled.keySet().iterator().next());
                    }
                }
                return new ApiRoutes.Reply(200, done.copy());
            }
            return new ApiRoutes.Reply(200, job(id));
        }
    }

    private static String verb(Action a) {
        return switch (a) {
            case PAUSE -> "paused";
            case RESUME -> "resumed";
            case CANCEL -> "cancelled";
        };
    }

    private void bgcopyControl(JsonObject j, Action action) {
        String snap = j.getString("target");
        SnapshotRecord s = controller.listSnapshots().stream().filter(x -> x.name().equals(snap)).findFirst()
                .orElseThrow(() -> new ApiError(404, "no snapclone named '" + snap + "'", "id"));
        try {
            switch (action) {
                case PAUSE -> trees.pauseBgcopy(s.disk());
                case RESUME -> trees.resumeBgcopy(s.disk());
                case CANCEL -> {
                    for (io.evasan.nsc.lun.Presentation p : controller.snapshotPresentations(s.name())) {
                        throw new ApiError(409, "snapclone " + s.name() + " is presented to " + p.initiator()
                                + " as host LUN " + p.hostLun() + "; unpresent it before cancelling its copy", "id");
                    }
                    trees.pauseBgcopy(s.disk());   // the copy cannot complete after this (409 if it is completing)
                    controller.deleteSnapshot(s.name());
                }
            }
        } catch (StorageException e) {
            throw new ApiError(e, "id");
        }
    }

    private void levelingControl(JsonObject j, Action action) {
        try {
            pool.controlLeveling(j.getInteger("group"), switch (action) {
                case PAUSE -> "pause";
                case RESUME -> "resume";
                case CANCEL -> "stop";
            });
        } catch (StorageException e) {
            throw new ApiError(e, "id");
        }
    }

    private void lopControl(JsonObject j, Action action) {
        Backup engine = cell.backup();
        switch (action) {
            case PAUSE -> {
                engine.pauseCopy();
                CopyView p = engine.state().copy();
                if (p == null || !p.running()) {   // finished between the check and the pause: do not hold the next copy
                    engine.resumeCopy();
                    throw new ApiError(409, "the LOP copy finished meanwhile", "id");
                }
            }
            case RESUME -> engine.resumeCopy();
            case CANCEL -> {
                if (!engine.cancelCopy()) {
                    throw new ApiError(409, "the LOP copy finished meanwhile", "id");
                }
            }
        }
    }
}

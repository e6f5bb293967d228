package io.evasan.mgmt.impl;

import io.evasan.mgmt.FabricControl;
import io.evasan.mgmt.IscsiSessions;
import io.evasan.mgmt.ManagementConfig;
import io.evasan.nsc.api.Cell;
import io.evasan.nsc.api.HealthState;
import io.evasan.nsc.api.LbaRange;
import io.evasan.nsc.api.ObjectHealth;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * GET /api/health: the health of every object — the cell's ({@link Cell#health()}: drives, RSSs, disk groups,
 * LUNs, snapshots, controllers, the write cache) plus the management layer's own view of the fabric, when it runs
 * one (the cell's FC ports as {@code port}, logged-in host N_Ports as {@code session}) — and the JSON shape the
 * objects' own GETs carry as their {@code health} field.
 *
 * <p>Invariant: read only; the overall {@code state} is the worst object state; a JSON object lists at most
 * {@link #MAX_RANGES} lost block ranges and always the total count and blocks, so the answer stays bounded.
 */
final class HealthRoutes {
    /** Lost LBA ranges listed per object (the rest are counted in {@code lostRangeCount} and {@code lostBlocks}). */
    static final int MAX_RANGES = 256;

    private final ApiRoutes api;
    private final Cell cell;
    private final FabricControl fabric;
    private final java.util.function.LongSupplier clock;
    /** Guards the shared computation: concurrent periodic readers wait for one computation rather than each running one. */
    private final Object shareLock = new Object();
    private List<ObjectHealth> shared;
    private long sharedAt;
    private long computations;

    private final IscsiSessions sessions;

    HealthRoutes(ApiRoutes api, Cell cell, ManagementConfig config) {
        this(api, cell, config.fabric(), config.iscsiSessions(), System::nanoTime);
    }

    HealthRoutes(ApiRoutes api, Cell cell, FabricControl fabric, IscsiSessions sessions,
                 java.util.function.LongSupplier nanoClock) {
        this.api = api;
        this.cell = cell;
        this.fabric = fabric;
        this.sessions = sessions;
        this.clock = nanoClock;
    }

    void register(Router router) {
        api.on(router, "GET", "/api/health", this::get);
    }

    private ApiRoutes.Reply get(RoutingContext ctx) {
        List<String> kinds = ctx.queryParam("kind");
        Set<String> known = Set.of("drive", "rss", "disk-group", "lun", "snapshot", "controller", "cache", "port", "session");
        for (String k : kinds) {
            if (!known.contains(k)) {
                throw ApiError.badRequest("kind", "query parameter 'kind' must be one of " + new java.util.TreeSet<>(known)
                        + ", not '" + k + "'");
            }
        }
        return new ApiRoutes.Reply(200, body(kinds));
    }

    /** The GET /api/health body: {@code {state, counts{ok,degraded,failed}, objects[...]}}, filtered to {@code kinds} (all when empty). */
    JsonObject body(List<String> kinds) {
        return body(kinds, objects());
    }

    /** As {@link #body(List)}, over {@code objects}. */
    static JsonObject body(List<String> kinds, List<ObjectHealth> objects) {
        HealthState worst = HealthState.OK;
        int[] counts = new int[HealthState.values().length];
        JsonArray a = new JsonArray();
        for (ObjectHealth o : objects) {
            if (!kinds.isEmpty() && !kinds.contains(o.kind())) {
                continue;
            }
            worst = worst.worst(o.state());
            counts[o.state().ordinal()]++;
            a.add(json(o));
        }
        return new JsonObject().put("state", worst.name())
                .put("counts", new JsonObject().put("ok", counts[0]).put("degraded", counts[1]).put("failed", counts[2]))
                .put("objects", a);
    }

    /** Every object's health now: the cell's and the fabric's (computed afresh, and shared with {@link #recent}). */
    List<ObjectHealth> objects() {
        synchronized (shareLock) {
            List<ObjectHealth> out = new ArrayList<>(cell.health().objects());
            if (fabric != null) {
                for (FabricControl.Port p : fabric.ports()) {
                    out.add(port(p));
                }
            }
            if (sessions != null) {
                for (IscsiSessions.Session s : sessions.sessions()) {
                    out.add(session(s));
                }
            }
            shared = List.copyOf(out);
            sharedAt = clock.getAsLong();
            computations++;
            return out;
        }
    }

    /**
     * The health of every object as computed at most {@code maxAgeMillis} ago: the periodic readers (the console's
     * live stream every half second, the event watcher every tick) share one computation instead of each walking
     * every RStore of every group. Requests (GET /api/health, the objects' own GETs, a scrape) call {@link #objects}.
     */
    List<ObjectHealth> recent(long maxAgeMillis) {
        synchronized (shareLock) {
            if (shared != null && clock.getAsLong() - sharedAt < maxAgeMillis * 1_000_000L) {
                return shared;
            }
            return objects();
        }
    }

    /** How many times the health was computed (tests: the periodic readers share). */
    long computations() {
        synchronized (shareLock) {
            return computations;
        }
    }

    /** The {@code health} field of each object, keyed "kind/id". */
    Map<String, JsonObject> byObject() {
        Map<String, JsonObject> m = new HashMap<>();
        for (ObjectHealth o : objects()) {
            m.put(o.kind() + "/" + o.id(), json(o));
        }
        return m;
    }

    static ObjectHealth port(FabricControl.Port p) {
        boolean cellPort = p.home() != null;
        String name = (p.symbolicName() == null || p.symbolicName().isEmpty() ? "" : p.symbolicName() + " ") + p.wwpn();
        HealthState s;
        String why;
        if (!p.linkUp()) {
            s = cellPort ? HealthState.FAILED : HealthState.DEGRADED;
            why = "link down";
        } else if (!p.loggedIn()) {
            s = HealthState.DEGRADED;
            why = "link up, not logged in to the fabric";
        } else {
            s = HealthState.OK;
            why = "";
        }
        return new ObjectHealth(cellPort ? "port" : "session", p.wwpn(), name, s, why, List.of());
    }

    /** The health object id of an iSCSI session: initiator, ISID and the portal it logged in to. */
    static String sessionId(IscsiSessions.Session s) {
        return "iscsi:" + s.initiatorName() + ",0x" + s.isid() + "@" + s.portal();
    }

    /** An iSCSI session: OK while the initiator answers, DEGRADED while the target's ping waits for its answer. */
    static ObjectHealth session(IscsiSessions.Session s) {
        String name = s.initiatorName() + " via " + s.portal() + " (" + s.nsc() + ")";
        if (s.unansweredPingMillis() > 0) {
            return new ObjectHealth("session", sessionId(s), name, HealthState.DEGRADED, "initiator silent: NOP-In ping"
                    + " unanswered for " + s.unansweredPingMillis() + " ms (the connection closes at the NOP-In timeout)",
                    List.of());
        }
        return new ObjectHealth("session", sessionId(s), name, HealthState.OK, "", List.of());
    }

    static JsonObject json(ObjectHealth o) {
        JsonObject j = new JsonObject().put("kind", o.kind()).put("id", o.id()).put("name", o.name())
                .put("state", o.state().name()).put("reason", o.reason());
        if (!o.lost().isEmpty()) {
            JsonArray ranges = new JsonArray();
            long blocks = 0;
            for (LbaRange r : o.lost()) {
                blocks += r.blocks();
                if (ranges.size() < MAX_RANGES) {
                    ranges.add(new JsonObject().put("firstLba", r.firstLba()).put("blocks", r.blocks()));
                }
            }
            j.put("lostRanges", ranges).put("lostRangeCount", o.lost().size()).put("lostBlocks", blocks);
        }
        return j;
    }
}

package io.evasan.mgmt.impl;

import io.evasan.mgmt.FabricControl;
import io.evasan.mgmt.ManagementConfig;
import io.evasan.nsc.api.Records;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The Fibre Channel fabric routes: the fabric view ({@code GET /api/fabric}: switch ports, N_Port IDs, WWPNs,
 * logged-in state, FC-4 role, which controller serves each of the cell's target ports) and zoning — zones of member
 * WWPNs, zone sets of zones, one active zone set ({@code /api/fabric/zones}, {@code /api/fabric/zonesets},
 * {@code .../activate}, {@code /api/fabric/deactivate}).
 *
 * For each logged-in host port the view adds what it sees: the LUNs presented to its WWPN (or to every initiator) and
 * its paths, the cell's logged-in target ports the zoning in force lets it reach.
 *
 * <p>Zoning is cell state: each zone, zone set and the active configuration is a record of the cell's
 * {@link Records} ({@link ZoningDescriptor}: kinds {@code fabric.zone}, {@code fabric.zoneset},
 * {@code fabric.active}), so it survives restarts; {@link #load} applies the stored active set to the switch at start.
 * <b>Default:</b> with no zone set active the switch's default zone holds (the appliance sets it to all access, so an
 * out-of-box cell is reachable by every host, masking still deciding which LUNs it sees); once an admin activates a
 * zone set, the switch enforces exactly it on every frame until it is deactivated.
 *
 * <p>Invariants: a zone used by a zone set, or the active zone set, cannot be deleted (409), so the active
 * configuration always resolves; a 4xx changed nothing; the record is written before the switch is told.
 */
final class FabricRoutes {
    static final int MAX_MEMBERS = 256;
    static final int MAX_ZONES = 256;

    private final ApiRoutes api;
    private final FabricControl fabric;
    private final Records records;
    private final io.evasan.nsc.api.Volumes volumes;
    private final Map<String, List<String>> zones = new TreeMap<>();
    private final Map<String, List<String>> zoneSets = new TreeMap<>();
    private String active;

    FabricRoutes(ApiRoutes api, ManagementConfig config, io.evasan.nsc.api.Volumes volumes) {
        this.api = api;
        this.volumes = volumes;
        this.fabric = config.fabric();
        this.records = config.records();
    }

    void register(Router router) {
        api.on(router, "GET", "/api/fabric", this::view);
        api.on(router, "GET", "/api/fabric/zones", ctx -> new ApiRoutes.Reply(200, zonesJson()));
        api.on(router, "POST", "/api/fabric/zones", this::createZone);
        api.on(router, "DELETE", "/api/fabric/zones/:name", this::deleteZone);
        api.on(router, "GET", "/api/fabric/zonesets", ctx -> new ApiRoutes.Reply(200, zoneSetsJson()));
        api.on(router, "POST", "/api/fabric/zonesets", this::createZoneSet);
        api.on(router, "DELETE", "/api/fabric/zonesets/:name", this::deleteZoneSet);
        api.on(router, "POST", "/api/fabric/zonesets/:name/activate", this::activate);
        api.on(router, "POST", "/api/fabric/deactivate", this::deactivate);
    }

    // ---- persistence ----

    /**
     * Loads the stored zones, zone sets and active configuration, and activates that set on the fabric.
     *
     * @throws io.evasan.error.StorageException CORRUPT_METADATA for a malformed record
     */
    synchronized void load() {
        zones.clear();
        zoneSets.clear();
        for (String k : records.keys(ZoningDescriptor.ZONE)) {
            records.get(ZoningDescriptor.ZONE, k).map(ZoningDescriptor::decode).ifPresent(s -> zones.put(s.name(), s.items()));
        }
        for (String k : records.keys(ZoningDescriptor.ZONE_SET)) {
            records.get(ZoningDescriptor.ZONE_SET, k).map(ZoningDescriptor::decode)
                    .ifPresent(s -> zoneSets.put(s.name(), s.items()));
        }
        active = records.get(ZoningDescriptor.ACTIVE, ZoningDescriptor.ACTIVE_KEY).map(ZoningDescriptor::decode)
                .map(ZoningDescriptor.Stored::name).filter(zoneSets::containsKey).orElse(null);
        if (fabric != null) {
            if (active != null) {
                fabric.activate(active, resolve(active));
            } else {
                fabric.deactivate();
            }
        }
    }

    private Map<String, Set<String>> resolve(String set) {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String z : zoneSets.get(set)) {
            out.put(z, new LinkedHashSet<>(zones.getOrDefault(z, List.of())));
        }
        return out;
    }

    // ---- the fabric view ----

    /** The GET /api/fabric body (also the console's). @throws ApiError 404 when the appliance runs no fabric */
    synchronized JsonObject viewBody() {
        if (fabric == null) {
            throw new ApiError(404, "this appliance runs no Fibre Channel fabric", "fabric");
        }
        JsonArray ports = new JsonArray();
        List<FabricControl.Port> all = fabric.ports();
        Map<Integer, String> units = api.unitNames();
        List<io.evasan.nsc.lun.Presentation> presentations = volumes.listPresentations();
        for (FabricControl.Port p : all) {
            JsonObject o = new JsonObject().put("index", p.index()).put("linkUp", p.linkUp()).put("loggedIn", p.loggedIn())
                    .put("nPortId", p.loggedIn() ? String.format("%06x", p.nPortId()) : null)
                    .put("wwpn", p.wwpn()).put("wwnn", p.wwnn()).put("symbolicName", p.symbolicName()).put("role", p.role())
                    .put("kind", p.home() != null ? "cell" : "host")
                    .put("zonedWith", zonedWith(p.wwpn()));
            if (p.home() != null) {
                o.put("home", p.home()).put("servedBy", p.servedBy()).put("relativeTargetPort", p.relativeTargetPort());
            } else if (p.loggedIn()) {
                o.put("luns", lunsOf(p.wwpn(), presentations, units)).put("paths", paths(p.wwpn(), all));
            }
            ports.add(o);
        }
        return new JsonObject().put("domain", fabric.domain()).put("switchWwn", fabric.switchWwn())
                .put("listen", fabric.listenAddress()).put("defaultZone", fabric.defaultZone())
                .put("activeZoneSet", active).put("zoningEnforced", active != null)
                .put("targetWwpns", new JsonArray(fabric.targetWwpns())).put("ports", ports);
    }

    /** What a host port sees: {@code [{hostLun, lun}]} presented to its WWPN or to every initiator. */
    private static JsonArray lunsOf(String wwpn, List<io.evasan.nsc.lun.Presentation> presentations, Map<Integer, String> units) {
        Map<Integer, String> seen = new TreeMap<>();
        for (io.evasan.nsc.lun.Presentation pr : presentations) {
            if (pr.initiator().equals("*")) {
                seen.putIfAbsent(pr.hostLun(), units.get(pr.lunId()));
            }
        }
        for (io.evasan.nsc.lun.Presentation pr : presentations) {
            if (pr.initiator().equalsIgnoreCase(wwpn)) {
                seen.put(pr.hostLun(), units.get(pr.lunId()));   // an initiator's own entry wins, as in the LUN table
            }
        }
        JsonArray a = new JsonArray();
        seen.forEach((hostLun, lun) -> a.add(new JsonObject().put("hostLun", hostLun).put("lun", lun)));
        return a;
    }

    /** The cell's logged-in target ports a host port may reach under the zoning in force: its paths to the cell. */
    private JsonArray paths(String wwpn, List<FabricControl.Port> all) {
        JsonArray a = new JsonArray();
        for (FabricControl.Port t : all) {
            if (t.home() != null && t.loggedIn() && zoned(wwpn, t.wwpn())) {
                a.add(new JsonObject().put("wwpn", t.wwpn()).put("nPortId", String.format("%06x", t.nPortId()))
                        .put("relativeTargetPort", t.relativeTargetPort()).put("servedBy", t.servedBy()));
            }
        }
        return a;
    }

    private boolean zoned(String a, String b) {
        if (active == null) {
            return "ALL_ACCESS".equals(fabric.defaultZone());
        }
        for (String z : zoneSets.get(active)) {
            List<String> m = zones.getOrDefault(z, List.of());
            if (m.contains(a) && m.contains(b)) {
                return true;
            }
        }
        return false;
    }

    /** Zones of the active set holding {@code wwpn}; every zone ("*") under the all-access default zone. */
    private JsonArray zonedWith(String wwpn) {
        JsonArray a = new JsonArray();
        if (active == null) {
            if ("ALL_ACCESS".equals(fabric.defaultZone())) {
                a.add("*");
            }
            return a;
        }
        for (String z : zoneSets.get(active)) {
            if (zones.getOrDefault(z, List.of()).contains(wwpn)) {
                a.add(z);
            }
        }
        return a;
    }

    private ApiRoutes.Reply view(RoutingContext ctx) {
        return new ApiRoutes.Reply(200, viewBody());
    }

    // ---- zones ----

    private synchronized JsonArray zonesJson() {
        JsonArray a = new JsonArray();
        zones.forEach((name, members) -> a.add(zoneJson(name, members)));
        return a;
    }

    private JsonObject zoneJson(String name, List<String> members) {
        JsonArray sets = new JsonArray();
        zoneSets.forEach((s, z) -> {
            if (z.contains(name)) {
                sets.add(s);
            }
        });
        return new JsonObject().put("name", name).put("members", new JsonArray(members)).put("zoneSets", sets);
    }

    private synchronized ApiRoutes.Reply createZone(RoutingContext ctx) {
        JsonObject b = Json.body(ctx, Set.of("name", "members"));
        String name = ApiRoutes.name(b, "name");
        List<String> members = list(b, "members", MAX_MEMBERS, true);
        store(ctx, zones, ZoningDescriptor.ZONE, ZoningDescriptor.TYPE_ZONE, "zone", name, members);
        return new ApiRoutes.Reply(201, zoneJson(name, members));
    }

    private synchronized ApiRoutes.Reply deleteZone(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        if (!zones.containsKey(name)) {
            throw new ApiError(404, "no zone named '" + name + "'", "name");
        }
        for (Map.Entry<String, List<String>> s : zoneSets.entrySet()) {
            if (s.getValue().contains(name)) {
                throw new ApiError(409, "zone '" + name + "' is in zone set '" + s.getKey() + "'", "name");
            }
        }
        records.remove(ZoningDescriptor.ZONE, name);
        zones.remove(name);
        return new ApiRoutes.Reply(204, null);
    }

    /**
     * The array field {@code field}: 1..{@code max} distinct strings, each a WWPN ({@code wwpns}, returned
     * lower-case) or a zone name. @throws ApiError 400 naming {@code field} or {@code field[i]}
     */
    private List<String> list(JsonObject b, String field, int max, boolean wwpns) {
        Object v = b.getValue(field);
        if (!(v instanceof JsonArray a) || a.isEmpty() || a.size() > max) {
            throw ApiError.badRequest(field, "field '" + field + "' must be an array of 1.." + max
                    + (wwpns ? " WWPNs (xx:xx:xx:xx:xx:xx:xx:xx)" : " zone names"));
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            String f = field + "[" + i + "]";
            if (!(a.getValue(i) instanceof String s)) {
                throw ApiError.badRequest(f, "field '" + f + "' must be a string");
            }
            String item;
            if (wwpns) {
                if (!InitiatorNames.isWwpn(s)) {
                    throw ApiError.badRequest(f, "field '" + f + "' = '" + s + "' is not a WWPN (xx:xx:xx:xx:xx:xx:xx:xx)");
                }
                item = s.toLowerCase(Locale.ROOT);
            } else {
                if (!zones.containsKey(s)) {
                    throw new ApiError(404, "no zone named '" + s + "'", f);
                }
                item = s;
            }
            if (out.contains(item)) {
                throw ApiError.badRequest(f, "field '" + f + "' = '" + s + "' is listed twice");
            }
            out.add(item);
        }
        return out;
    }

    /**
     * Stores a new zone or zone set {@code name} as a record of {@code kind}, then in {@code map}; sets Location.
     * @throws ApiError 409 {@code name} when {@code map} has it
     */
    private void store(RoutingContext ctx, Map<String, List<String>> map, String kind, int type, String what, String name,
                       List<String> items) {
        if (map.containsKey(name)) {
            throw new ApiError(409, "a " + what + " named '" + name + "' already exists", "name");
        }
        records.put(kind, name, ZoningDescriptor.encode(new ZoningDescriptor.Stored(type, name, items)));
        map.put(name, items);
        ctx.response().putHeader("location", (type == ZoningDescriptor.TYPE_ZONE ? "/api/fabric/zones/" : "/api/fabric/zonesets/")
                + name);
    }

    // ---- zone sets ----

    private synchronized JsonArray zoneSetsJson() {
        JsonArray a = new JsonArray();
        zoneSets.forEach((name, z) -> a.add(zoneSetJson(name)));
        return a;
    }

    private JsonObject zoneSetJson(String name) {
        return new JsonObject().put("name", name).put("zones", new JsonArray(zoneSets.get(name)))
                .put("active", name.equals(active));
    }

    private synchronized ApiRoutes.Reply createZoneSet(RoutingContext ctx) {
        JsonObject b = Json.body(ctx, Set.of("name", "zones"));
        String name = ApiRoutes.name(b, "name");
        List<String> members = list(b, "zones", MAX_ZONES, false);
        store(ctx, zoneSets, ZoningDescriptor.ZONE_SET, ZoningDescriptor.TYPE_ZONE_SET, "zone set", name, members);
        return new ApiRoutes.Reply(201, zoneSetJson(name));
    }

    private synchronized ApiRoutes.Reply deleteZoneSet(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        if (!zoneSets.containsKey(name)) {
            throw new ApiError(404, "no zone set named '" + name + "'", "name");
        }
        if (name.equals(active)) {
            throw new ApiError(409, "zone set '" + name + "' is active: deactivate it or activate another first", "name");
        }
        records.remove(ZoningDescriptor.ZONE_SET, name);
        zoneSets.remove(name);
        return new ApiRoutes.Reply(204, null);
    }

    private synchronized ApiRoutes.Reply activate(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        if (!zoneSets.containsKey(name)) {
            throw new ApiError(404, "no zone set named '" + name + "'", "name");
        }
        records.put(ZoningDescriptor.ACTIVE, ZoningDescriptor.ACTIVE_KEY,
                ZoningDescriptor.encode(new ZoningDescriptor.Stored(ZoningDescriptor.TYPE_ACTIVE, name, List.of())));
        active = name;
        if (fabric != null) {
            fabric.activate(name, resolve(name));
        }
        return new ApiRoutes.Reply(200, zoneSetJson(name).put("enforced", fabric != null));
    }

    private synchronized ApiRoutes.Reply deactivate(RoutingContext ctx) {
        records.remove(ZoningDescriptor.ACTIVE, ZoningDescriptor.ACTIVE_KEY);
        active = null;
        if (fabric != null) {
            fabric.deactivate();
        }
        return new ApiRoutes.Reply(200, new JsonObject().put("activeZoneSet", (String) null)
                .put("defaultZone", fabric == null ? null : fabric.defaultZone()));
    }

    /** The active zone set's name, if any. */
    synchronized Optional<String> active() {
        return Optional.ofNullable(active);
    }
}

package io.evasan.mgmt.impl;

import io.evasan.error.StorageException;
import io.evasan.mgmt.InitiatorSecrets;
import io.evasan.mgmt.ManagementConfig;
import io.evasan.mld.Mld;
import io.evasan.nsc.Controller;
import io.evasan.nsc.lun.Presentation;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * The host registry: GET/POST /api/hosts, GET/DELETE /api/hosts/{name}. A host is a name, its initiator
 * names and optionally CHAP credentials that the iSCSI target then demands from each of its initiators.
 *
 * <p>Invariants: a host is persisted (MLD kind {@value #KIND}, layout {@link HostDescriptor}) before it
 * exists in memory and before its secrets reach the target; an initiator belongs to at most one host
 * (compared case-insensitively, as iSCSI names are); CHAP secrets are write-only — no answer contains them.
 */
final class HostRoutes {
    static final String KIND = "mgmt.host";
    static final Pattern INITIATOR = Pattern.compile("(iqn\\.\\d{4}-\\d{2}\\.[^\\s]+|eui\\.[0-9A-Fa-f]{16}|naa\\.[0-9A-Fa-f]{16,32})");
    static final int MAX_INITIATORS = 64;
    static final int MAX_INITIATOR_BYTES = 223;   // RFC 7143 §4.2.7.1
    static final int MIN_SECRET_BYTES = 12;       // RFC 7143 §12.1.3: at least 96 bits
    static final int MAX_SECRET_BYTES = 255;
    static final Set<String> CHAP_FIELDS = Set.of("userName", "secret", "targetUserName", "targetSecret");

    private final ApiRoutes api;
    private final Controller controller;
    private final RecordStore store;
    private final InitiatorSecrets secrets;
    private final LongSupplier clock;
    private final Map<String, HostDescriptor.Stored> hosts = new TreeMap<>();

    HostRoutes(ApiRoutes api, Controller controller, ManagementConfig config) {
        this.api = api;
        this.controller = controller;
        Mld mld = config.credentialMld();
        this.store = new RecordStore(mld, mld == null && config.stateDirectory() != null
                ? config.stateDirectory().resolve("mgmt-hosts") : null, KIND, "host");
        this.secrets = config.initiatorSecrets();
        this.clock = config.clock();
    }

    void register(Router router) {
        api.on(router, "GET", "/api/hosts", ctx -> new ApiRoutes.Reply(200, all()));
        api.on(router, "POST", "/api/hosts", this::create);
        api.on(router, "GET", "/api/hosts/:name", ctx -> new ApiRoutes.Reply(200, json(param(ctx), presentations())));
        api.on(router, "DELETE", "/api/hosts/:name", this::delete);
    }

    // ---- persistence ----

    /**
     * Loads the stored hosts and hands their CHAP secrets to the target.
     *
     * @throws StorageException CORRUPT_METADATA for a malformed record (nothing loaded), IO_ERROR
     */
    synchronized void load() {
        List<byte[]> records = store.loadAll();
        Map<String, HostDescriptor.Stored> loaded = new TreeMap<>();
        for (byte[] r : records) {
            HostDescriptor.Stored h = HostDescriptor.decode(r);
            loaded.put(h.name(), h);
        }
        hosts.clear();
        hosts.putAll(loaded);
        for (HostDescriptor.Stored h : loaded.values()) {
            pushSecrets(h);
        }
    }

    private void store(HostDescriptor.Stored h) {
        store.put(h.name(), HostDescriptor.encode(h));
    }

    private void unstore(String name) {
        store.remove(name);
    }

    private void pushSecrets(HostDescriptor.Stored h) {
        if (secrets == null || h.chap() == null) {
            return;
        }
        HostDescriptor.Chap c = h.chap();
        for (String i : h.initiators()) {
            secrets.put(i, new InitiatorSecrets.Chap(c.userName(), c.secret(), c.targetUserName(), c.targetSecret()));
        }
    }

    // ---- routes ----

    private synchronized ApiRoutes.Reply create(RoutingContext ctx) {
        JsonObject b = Json.body(ctx, Set.of("name", "initiators", "chap"));
        String name = ApiRoutes.name(b, "name");
        Object iv = b.getValue("initiators");
        if (iv == null) {
            throw ApiError.badRequest("initiators", "field 'initiators' is required");
        }
        if (!(iv instanceof JsonArray ia) || ia.isEmpty() || ia.size() > MAX_INITIATORS) {
            throw ApiError.badRequest("initiators", "field 'initiators' must be an array of 1.." + MAX_INITIATORS
                    + " initiator names");
        }
        List<String> initiators = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < ia.size(); i++) {
            String field = "initiators[" + i + "]";
            if (!(ia.getValue(i) instanceof String s)) {
                throw ApiError.badRequest(field, "field '" + field + "' must be a string");
            }
            if (!INITIATOR.matcher(s).matches() || s.getBytes(StandardCharsets.UTF_8).length > MAX_INITIATOR_BYTES) {
                throw ApiError.badRequest(field, "field '" + field + "' = '" + s + "' is not an iSCSI initiator name"
                        + " (iqn.yyyy-mm.reversed.domain[:id], eui.<16 hex>, naa.<16|32 hex>; at most 223 bytes)");
            }
            if (!seen.add(s.toLowerCase(Locale.ROOT))) {
                throw ApiError.badRequest(field, "field '" + field + "' = '" + s + "' is listed twice");
            }
            initiators.add(s);
        }
        HostDescriptor.Chap chap = b.getValue("chap") == null ? null : chap(b.getValue("chap"));
        if (hosts.containsKey(name)) {
            throw new ApiError(409, "a host named '" + name + "' already exists", "name");
        }
        for (HostDescriptor.Stored h : hosts.values()) {
            for (String i : h.initiators()) {
                if (seen.contains(i.toLowerCase(Locale.ROOT))) {
                    throw new ApiError(409, "initiator " + i + " already belongs to host " + h.name(), "initiators");
                }
            }
        }
        HostDescriptor.Stored h = new HostDescriptor.Stored(name, initiators, chap, clock.getAsLong());
        store(h);
        hosts.put(name, h);
        pushSecrets(h);
        ctx.response().putHeader("location", "/api/hosts/" + name);
        return new ApiRoutes.Reply(201, json(h, presentations()));
    }

    private static HostDescriptor.Chap chap(Object v) {
        if (!(v instanceof JsonObject c)) {
            throw ApiError.badRequest("chap", "field 'chap' must be an object {userName, secret, targetUserName?, targetSecret?}");
        }
        for (String k : c.fieldNames()) {
            if (!CHAP_FIELDS.contains(k)) {
                throw ApiError.badRequest("chap." + k, "unknown field 'chap." + k + "'; allowed: " + CHAP_FIELDS);
            }
        }
        String user = chapString(c, "userName", 1, 255, true);
        String secret = chapString(c, "secret", MIN_SECRET_BYTES, MAX_SECRET_BYTES, true);
        String tu = chapString(c, "targetUserName", 1, 255, false);
        String ts = chapString(c, "targetSecret", MIN_SECRET_BYTES, MAX_SECRET_BYTES, false);
        if ((tu == null) != (ts == null)) {
            String missing = tu == null ? "targetUserName" : "targetSecret";
            throw ApiError.badRequest("chap." + missing, "mutual CHAP needs both chap.targetUserName and chap.targetSecret");
        }
        if (ts != null && ts.equals(secret)) {
            throw ApiError.badRequest("chap.targetSecret", "field 'chap.targetSecret' must differ from chap.secret");
        }
        return new HostDescriptor.Chap(user, secret, tu, ts);
    }

    private static String chapString(JsonObject c, String key, int minBytes, int maxBytes, boolean required) {
        String field = "chap." + key;
        Object v = c.getValue(key);
        if (v == null) {
            if (required) {
                throw ApiError.badRequest(field, "field '" + field + "' is required");
            }
            return null;
        }
        if (!(v instanceof String s)) {
            throw ApiError.badRequest(field, "field '" + field + "' must be a string");
        }
        int n = s.getBytes(StandardCharsets.UTF_8).length;
        if (n < minBytes || n > maxBytes || !s.chars().allMatch(ch -> ch > 32 && ch < 127)) {
            throw ApiError.badRequest(field, "field '" + field + "' must be " + minBytes + ".." + maxBytes
                    + " printable ASCII characters without spaces");
        }
        return s;
    }

    private synchronized ApiRoutes.Reply delete(RoutingContext ctx) {
        HostDescriptor.Stored h = param(ctx);
        unstore(h.name());
        hosts.remove(h.name());
        if (secrets != null && h.chap() != null) {
            for (String i : h.initiators()) {
                secrets.remove(i);
            }
        }
        return new ApiRoutes.Reply(204, null);
    }

    private synchronized HostDescriptor.Stored param(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        HostDescriptor.Stored h = hosts.get(name);
        if (h == null) {
            throw new ApiError(404, "no host named '" + name + "'", "name");
        }
        return h;
    }

    // ---- views ----

    /** Presentations by lower-case initiator name (today's per-initiator view). */
    private Map<String, JsonObject> presentations() {
        Map<String, JsonObject> by = new TreeMap<>();
        for (Presentation p : controller.listPresentations()) {
            by.computeIfAbsent(p.initiator().toLowerCase(Locale.ROOT),
                            k -> new JsonObject().put("initiator", p.initiator()).put("luns", new JsonArray()))
                    .getJsonArray("luns").add(new JsonObject().put("hostLun", p.hostLun()).put("lun", api.lunName(p.lunId())));
        }
        return by;
    }

    private JsonObject json(HostDescriptor.Stored h, Map<String, JsonObject> pres) {
        JsonArray is = new JsonArray();
        for (String i : h.initiators()) {
            JsonObject p = pres.get(i.toLowerCase(Locale.ROOT));
            is.add(new JsonObject().put("initiator", i).put("luns", p == null ? new JsonArray() : p.getJsonArray("luns").copy()));
        }
        JsonObject o = new JsonObject().put("name", h.name()).put("initiators", is).put("createdMillis", h.createdMillis());
        if (h.chap() == null) {
            o.putNull("chap");
        } else {   // secrets are write-only
            o.put("chap", new JsonObject().put("userName", h.chap().userName()).put("mutual", h.chap().targetSecret() != null)
                    .put("targetUserName", h.chap().targetUserName()).put("enforced", secrets != null));
        }
        return o;
    }

    /** The GET /api/hosts body: registered hosts, and presentation initiators that belong to no host. */
    synchronized JsonObject all() {
        Map<String, JsonObject> pres = presentations();
        JsonArray hs = new JsonArray();
        Set<String> owned = new java.util.HashSet<>();
        for (HostDescriptor.Stored h : hosts.values()) {
            hs.add(json(h, pres));
            h.initiators().forEach(i -> owned.add(i.toLowerCase(Locale.ROOT)));
        }
        JsonArray unregistered = new JsonArray();
        pres.forEach((k, v) -> {
            if (!owned.contains(k)) {
                unregistered.add(v);
            }
        });
        return new JsonObject().put("hosts", hs).put("unregistered", unregistered);
    }
}

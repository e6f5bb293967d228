package io.evasan.mgmt.impl;

import io.evasan.error.StorageException;
import io.evasan.mgmt.InitiatorSecrets;
import io.evasan.mgmt.ManagementConfig;
import io.evasan.nsc.api.Records;
import io.evasan.nsc.api.Volumes;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.PresentationRule;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * The host registry: GET/POST /api/hosts, GET/PATCH/DELETE /api/hosts/{name}. A host is a name, its initiator
 * names and optionally CHAP credentials that the iSCSI target then demands from each of its initiators.
 *
 * <p>Invariants: a host is persisted (MLD kind {@value #KIND}, layout {@link HostDescriptor}) before it
 * exists in memory and before its secrets reach the target; an initiator belongs to at most one host
 * (compared case-insensitively, as iSCSI names are); CHAP secrets are write-only — no answer contains them.
 *
 * <p>LUN masking is crash-safe: an edit or delete that changes which initiators belong to a host first records
 * the new membership together with the change still to be made to the controller's presentations
 * ({@link HostDescriptor.Pending}); only then do the added initiators get their secrets and the host's LUNs, then
 * the removed ("retiring") initiators lose every presentation and their secrets, and then the record is rewritten
 * without the pending change (or, for a delete, removed). An initiator therefore never sees the host's LUNs
 * before the record names it, and a pending change is finished ({@link #load} at start, before the iSCSI target
 * listens; and before any later create/edit/delete) so that after a crash no removed initiator keeps access.
 */
final class HostRoutes {
    static final String KIND = "mgmt.host";
    static final int MAX_INITIATORS = 64;
    static final int MIN_SECRET_BYTES = 12;       // RFC 7143 §12.1.3: at least 96 bits
    static final int MAX_SECRET_BYTES = 255;
    static final Set<String> CHAP_FIELDS = Set.of("userName", "secret", "targetUserName", "targetSecret");

    private final ApiRoutes api;
    private final Volumes controller;
    private final RecordStore store;
    private final InitiatorSecrets secrets;
    private final LongSupplier clock;
    private final Map<String, HostDescriptor.Stored> hosts = new TreeMap<>();
    /**
     * Tests only: called with the name of each step boundary of an edit or delete ("begin", "recorded",
     * "secrets", "present &lt;initiator&gt; &lt;hostLun&gt;", "unpresent ...", "retired", "committed" / "deleted");
     * a hook that throws simulates a crash there. Null in service.
     */
    static volatile java.util.function.Consumer<String> stepHook;

    HostRoutes(ApiRoutes api, Volumes controller, ManagementConfig config) {
        this.api = api;
        this.controller = controller;
        Records mld = config.records();
        this.store = new RecordStore(mld, KIND);
        this.secrets = config.initiatorSecrets();
        this.clock = config.clock();
    }

    void register(Router router) {
        api.on(router, "GET", "/api/hosts", ctx -> new ApiRoutes.Reply(200, all()));
        api.on(router, "POST", "/api/hosts", this::create);
        api.on(router, "GET", "/api/hosts/:name", ctx -> new ApiRoutes.Reply(200, json(param(ctx), presentations())));
        api.on(router, "PATCH", "/api/hosts/:name", this::update);
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
        finishPending();
    }

    /**
     * Finishes every recorded but unfinished edit or delete (a crash or failure between its steps).
     *
     * @throws StorageException from the controller or the record store; the change stays recorded
     */
    private void finishPending() {
        for (HostDescriptor.Stored h : List.copyOf(hosts.values())) {
            if (h.pending() != null) {
                finish(h);
            }
        }
    }

    /**
     * Brings the target's secrets and the controller's presentations to what the stored record {@code h} says,
     * then records that nothing is pending (a delete: removes the record). Order: the members' secrets (an
     * added initiator must answer CHAP before it sees a LUN), the adding initiators' presentations (before a
     * retiring one loses its own: never fewer LUNs for the host), the retiring initiators' presentations, their
     * secrets, the record. Each step checks the present state first, so running it again after a crash at any
     * point finishes the change. An adding initiator that already sees another LUN at one of the host LUNs,
     * or a LUN deleted meanwhile, is skipped (and reported on stderr): never more access than recorded.
     *
     * @return the record as it is now; null after a delete
     */
    private HostDescriptor.Stored finish(HostDescriptor.Stored h) {
        HostDescriptor.Pending p = h.pending();
        syncSecrets(h);
        step("secrets");
        if (p == null) {
            return h;
        }
        Set<String> members = lowerSet(h.initiators());
        List<Presentation> now = controller.listPresentations();
        for (String a : p.adding()) {
            if (!members.contains(lower(a))) {
                continue;
            }
            for (Map.Entry<Integer, Integer> l : p.luns().entrySet()) {
                Presentation there = null;
                for (Presentation x : now) {
                    if (x.hostLun() == l.getKey() && lower(x.initiator()).equals(lower(a))) {
                        there = x;
                    }
                }
                String lun = api.lunName(l.getValue());
                if (there != null || lun == null) {
                    if (there == null || there.lunId() != l.getValue()) {
                        System.err.println("evasan mgmt: host " + h.name() + ": initiator " + a + " not given host LUN "
                                + l.getKey() + (lun == null ? " (LUN id " + l.getValue() + " no longer exists)"
                                : " (it sees LUN " + api.lunName(there.lunId()) + " there)"));
                    }
                    continue;
                }
                String clash = PresentationRule.problem(controller.listPresentations(), a, l.getKey(), l.getValue(),
                        id -> "LUN " + api.lunName(id));
                if (clash != null) {   // it would see the LUN twice, or shadow: never more access than recorded
                    System.err.println("evasan mgmt: host " + h.name() + ": initiator " + a + " not given host LUN "
                            + l.getKey() + " (" + clash + ")");
                    continue;
                }
                api.presentUnit(a, l.getKey(), l.getValue());   // a LUN or a presented snapshot
                step("present " + a + " " + l.getKey());
            }
        }
        Set<String> retiring = lowerSet(p.retiring());
        for (Presentation x : controller.listPresentations()) {
            if (retiring.contains(lower(x.initiator()))) {
                controller.unpresentLun(x.initiator(), x.hostLun());
                step("unpresent " + x.initiator() + " " + x.hostLun());
            }
        }
        if (secrets != null) {
            p.retiring().forEach(secrets::remove);
        }
        step("retired");
        if (p.deleting()) {
            unstore(h.name());
            hosts.remove(h.name());
            step("deleted");
            return null;
        }
        HostDescriptor.Stored done = h.withPending(null);
        store(done);
        hosts.put(done.name(), done);
        step("committed");
        return done;
    }

    /** The target's secrets for {@code h}'s initiators: its credentials, or none without CHAP. */
    private void syncSecrets(HostDescriptor.Stored h) {
        if (secrets == null) {
            return;
        }
        for (String i : h.initiators()) {
            if (h.chap() == null) {
                secrets.remove(i);
            } else {
                secrets.put(i, secret(h.chap()));
            }
        }
    }

    private static void step(String name) {
        java.util.function.Consumer<String> hook = stepHook;
        if (hook != null) {
            hook.accept(name);
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
        for (String i : h.initiators()) {
            secrets.put(i, secret(h.chap()));
        }
    }

    // ---- routes ----

    private synchronized ApiRoutes.Reply create(RoutingContext ctx) {
        finishPending();
        JsonObject b = Json.body(ctx, Set.of("name", "initiators", "chap"));
        String name = ApiRoutes.name(b, "name");
        List<String> initiators = initiators(b.getValue("initiators"));
        HostDescriptor.Chap chap = b.getValue("chap") == null ? null : chap(b.getValue("chap"), Set.of());
        if (hosts.containsKey(name)) {
            throw new ApiError(409, "a host named '" + name + "' already exists", "name");
        }
        checkOwners(initiators, null);
        HostDescriptor.Stored h = new HostDescriptor.Stored(name, initiators, chap, clock.getAsLong());
        store(h);
        hosts.put(name, h);
        pushSecrets(h);
        ctx.response().putHeader("location", "/api/hosts/" + name);
        return new ApiRoutes.Reply(201, json(h, presentations()));
    }

    /**
     * The {@code initiators} field of a create or update body: 1..64 distinct (case-insensitively) iSCSI
     * initiator names ({@link InitiatorNames}: RFC 7143 §4.2.7, RFC 3722; no {@code *}). @throws ApiError 400 naming {@code initiators} or {@code initiators[i]}
     */
    private static List<String> initiators(Object iv) {
        if (iv == null) {
            throw ApiError.badRequest("initiators", "field 'initiators' is required");
        }
        if (!(iv instanceof JsonArray ia) || ia.isEmpty() || ia.size() > MAX_INITIATORS) {
            throw ApiError.badRequest("initiators", "field 'initiators' must be an array of 1.." + MAX_INITIATORS
                    + " initiator names");
        }
        List<String> initiators = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < ia.size(); i++) {
            String field = "initiators[" + i + "]";
            if (!(ia.getValue(i) instanceof String s)) {
                throw ApiError.badRequest(field, "field '" + field + "' must be a string");
            }
            String name = InitiatorNames.require(s, field);   // RFC 7143 §4.2.7 / RFC 3722, or a WWPN (lower-cased)
            if (!seen.add(lower(name))) {
                throw ApiError.badRequest(field, "field '" + field + "' = '" + s + "' is listed twice");
            }
            initiators.add(name);
        }
        return initiators;
    }

    /** @throws ApiError 409 {@code initiators} when a host other than {@code self} owns one of them */
    private void checkOwners(List<String> initiators, String self) {
        Set<String> wanted = lowerSet(initiators);
        for (HostDescriptor.Stored h : hosts.values()) {
            if (h.name().equals(self)) {
                continue;
            }
            for (String i : h.initiators()) {
                if (wanted.contains(lower(i))) {
                    throw new ApiError(409, "initiator " + i + " already belongs to host " + h.name(), "initiators");
                }
            }
        }
    }

    /**
     * Validates a {@code chap} object (create body, or an update's merge of stored and sent fields).
     * {@code sent} names the fields the request itself carried, so that "targetSecret must differ from
     * secret" names the one the client just sent.
     */
    private static HostDescriptor.Chap chap(Object v, Set<String> sent) {
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
            boolean secretSent = sent.contains("secret") && !sent.contains("targetSecret");
            String f = secretSent ? "chap.secret" : "chap.targetSecret";
            throw ApiError.badRequest(f, "field '" + f + "' must differ from " + (secretSent ? "chap.targetSecret" : "chap.secret"));
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

    /**
     * PATCH /api/hosts/{name}, JSON merge semantics: {@code initiators} replaces the list; {@code chap: null}
     * switches CHAP off; {@code chap: {...}} is merged into the stored credentials field by field (a
     * {@code null} member removes it; {@code targetUserName: null} or {@code targetSecret: null} alone ends
     * mutual CHAP) and the result must pass the create rules. Everything is checked before anything changes.
     *
     * <p>The host's LUNs follow its initiators (LUN masking): an added initiator is presented every LUN
     * presented to the host's previous initiators, at the same host LUN (409 {@code initiators} when it
     * already sees another LUN there), and a removed initiator loses its presentations. The record with the
     * new initiators and the pending change is stored first (the point of no return), then {@link #finish}
     * carries it out; a crash or failure after the store is finished at the next start or host request.
     */
    private synchronized ApiRoutes.Reply update(RoutingContext ctx) {
        finishPending();   // an earlier edit or delete that stopped midway goes first
        HostDescriptor.Stored old = param(ctx);
        JsonObject b = Json.body(ctx, Set.of("name", "initiators", "chap"));
        if (b.containsKey("name") && !old.name().equals(b.getValue("name"))) {
            throw ApiError.badRequest("name", "a host cannot be renamed (field 'name' must be '" + old.name()
                    + "' or absent)");
        }
        List<String> initiators = b.containsKey("initiators") ? initiators(b.getValue("initiators")) : old.initiators();
        HostDescriptor.Chap chap = b.containsKey("chap") ? mergeChap(old.chap(), b.getValue("chap")) : old.chap();
        checkOwners(initiators, old.name());

        Set<String> oldLower = lowerSet(old.initiators());
        Set<String> newLower = lowerSet(initiators);
        List<String> added = initiators.stream().filter(i -> !oldLower.contains(lower(i))).toList();
        List<String> removed = old.initiators().stream().filter(i -> !newLower.contains(lower(i))).toList();
        List<Presentation> all = controller.listPresentations();
        Map<Integer, Integer> hostLuns = new TreeMap<>();   // host LUN -> LUN id, over the old initiators
        for (Presentation p : all) {
            if (oldLower.contains(lower(p.initiator()))) {
                Integer was = hostLuns.putIfAbsent(p.hostLun(), p.lunId());
                if (was != null && was != p.lunId() && !added.isEmpty()) {
                    throw new ApiError(409, "the initiators of host " + old.name() + " see different LUNs at host LUN "
                            + p.hostLun() + " (" + api.lunName(was) + ", " + api.lunName(p.lunId())
                            + "): which one a new initiator should see is unclear; present its LUNs explicitly", "initiators");
                }
            }
        }
        for (String a : added) {   // an added initiator may already see the host's LUN at a host LUN, not another one
            for (Presentation p : all) {
                Integer want = hostLuns.get(p.hostLun());
                if (lower(p.initiator()).equals(lower(a)) && want != null && want != p.lunId()) {
                    throw new ApiError(409, "initiator " + a + " already sees LUN " + api.lunName(p.lunId())
                            + " at host LUN " + p.hostLun() + ", where host " + old.name() + " has LUN "
                            + api.lunName(want), "initiators");
                }
            }
        }
        for (String a : added) {   // nor see one of the host's LUNs twice, nor shadow a presentation to every initiator
            for (Map.Entry<Integer, Integer> l : hostLuns.entrySet()) {
                String clash = PresentationRule.problem(all, a, l.getKey(), l.getValue(), id -> "LUN " + api.lunName(id));
                if (clash != null) {
                    throw new ApiError(409, "initiator " + a + " cannot join host " + old.name() + ": " + clash, "initiators");
                }
            }
        }
        if (initiators.equals(old.initiators()) && java.util.Objects.equals(chap, old.chap())) {
            return new ApiRoutes.Reply(200, json(old, presentations()));   // nothing to change
        }
        HostDescriptor.Pending pending = added.isEmpty() && removed.isEmpty() ? null
                : new HostDescriptor.Pending(added, removed, added.isEmpty() ? Map.of() : hostLuns, false);
        HostDescriptor.Stored h = new HostDescriptor.Stored(old.name(), initiators, chap, old.createdMillis(),
                Math.max(clock.getAsLong(), old.updatedMillis()), pending);
        step("begin");
        store(h);
        hosts.put(h.name(), h);
        step("recorded");
        h = finish(h);
        return new ApiRoutes.Reply(200, json(h, presentations()));
    }

    /**
     * The credentials after merging the {@code chap} member {@code v} of an update into {@code stored}
     * (null when CHAP ends). @throws ApiError 400 naming the field, as at create
     */
    private static HostDescriptor.Chap mergeChap(HostDescriptor.Chap stored, Object v) {
        if (v == null) {
            return null;
        }
        if (!(v instanceof JsonObject patch)) {
            return chap(v, Set.of());   // the create rule's 400 'chap'
        }
        JsonObject merged = new JsonObject();
        if (stored != null) {
            merged.put("userName", stored.userName()).put("secret", stored.secret());
            if (stored.targetSecret() != null) {
                merged.put("targetUserName", stored.targetUserName()).put("targetSecret", stored.targetSecret());
            }
        }
        for (String k : patch.fieldNames()) {
            if (patch.getValue(k) == null) {
                merged.remove(k);
            } else {
                merged.put(k, patch.getValue(k));
            }
        }
        for (String[] pair : new String[][] {{"targetUserName", "targetSecret"}, {"targetSecret", "targetUserName"}}) {
            if (patch.containsKey(pair[0]) && patch.getValue(pair[0]) == null && !patch.containsKey(pair[1])) {
                merged.remove(pair[1]);   // ending mutual CHAP drops the pair
            }
        }
        if (stored == null && merged.isEmpty()) {
            return null;   // only nulls sent to a host without CHAP: nothing to clear
        }
        return chap(merged, patch.fieldNames());
    }

    private static InitiatorSecrets.Chap secret(HostDescriptor.Chap c) {
        return new InitiatorSecrets.Chap(c.userName(), c.secret(), c.targetUserName(), c.targetSecret());
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    private static Set<String> lowerSet(List<String> names) {
        Set<String> out = new HashSet<>();
        names.forEach(n -> out.add(lower(n)));
        return out;
    }

    /**
     * DELETE /api/hosts/{name}: the host's initiators lose their presentations and their secrets, then the
     * record goes. The record is first rewritten as "deleting" (no initiators, all of them retiring), so a
     * crash midway is finished at the next start or host request and never leaves them presented.
     */
    private synchronized ApiRoutes.Reply delete(RoutingContext ctx) {
        finishPending();
        HostDescriptor.Stored h = param(ctx);
        HostDescriptor.Stored d = new HostDescriptor.Stored(h.name(), List.of(), null, h.createdMillis(),
                Math.max(clock.getAsLong(), h.updatedMillis()), new HostDescriptor.Pending(List.of(), h.initiators(), Map.of(), true));
        step("begin");
        store(d);
        hosts.put(d.name(), d);
        step("recorded");
        finish(d);
        return new ApiRoutes.Reply(204, null);
    }

    private static boolean deleting(HostDescriptor.Stored h) {
        return h.pending() != null && h.pending().deleting();
    }

    private synchronized HostDescriptor.Stored param(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        HostDescriptor.Stored h = hosts.get(name);
        if (h == null || deleting(h)) {
            throw new ApiError(404, "no host named '" + name + "'", "name");
        }
        return h;
    }

    // ---- views ----

    /** The registered host {@code initiator} belongs to (compared case-insensitively), or null ("*" and unregistered). */
    synchronized String hostOf(String initiator) {
        for (HostDescriptor.Stored h : hosts.values()) {
            if (!deleting(h) && h.initiators().stream().anyMatch(i -> i.equalsIgnoreCase(initiator))) {
                return h.name();
            }
        }
        return null;
    }

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
        JsonObject o = new JsonObject().put("name", h.name()).put("initiators", is).put("createdMillis", h.createdMillis())
                .put("updatedMillis", h.updatedMillis());
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
            if (deleting(h)) {
                continue;
            }
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

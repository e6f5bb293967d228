package io.evasan.mgmt.impl;

import io.evasan.mgmt.ManagementConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * GET / PUT /api/alerts: which {@link AlertRule}s are on and the webhooks ({@code http} / {@code https} URLs, at most
 * {@link #MAX_WEBHOOKS}) they are posted to, stored in the cell's records ({@link AlertConfigDescriptor}).
 *
 * <p>Invariant: a PUT is validated whole before it is stored (a bad field answers 400 naming it and changes
 * nothing); {@link #current()} is what was last stored (nothing: no rules, no webhooks).
 */
final class AlertRoutes {
    static final String KIND = "mgmt.alerts";
    static final String KEY = "config";
    static final int MAX_WEBHOOKS = 8;

    private final ApiRoutes api;
    private final RecordStore store;
    private volatile AlertConfigDescriptor.Stored current = new AlertConfigDescriptor.Stored(Set.of(), List.of());

    AlertRoutes(ApiRoutes api, ManagementConfig config) {
        this.api = api;
        this.store = new RecordStore(config.records(), KIND);
    }

    /** Loads the stored configuration. @throws io.evasan.error.StorageException CORRUPT_METADATA when malformed */
    void load() {
        for (byte[] r : store.loadAll()) {
            current = AlertConfigDescriptor.decode(r);
        }
    }

    AlertConfigDescriptor.Stored current() {
        return current;
    }

    void register(Router router) {
        api.on(router, "GET", "/api/alerts", ctx -> new ApiRoutes.Reply(200, json(current)));
        api.on(router, "PUT", "/api/alerts", this::put);
    }

    static JsonObject json(AlertConfigDescriptor.Stored s) {
        JsonArray rules = new JsonArray();
        s.rules().forEach(r -> rules.add(r.name()));
        JsonArray all = new JsonArray();
        for (AlertRule r : AlertRule.values()) {
            all.add(r.name());
        }
        return new JsonObject().put("rules", rules).put("webhooks", new JsonArray(s.webhooks())).put("availableRules", all);
    }

    private synchronized ApiRoutes.Reply put(RoutingContext ctx) {
        JsonObject b = Json.body(ctx, Set.of("rules", "webhooks"));
        Set<AlertRule> rules = EnumSet.noneOf(AlertRule.class);
        for (Object o : array(b, "rules")) {
            try {
                rules.add(AlertRule.valueOf(String.valueOf(o)));
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("rules", "unknown alert rule '" + o + "' (rules: " + List.of(AlertRule.values()) + ")");
            }
        }
        List<String> hooks = new ArrayList<>();
        for (Object o : array(b, "webhooks")) {
            String u = String.valueOf(o);
            URI uri;
            try {
                uri = URI.create(u);
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("webhooks", "webhook '" + u + "' is not a URL");
            }
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw ApiError.badRequest("webhooks", "webhook '" + u + "' must be an http:// or https:// URL with a host");
            }
            hooks.add(u);
        }
        if (hooks.size() > MAX_WEBHOOKS) {
            throw ApiError.badRequest("webhooks", hooks.size() + " webhooks; at most " + MAX_WEBHOOKS);
        }
        AlertConfigDescriptor.Stored s = new AlertConfigDescriptor.Stored(rules, hooks);
        store.put(KEY, AlertConfigDescriptor.encode(s));
        current = s;
        return new ApiRoutes.Reply(200, json(s));
    }

    private static JsonArray array(JsonObject b, String field) {
        Object v = b.getValue(field);
        if (v == null) {
            return new JsonArray();
        }
        if (!(v instanceof JsonArray a)) {
            throw ApiError.badRequest(field, field + " must be an array");
        }
        return a;
    }
}

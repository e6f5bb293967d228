package io.evasan.mgmt.impl;

import io.evasan.mgmt.IscsiSessions;
import io.evasan.mgmt.ManagementConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * GET /api/iscsi/sessions: every live iSCSI session of the cell's portals (initiator, ISID, TSIH, controller and
 * portal, the initiator's address, login time, authentication, digests, its health) and the most recent refused logins
 * from the event log — what targetcli's {@code sessions detail} and its log show. Read only.
 *
 * <p>Invariant: at most {@link #FAILED_LOGINS} refused logins, newest first; {@code ?initiator=} keeps the sessions
 * and refused logins of one initiator name (compared case-insensitively, as iSCSI names are).
 */
final class SessionRoutes {
    static final int FAILED_LOGINS = 20;

    private final ApiRoutes api;
    private final IscsiSessions sessions;
    private final EventLog events;

    SessionRoutes(ApiRoutes api, ManagementConfig config, EventLog events) {
        this.api = api;
        this.sessions = config.iscsiSessions();
        this.events = events;
    }

    void register(Router router) {
        api.on(router, "GET", "/api/iscsi/sessions", this::get);
    }

    private ApiRoutes.Reply get(RoutingContext ctx) {
        List<String> who = ctx.queryParam("initiator");
        if (who.size() > 1 || (who.size() == 1 && who.get(0).isBlank())) {
            throw ApiError.badRequest("initiator", "query parameter 'initiator' is one iSCSI name, given "
                    + (who.size() > 1 ? who.size() + " times" : "empty"));
        }
        String initiator = who.isEmpty() ? null : who.get(0);
        Map<String, JsonObject> health = api.healthByObject();
        JsonArray list = new JsonArray();
        if (sessions != null) {
            for (IscsiSessions.Session s : sessions.sessions()) {
                if (initiator == null || s.initiatorName().equalsIgnoreCase(initiator)) {
                    list.add(json(s).put("health", health.get("session/" + HealthRoutes.sessionId(s))));
                }
            }
        }
        JsonArray failed = new JsonArray();
        for (EventRecordDescriptor.Event e : events.recent("login", initiator == null ? FAILED_LOGINS : Integer.MAX_VALUE)) {
            if (initiator != null && !e.object().equalsIgnoreCase("initiator " + initiator)) {
                continue;
            }
            if (failed.size() == FAILED_LOGINS) {
                break;
            }
            failed.add(new JsonObject().put("seq", e.seq()).put("time", Instant.ofEpochMilli(e.timeMillis()).toString())
                    .put("initiator", e.object().startsWith("initiator ") ? e.object().substring("initiator ".length()) : "")
                    .put("message", e.message()));
        }
        return new ApiRoutes.Reply(200, new JsonObject().put("sessions", list).put("failedLogins", failed));
    }

    static JsonObject json(IscsiSessions.Session s) {
        return new JsonObject().put("initiator", s.initiatorName()).put("isid", s.isid()).put("tsih", s.tsih())
                .put("target", s.targetName()).put("controller", s.nsc()).put("relativePort", s.relativePort())
                .put("portal", s.portal()).put("address", s.remoteAddress()).put("connections", 1)
                .put("loginTime", Instant.ofEpochMilli(s.loginEpochMillis()).toString())
                .put("authentication", s.mutualChap() ? "mutual CHAP" : s.chap() ? "CHAP" : "none")
                .put("headerDigest", s.headerDigest() ? "CRC32C" : "None")
                .put("dataDigest", s.dataDigest() ? "CRC32C" : "None")
                .put("unansweredPingMillis", s.unansweredPingMillis());
    }
}

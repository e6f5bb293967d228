package io.evasan.mgmt.impl;

import io.evasan.mgmt.impl.EventRecordDescriptor.Severity;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;

/**
 * The audit of management changes: every POST, PUT, PATCH or DELETE under {@code /api} that was answered with a
 * status below 400 becomes one {@code audit} event of the {@link EventLog}, naming who made it — the token id
 * ({@link #tokenId}: a hash prefix, never the token) and the remote address — the method, path and status.
 *
 * <p>Invariant: a refused request (4xx / 5xx) changed nothing and is not audited; the request body is never logged
 * (it may hold a CHAP secret). The event is written off the event loop.
 */
public final class AuditTrail {
    private static final Set<HttpMethod> CHANGES = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE);

    private final EventLog log;

    public AuditTrail(EventLog log) {
        this.log = log;
    }

    /** Route handler (after authentication): audits this request once it is answered, then passes it on. */
    public void handle(RoutingContext ctx) {
        if (CHANGES.contains(ctx.request().method())) {
            String actor = "token " + tokenId(ctx.request().getHeader("Authorization")) + " from "
                    + (ctx.request().remoteAddress() == null ? "?" : ctx.request().remoteAddress().hostAddress());
            String what = ctx.request().method().name() + " " + ctx.request().path();
            ctx.addBodyEndHandler(v -> {
                int status = ctx.response().getStatusCode();
                if (status < 400) {
                    ctx.vertx().executeBlocking(() -> log.append(Severity.INFO, "audit", object(ctx.request().path()), actor,
                            what + " -> " + status), false);
                }
            });
        }
        ctx.next();
    }

    private static final java.util.Map<String, String> KINDS = java.util.Map.of("luns", "lun", "snapshots", "snapshot",
            "hosts", "host", "schedules", "schedule", "controllers", "controller");

    /**
     * The object of a change, named as the health events name it where the path names one ("lun db1" for
     * POST /api/luns/db1/present), else the path below /api ("pool/groups/0/drives/3/fail").
     */
    static String object(String path) {
        String p = path.startsWith("/api/") ? path.substring(5) : path;
        String[] parts = p.split("/");
        if (parts.length >= 2 && KINDS.containsKey(parts[0])) {
            return KINDS.get(parts[0]) + " " + java.net.URLDecoder.decode(parts[1], StandardCharsets.UTF_8);
        }
        return p;
    }

    /** A stable, non-secret id of the bearer token: the first 8 hex digits of SHA-256("evasan-token-id:" + token). */
    static String tokenId(String authorization) {
        if (authorization == null || authorization.length() < 7) {
            return "none";
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(("evasan-token-id:" + authorization.substring(7).trim())
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }
}

package io.evasan.mgmt.impl;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Serves the web console: {@code GET /} is {@code index.html}, {@code GET /console/<file>} the
 * static assets bundled in the jar under {@code io/evasan/mgmt/console/} (HTML, CSS, JavaScript
 * modules, SVG). The pages carry no data and need no token; every datum they show comes from the
 * token-protected {@code /api}.
 *
 * <p>Invariants: only files under the bundled console folder with a known extension are served
 * (the path must match {@link #ASSET}, so no {@code ..}, no absolute path, no other classpath
 * resource); every answer, 404 included, carries {@code Content-Security-Policy: default-src 'self'}
 * (no inline script, no inline style attribute, nothing from another origin),
 * {@code X-Content-Type-Options: nosniff}, {@code Referrer-Policy: no-referrer} and
 * {@code X-Frame-Options: DENY}; assets are sent with {@code Cache-Control: no-cache} and a strong
 * content-hash {@code ETag}, so a browser revalidates (304) and never runs a stale console after an
 * upgrade.
 */
public final class ConsoleRoutes {
    /** Classpath folder of the bundled console. */
    public static final String ROOT = "/io/evasan/mgmt/console/";
    /** The policy sent with every console answer. */
    public static final String CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    /** Asset paths served: lower-case segments of letters, digits, '.', '_' or '-', not starting with '.'. */
    static final Pattern ASSET = Pattern.compile("[a-z0-9][a-z0-9_-]*(\\.[a-z0-9_-]+)*(/[a-z0-9][a-z0-9_-]*(\\.[a-z0-9_-]+)*)*");

    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "mjs", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "json", "application/json",
            "txt", "text/plain; charset=utf-8");

    /** A loaded asset: bytes, content type and ETag. */
    record Asset(Buffer body, String type, String etag) {
    }

    private final ClassLoader loader;
    private final String root;
    private final Map<String, Asset> cache = new ConcurrentHashMap<>();

    public ConsoleRoutes() {
        this(ConsoleRoutes.class.getClassLoader(), ROOT);
    }

    ConsoleRoutes(ClassLoader loader, String root) {
        this.loader = loader;
        this.root = root.startsWith("/") ? root.substring(1) : root;
    }

    /** Mounts {@code GET /} and {@code GET /console/*}; other methods and paths fall through. */
    public void register(Router router) {
        router.get("/").handler(ctx -> serve(ctx, "index.html"));
        router.getWithRegex("/console/(.*)").handler(ctx -> serve(ctx, ctx.pathParam("param0")));
    }

    private void serve(RoutingContext ctx, String path) {
        HttpServerResponse r = ctx.response();
        securityHeaders(r);
        Optional<Asset> a = path == null ? Optional.empty() : lookup(path);
        if (a.isEmpty()) {
            r.setStatusCode(404).putHeader("content-type", "text/plain; charset=utf-8")
                    .putHeader("cache-control", "no-store").end("not found\n");
            return;
        }
        Asset asset = a.get();
        r.putHeader("content-type", asset.type()).putHeader("cache-control", "no-cache").putHeader("etag", asset.etag());
        String match = ctx.request().getHeader("If-None-Match");
        if (match != null && etagMatches(match, asset.etag())) {
            r.setStatusCode(304).end();
            return;
        }
        r.end(asset.body());
    }

    /** Headers on every console answer (see the class invariant). */
    static void securityHeaders(HttpServerResponse r) {
        r.putHeader("Content-Security-Policy", CSP)
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Referrer-Policy", "no-referrer")
                .putHeader("X-Frame-Options", "DENY");
    }

    private static boolean etagMatches(String header, String etag) {
        for (String part : header.split(",")) {
            String t = part.trim();
            if (t.equals("*") || t.equals(etag) || t.equals("W/" + etag)) {
                return true;
            }
        }
        return false;
    }

    /** The asset at {@code path} (relative to the console folder), or empty when not served. */
    Optional<Asset> lookup(String path) {
        if (path.length() > 200 || !ASSET.matcher(path).matches()) {
            return Optional.empty();
        }
        int dot = path.lastIndexOf('.');
        String type = dot < 0 ? null : TYPES.get(path.substring(dot + 1));
        if (type == null) {
            return Optional.empty();
        }
        Asset known = cache.get(path);
        if (known != null) {
            return Optional.of(known);
        }
        Optional<Asset> loaded = load(path, type);
        loaded.ifPresent(a -> cache.put(path, a)); // misses are not cached: random paths cannot grow the map
        return loaded;
    }

    private Optional<Asset> load(String path, String type) {
        try (InputStream in = loader.getResourceAsStream(root + path)) {
            if (in == null) {
                return Optional.empty();
            }
            byte[] bytes = in.readAllBytes();
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            String etag = "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
            return Optional.of(new Asset(Buffer.buffer(bytes), type, etag));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read console asset " + path, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing", e);
        }
    }
}

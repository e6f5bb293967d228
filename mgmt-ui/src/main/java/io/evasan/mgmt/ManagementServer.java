package io.evasan.mgmt;

import io.evasan.mgmt.impl.ApiError;
import io.evasan.mgmt.impl.ApiRoutes;
import io.evasan.mgmt.impl.ApplianceMeters;
import io.evasan.mgmt.impl.RequestLimits;
import io.evasan.mgmt.impl.TokenAuthenticator;
import io.evasan.nsc.api.Cell;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The management appliance's HTTP server (Vert.x Web): the JSON API under {@code /api}, its OpenAPI 3
 * document at {@code /api/openapi.json}, and Prometheus metrics at {@code /metrics}, live updates at
 * {@code /api/events} and the web console's static pages at {@code /} and {@code /console/*}.
 *
 * <p>Invariant: every {@code /api} route, {@code /metrics} included, answers 401 unless the request carries
 * {@code Authorization: Bearer <token>} matching the stored salted hash; the server binds only the
 * configured host (default 127.0.0.1). Request bodies (see {@link RequestLimits}): read only after the token
 * is accepted, only JSON (a declared non-JSON type, multipart and forms included, is 415; no type is read as JSON),
 * at most 64 KiB (413), held in memory — no request, accepted or refused,
 * writes a file (file uploads are off). The appliance objects are owned by the caller: {@link #stop()}
 * closes only the HTTP server and its Vert.x instance.
 *
 * <p>Metrics: {@code registry} must be a {@link PrometheusMeterRegistry} (scraped directly) or a
 * {@link CompositeMeterRegistry} (a PrometheusMeterRegistry inside it is used, otherwise one is
 * created and added; meters registered on the composite earlier then count into it too, from that
 * moment on; increments made before the server was constructed are not replayed). Hand the same registry to
 * {@code Pools.openOrCreate}, {@code MappingOptions.withRegistry}, {@code SharingStats} and
 * {@code ControllerConfig.meterRegistry} so their meters appear at /metrics.
 */
public final class ManagementServer {
    private final ManagementConfig config;
    private final Cell cell;
    private final PrometheusMeterRegistry prometheus;
    private final ApplianceMeters meters;
    private final String openApi;
    private Vertx vertx;
    private HttpServer server;
    private Router router;
    private TokenAuthenticator auth;
    private volatile ApiRoutes api;

    /**
     * @param cell the cell the appliance manages, through its API only ({@code io.evasan.nsc.api}; the launcher
     *             builds it: {@code new io.evasan.nsc.cell.impl.StorageCell(pool, trees, controller, mld)})
     */
    public ManagementServer(ManagementConfig config, Cell cell, MeterRegistry registry) {
        this.config = Objects.requireNonNull(config, "config");
        this.cell = Objects.requireNonNull(cell, "cell");
        this.prometheus = prometheusOf(Objects.requireNonNull(registry, "registry"));
        if (config.records() == null) {
            config.records(cell.records());
        }
        this.meters = new ApplianceMeters(registry, cell);
        this.openApi = resource("openapi.json");
    }

    private static PrometheusMeterRegistry prometheusOf(MeterRegistry r) {
        if (r instanceof PrometheusMeterRegistry p) {
            return p;
        }
        if (r instanceof CompositeMeterRegistry c) {
            for (MeterRegistry child : c.getRegistries()) {
                if (child instanceof PrometheusMeterRegistry p) {
                    return p;
                }
            }
            PrometheusMeterRegistry p = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            c.add(p);
            return p;
        }
        throw new IllegalArgumentException("registry must be a PrometheusMeterRegistry or a CompositeMeterRegistry, got "
                + r.getClass().getName());
    }

    private static String resource(String name) {
        try (InputStream in = ManagementServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " missing from the jar");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read resource " + name, e);
        }
    }

    /**
     * Loads (or on first start creates) the admin token, then binds and serves.
     *
     * @return the bound port (the free one chosen when the config says 0)
     * @throws io.evasan.error.StorageException from the credential store, or CORRUPT_METADATA for a malformed stored
     *         snapshot schedule; IllegalStateException when the port cannot be bound
     */
    public synchronized int start() {
        if (server != null) {
            throw new IllegalStateException("already started");
        }
        auth = TokenAuthenticator.loadOrCreate(config);
        Vertx v = Vertx.vertx();
        try {
            ApiRoutes api = new ApiRoutes(cell, config, meters);
            api.startBackground();
            this.api = api;
            Router r = Router.router(v);
            // order matters: the token first (a refused request's body is never read), then the body's headers
            // (type, declared length), then the in-memory body handler (no file uploads) — RequestLimits
            r.route("/api/*").handler(ctx -> authenticate(ctx, api));
            r.route("/api/*").handler(api.auditTrail()::handle); // every management change, with who made it
            r.route("/api/*").handler(ctx -> {
                try {
                    RequestLimits.check(ctx);
                } catch (ApiError e) {
                    api.fail(ctx, e);
                    return;
                }
                ctx.next();
            });
            r.route("/api/*").handler(RequestLimits.bodyHandler());
            r.route("/metrics").handler(ctx -> authenticate(ctx, api));
            r.get("/api/openapi.json").handler(ctx -> {
                meters.answered(200);
                ctx.response().putHeader("content-type", "application/json").end(openApi);
            });
            api.register(r);
            io.evasan.mgmt.impl.HealthMeters healthMeters = new io.evasan.mgmt.impl.HealthMeters(prometheus, api::healthBody);
            new io.evasan.mgmt.impl.EventStream(v, cell, api).register(r); // GET /api/events (SSE)
            new io.evasan.mgmt.impl.ConsoleRoutes().register(r); // the web console: GET / and /console/*, no token
            r.get("/metrics").blockingHandler(ctx -> {
                meters.answered(200);
                meters.syncBgcopy(cell);
                healthMeters.sync();
                ctx.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                        .end(Buffer.buffer(prometheus.scrape()));
            }, false);
            r.route("/api/*").handler(ctx -> api.fail(ctx, new ApiError(404,
                    "no route " + ctx.request().method() + " " + ctx.request().path() + " (see /api/openapi.json)", null)));
            r.route().failureHandler(ctx -> api.fail(ctx, RequestLimits.failure(ctx)));
            HttpServerOptions opts = new HttpServerOptions().setHost(config.host()).setPort(config.port());
            if (config.tlsEnabled()) {
                opts.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                        .setCertPath(config.tlsCert().toString()).setKeyPath(config.tlsKey().toString()));
            }
            HttpServer s = v.createHttpServer(opts).requestHandler(r);
            s = s.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            this.vertx = v;
            this.router = r;
            this.server = s;
            return s.actualPort();
        } catch (Exception e) {
            if (api != null) {
                api.stopBackground();
                api = null;
            }
            v.close();
            if (e instanceof io.evasan.error.StorageException se) {
                throw se;   // a malformed stored snapshot schedule: CORRUPT_METADATA, not a listen failure
            }
            throw new IllegalStateException("management server cannot listen on " + config.host() + ":" + config.port()
                    + ": " + e.getMessage(), e);
        }
    }

    private void authenticate(RoutingContext ctx, ApiRoutes api) {
        if (auth.verifyHeader(ctx.request().getHeader("Authorization"))) {
            ctx.next();
            return;
        }
        ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"evasan\"");
        api.fail(ctx, new ApiError(401, ctx.request().getHeader("Authorization") == null
                ? "credential required: send Authorization: Bearer <token>" : "credential rejected", "Authorization"));
    }

    /** The token created by this start (print it once), or empty when an earlier start created it. */
    public synchronized Optional<String> createdToken() {
        if (auth == null) {
            throw new IllegalStateException("not started");
        }
        return auth.createdToken();
    }

    /**
     * Replaces the admin token stored in the cell's {@code records} with a new one and returns it (the only time it is
     * shown: only its salted hash is stored). The old token stops working. Run while no management server serves these
     * records (the launcher's {@code --rotate-admin-token}, with the appliance stopped).
     */
    public static String rotateAdminToken(io.evasan.nsc.api.Records records) {
        return TokenAuthenticator.rotate(records).createdToken().orElseThrow();
    }

    /** The Prometheus registry scraped at /metrics. */
    /**
     * Logs a login an iSCSI portal refused (CHAP failure, unknown target, ...) as a WARNING event of the event log;
     * ignored while the server is not started. Does not block (the event is written on the background thread).
     */
    public void loginRefused(String initiatorName, String remoteAddress, int status) {
        ApiRoutes a = api;
        if (a != null) {
            a.loginRefused(initiatorName, remoteAddress, status);
        }
    }

    public PrometheusMeterRegistry prometheusRegistry() {
        return prometheus;
    }

    /** "METHOD /path" of every API route served (Vert.x path syntax {@code :param}), for checks against the OpenAPI document. */
    public synchronized List<String> apiRoutes() {
        List<String> out = new ArrayList<>();
        for (Route route : router.getRoutes()) {
            if (route.getPath() == null || route.methods() == null || route.methods().size() != 1) {
                continue;
            }
            out.add(route.methods().iterator().next().name() + " " + route.getPath());
        }
        return out;
    }

    /** Runs the snapshot schedules due at the configured clock's now (tests: with a manual clock). */
    synchronized int runSchedulesNow() {
        if (api == null) {
            throw new IllegalStateException("not started");
        }
        return api.runSchedules();
    }

    /** Samples the performance meters and capacity for the history at the configured clock's now (tests). */
    synchronized void samplePerfNow() {
        if (api == null) {
            throw new IllegalStateException("not started");
        }
        api.samplePerf();
    }

    /** "http" or "https" (with {@link ManagementConfig#tls}). */
    public String scheme() {
        return config.scheme();
    }

    /** Stops serving (idempotent). Does not close the appliance objects. */
    public synchronized void stop() {
        if (vertx == null) {
            return;
        }
        if (api != null) {
            api.stopBackground();
            api = null;
        }
        try {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("evasan mgmt: stop: " + e);
        } finally {
            vertx = null;
            server = null;
        }
    }
}

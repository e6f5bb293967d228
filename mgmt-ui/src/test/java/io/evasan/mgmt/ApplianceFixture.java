package io.evasan.mgmt;

import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.nsc.Controller;
import io.evasan.nsc.ControllerConfig;
import io.evasan.nsc.cache.CacheConfig;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.sharing.SharingConfig;
import io.evasan.sharing.SharingStats;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.impl.MappingSegmentMaps;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The launcher's sequence (as EmbeddedAppliance) over 8 small sparse drives, one Prometheus registry
 * for every layer (BGCOPY without the background thread: tests advance it with bgcopyStep, so
 * progress is deterministic), and a ManagementServer on a free loopback port with its token in the MLD.
 * All files live in one temporary folder under target/, deleted by {@link #close}. The one fixture of the
 * module: the CLI tests' {@code cli.CliFixture} extends it.
 */
public class ApplianceFixture implements AutoCloseable {
    public final Path dir;
    public final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    public Pool pool;
    public Mapping mapping;
    public SharingTreesImpl trees;
    public Controller controller;
    /** The controller pair of a paired appliance ({@link #paired}), else null. */
    public io.evasan.nsc.cell.pair.ControllerPair pair;
    /** True: the cell has two controllers (a {@code ControllerPair} with a heartbeat), as the paired launcher opens it. */
    public final boolean paired;
    private io.evasan.nsc.api.Records records;
    private io.vertx.core.Vertx pairVertx;
    public ManagementServer server;
    public int port;
    public String token;
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    /** Applied to every server config this fixture builds (tests: manual clock, TLS). */
    final java.util.function.UnaryOperator<ManagementConfig> configure;

    ApplianceFixture() throws IOException {
        this(c -> c);
    }

    ApplianceFixture(java.util.function.UnaryOperator<ManagementConfig> configure) throws IOException {
        this("mgmt-", configure);
    }

    /** The appliance in a new folder {@code target/<dirPrefix>NNN}, its server config passed through {@code configure}. */
    protected ApplianceFixture(String dirPrefix, java.util.function.UnaryOperator<ManagementConfig> configure) throws IOException {
        this(dirPrefix, configure, false);
    }

    /** As above; {@code paired}: two controllers (NSC A and B) over a {@code ControllerPair}. */
    protected ApplianceFixture(String dirPrefix, java.util.function.UnaryOperator<ManagementConfig> configure, boolean paired)
            throws IOException {
        this.configure = configure;
        this.paired = paired;
        Files.createDirectories(Path.of("target"));
        dir = Files.createTempDirectory(Path.of("target"), dirPrefix);
        openAll();
    }

    /** Opens (or reopens) pool, mapping, trees and controller over {@link #dir}, then the server. */
    private void openAll() throws IOException {
        pool = Pools.openOrCreate(dir.resolve("pool"), PoolSpec.uniform("dg0", 8, 96L << 20), registry);
        mapping = Mappings.open(pool, dir.resolve("mapping"), MappingOptions.defaults().withFsync(false).withRegistry(registry));
        trees = new SharingTreesImpl(new MappingSegmentMaps(mapping, pool, pool.diskGroups().get(0).id(), RaidLevel.RAID5, "st-"),
                SharingConfig.defaults().withBackground(false), new SharingStats(registry));
        ControllerConfig cc = new ControllerConfig(dir.resolve("nsc0")).poolIdentity(pool.id().toString())
                .lunCatalog(mapping.mld()).meterRegistry(registry);
        if (paired) {   // as nsc-controller's PairedStack: the pair's router is the controller's cache
            io.evasan.nsc.cell.CommandLog log = new io.evasan.nsc.cell.CommandLog();
            records = new io.evasan.nsc.cell.impl.MldRecords(mapping.mld(), log);
            pairVertx = io.vertx.core.Vertx.vertx();
            pair = new io.evasan.nsc.cell.pair.ControllerPair(io.evasan.nsc.cell.pair.PairOptions.defaults(dir.resolve("cell"),
                    () -> new CacheConfig().segmentSize(256 * 1024).segmentCount(16), null, records, pairVertx)
                    .withHeartbeat(50, 1500));
            controller = Controller.open(cc.commandLog(log).cacheFactory(pair::open), trees);
            pair.follow(log);   // as the launcher: a deleted LUN loses its ownership record
            pair.start();
        } else {
            controller = Controller.open(cc.cache(new CacheConfig().segmentSize(256 * 1024).segmentCount(16)), trees);
        }
        startServer();
    }

    /**
     * A clean restart of the whole appliance over the same files (server, controller, trees, mapping and
     * pool closed in that order, then opened again); the token stays valid.
     */
    public void reopen() throws IOException {
        String t = token;
        server.stop();
        server = null;
        closeStack();
        registry.clear();
        openAll();
        token = t;
    }

    /** The cell API over the current pool, trees and controller (what the launcher hands the management server). */
    public io.evasan.nsc.api.Cell cell() {
        if (paired) {
            return new io.evasan.nsc.cell.impl.StorageCell(pool, trees, controller, records, pair);
        }
        return new io.evasan.nsc.cell.impl.StorageCell(pool, trees, controller, mapping.mld());
    }

    /** (Re)starts the management server with the config this fixture was made with. */
    public void startServer() {
        startServer(configure);
    }

    /** (Re)starts the management server; {@code tweak} adjusts the config (e.g. TLS). */
    public void startServer(java.util.function.UnaryOperator<ManagementConfig> tweak) {
        server = new ManagementServer(tweak.apply(new ManagementConfig().port(0).records(cell().records())
                .snapshotTimeoutMillis(20_000)), cell(), registry);
        port = server.start();
        server.createdToken().ifPresent(t -> token = t);
    }

    public void stopServer() {
        server.stop();
        server = null;
    }

    HttpResponse<String> send(String method, String path, String body, String authHeader) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.scheme() + "://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (authHeader != null) {
            b.header("Authorization", authHeader);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Closes the pair (heartbeat), controller, trees, mapping and pool, in that order. */
    private void closeStack() {
        if (pair != null) {
            pair.close();
        }
        controller.close();
        trees.close();
        mapping.close();
        pool.close();
        if (pairVertx != null) {
            pairVertx.close().toCompletionStage().toCompletableFuture().join();
            pairVertx = null;
        }
    }

    public HttpResponse<String> call(String method, String path, String body) {
        return send(method, path, body, "Bearer " + token);
    }

    @Override
    public void close() throws IOException {
        if (server != null) {
            server.stop();
        }
        closeStack();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}

package io.evasan.mgmt.cli;

import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.mgmt.ManagementConfig;
import io.evasan.mgmt.ManagementServer;
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
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A running appliance for the CLI tests (the launcher's sequence, as mgmt-ui's ApplianceFixture): a pool
 * of 8 small sparse drives under target/, mapping, sharing trees with BGCOPY driven by the test
 * ({@code trees.bgcopyStep}), a controller and a ManagementServer on a free loopback port with its
 * token in the MLD. {@link #sanctl} runs one sanctl command in-process with captured stdout/stderr.
 */
final class CliFixture implements AutoCloseable {
    /** One sanctl run: exit code and everything printed. */
    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    final Path dir;
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final Pool pool;
    final Mapping mapping;
    final SharingTreesImpl trees;
    final Controller controller;
    ManagementServer server;
    int port;
    String token;
    String scheme = "http";

    CliFixture() throws IOException {
        Files.createDirectories(Path.of("target"));
        dir = Files.createTempDirectory(Path.of("target"), "sanctl-");
        pool = Pools.openOrCreate(dir.resolve("pool"), PoolSpec.uniform("dg0", 8, 96L << 20), registry);
        mapping = Mappings.open(pool, dir.resolve("mapping"), MappingOptions.defaults().withFsync(false).withRegistry(registry));
        trees = new SharingTreesImpl(new MappingSegmentMaps(mapping, pool, pool.diskGroups().get(0).id(), RaidLevel.RAID5, "st-"),
                SharingConfig.defaults().withBackground(false), new SharingStats(registry));
        controller = Controller.open(new ControllerConfig(dir.resolve("nsc0")).poolIdentity(pool.id().toString())
                .lunCatalog(mapping.mld()).meterRegistry(registry)
                .cache(new CacheConfig().segmentSize(256 * 1024).segmentCount(16)), trees);
        startServer(UnaryOperator.identity());
    }

    /** (Re)starts the management server; {@code tweak} adjusts the config (e.g. TLS). */
    void startServer(UnaryOperator<ManagementConfig> tweak) {
        server = new ManagementServer(tweak.apply(new ManagementConfig().port(0).credentialMld(mapping.mld()).snapshotTimeoutMillis(20_000)),
                pool, trees, controller, registry);
        port = server.start();
        server.createdToken().ifPresent(t -> token = t);
    }

    void stopServer() {
        server.stop();
        server = null;
    }

    String url() {
        return scheme + "://127.0.0.1:" + port;
    }

    /** The environment a user would have: SANCTL_URL and SANCTL_TOKEN set. */
    Map<String, String> env() {
        Map<String, String> e = new HashMap<>();
        e.put("SANCTL_URL", url());
        e.put("SANCTL_TOKEN", token);
        return e;
    }

    Run sanctl(String... args) {
        return sanctl(env(), args);
    }

    static Run sanctl(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Sanctl.commandLine(new Sanctl(env), new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Override
    public void close() throws IOException {
        if (server != null) {
            server.stop();
        }
        controller.close();
        trees.close();
        mapping.close();
        pool.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}

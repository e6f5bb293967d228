package io.evasan.nsc.cell.pair;

import io.evasan.nsc.api.Records;
import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.cell.heartbeat.HeartbeatOptions;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * How a controller pair is built. {@code stateDirectory}: each controller's non-volatile cache log lives in
 * {@code nsc-a/cache.log} and {@code nsc-b/cache.log} under it ({@code nonVolatile} false: volatile caches, tests
 * only); {@code cacheConfig}: a fresh cache configuration per cache opened; {@code records}: where ownership is
 * kept (null: in memory, tests); {@code vertx}: the event bus the heartbeat runs on (null: no heartbeat, a crash
 * is acted on at once); {@code heartbeat}: interval / suspect / timeout in ms; {@code transitionMillis}: how long a
 * host call waits for a takeover before BUSY; {@code legacyLog}: see {@link #withLegacyLog}; {@code leaseStore}: see
 * {@link #withLease}; {@code mirrorHost}: see {@link #withMirrorHost}.
 */
public record PairOptions(Path stateDirectory, boolean nonVolatile, Supplier<CacheConfig> cacheConfig,
                          MeterRegistry registry, Records records, Vertx vertx, long heartbeatIntervalMillis,
                          long heartbeatTimeoutMillis, long transitionMillis, Path legacyLog,
                          io.evasan.mld.lease.LeaseStore leaseStore, MirrorHost mirrorHost) {
    public PairOptions {
        Objects.requireNonNull(stateDirectory, "stateDirectory");
        Objects.requireNonNull(cacheConfig, "cacheConfig");
        if (heartbeatIntervalMillis < 1 || heartbeatTimeoutMillis < heartbeatIntervalMillis || transitionMillis < 1) {
            throw new IllegalArgumentException("heartbeat interval " + heartbeatIntervalMillis + " ms, timeout "
                    + heartbeatTimeoutMillis + " ms, transition " + transitionMillis + " ms");
        }
    }

    /** Non-volatile caches, heartbeat every 100 ms, dead after 500 ms, hosts wait up to 10 s for a takeover. */
    public static PairOptions defaults(Path stateDirectory, Supplier<CacheConfig> cacheConfig, MeterRegistry registry,
                                       Records records, Vertx vertx) {
        return new PairOptions(stateDirectory, true, cacheConfig, registry, records, vertx, 100, 500, 10_000, null, null, null);
    }

    public PairOptions withNonVolatile(boolean v) {
        return new PairOptions(stateDirectory, v, cacheConfig, registry, records, vertx, heartbeatIntervalMillis,
                heartbeatTimeoutMillis, transitionMillis, legacyLog, leaseStore, mirrorHost);
    }

    public PairOptions withHeartbeat(long intervalMillis, long timeoutMillis) {
        return new PairOptions(stateDirectory, nonVolatile, cacheConfig, registry, records, vertx, intervalMillis,
                timeoutMillis, transitionMillis, legacyLog, leaseStore, mirrorHost);
    }

    /**
     * The single controller's cache log of an older data directory: replayed into the backend (and removed) before
     * the pair's caches open, so an upgrade keeps every write that controller acknowledged.
     */
    public PairOptions withLegacyLog(Path log) {
        return new PairOptions(stateDirectory, nonVolatile, cacheConfig, registry, records, vertx, heartbeatIntervalMillis,
                heartbeatTimeoutMillis, transitionMillis, log, leaseStore, mirrorHost);
    }

    /**
     * The quorum lease on the pool's quorum areas decides who may write shared storage when the two cannot talk
     * ({@link PairLease}); null (the default): the embedded arbiter alone (tests without drives).
     */
    public PairOptions withLease(io.evasan.mld.lease.LeaseStore store) {
        return new PairOptions(stateDirectory, nonVolatile, cacheConfig, registry, records, vertx, heartbeatIntervalMillis,
                heartbeatTimeoutMillis, transitionMillis, legacyLog, store, mirrorHost);
    }

    /**
     * The clustered cell's leader: both controllers' caches run in this process and mirror into replicas the partner
     * process holds ({@code host}); this process writes the pool only under its own quorum lease
     * ({@link MirrorHost#permit}); there is no in-process heartbeat, lease or drill (the processes are drilled). Null
     * (the default): the embedded cell.
     */
    public PairOptions withMirrorHost(MirrorHost host) {
        return new PairOptions(stateDirectory, nonVolatile, cacheConfig, registry, records, vertx, heartbeatIntervalMillis,
                heartbeatTimeoutMillis, transitionMillis, legacyLog, leaseStore, host);
    }

    /**
     * The quorum areas holding the cell's lease: the first five of the pool's, spread over disk groups as the MLD's
     * copies are (the same list on both controllers; a majority of them must answer a renewal).
     */
    public static java.util.List<io.evasan.raid.drive.QuorumArea> leaseAreas(io.evasan.raid.Pool pool) {
        java.util.List<io.evasan.raid.drive.QuorumArea> all = io.evasan.mapping.impl.MappingImpl.spreadOverGroups(pool);
        return all.subList(0, Math.min(5, all.size()));
    }

    HeartbeatOptions heartbeatOf(String self, String partner) {
        long suspect = Math.max(heartbeatIntervalMillis, heartbeatTimeoutMillis / 2);
        return new HeartbeatOptions(self, partner, heartbeatIntervalMillis, suspect, heartbeatTimeoutMillis);
    }
}

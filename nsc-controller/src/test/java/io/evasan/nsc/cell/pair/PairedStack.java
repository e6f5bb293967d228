package io.evasan.nsc.cell.pair;

import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.nsc.Controller;
import io.evasan.nsc.ControllerConfig;
import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.cell.CommandLog;
import io.evasan.nsc.cell.impl.MldRecords;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.sharing.SharingConfig;
import io.evasan.sharing.SharingStats;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.impl.MappingSegmentMaps;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The launcher's opening sequence with a controller pair over a real pool of small sparse drives: pool -> mapping
 * -> sharing trees (RAID5) -> controller whose cache is the pair's (two non-volatile caches, mirrored, ownership in
 * the MLD). {@link #crash} stops everything as kill -9 of the appliance would (both caches halted with their logs
 * as they are); {@link #close} is the clean stop.
 */
final class PairedStack implements AutoCloseable {
    final Pool pool;
    final Mapping mapping;
    final SharingTreesImpl trees;
    final ControllerPair pair;
    final Controller ctl;
    private boolean crashed;

    PairedStack(Path dir, Vertx vertx) {
        this(dir, vertx, 100, 2000);
    }

    /** With the heartbeat's interval and timeout ({@code vertx} null: no heartbeat, a crash is acted on at once). */
    PairedStack(Path dir, Vertx vertx, long heartbeatIntervalMillis, long heartbeatTimeoutMillis) {
        this(dir, vertx, heartbeatIntervalMillis, heartbeatTimeoutMillis, false);
    }

    /** {@code lease}: the pair decides with the quorum lease on the pool's first five quorum areas. */
    PairedStack(Path dir, Vertx vertx, long heartbeatIntervalMillis, long heartbeatTimeoutMillis, boolean lease) {
        List<DriveSpec> drives = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            drives.add(DriveSpec.file(String.format("drives/d%02d.img", i), 128L << 20));
        }
        pool = Pools.openOrCreate(dir.resolve("pool"), new PoolSpec(List.of(new GroupSpec("dg0", drives))));
        mapping = Mappings.open(pool, dir.resolve("mapping"), MappingOptions.defaults());
        trees = new SharingTreesImpl(new MappingSegmentMaps(mapping, pool, pool.diskGroups().get(0).id(),
                RaidLevel.RAID5, "nsc-"), SharingConfig.defaults().withBackground(false), SharingStats.standalone());
        CommandLog log = new CommandLog();
        pair = new ControllerPair(PairOptions.defaults(dir.resolve("cell"),
                () -> new CacheConfig().segmentSize(256 * 1024).segmentCount(16), null,
                new MldRecords(mapping.mld(), log), vertx).withHeartbeat(heartbeatIntervalMillis, heartbeatTimeoutMillis)
                .withLease(lease ? io.evasan.mld.lease.LeaseStore.open(PairOptions.leaseAreas(pool)) : null));
        ctl = Controller.open(new ControllerConfig(dir.resolve("nsc0")).poolIdentity("paired-stack")
                .lunCatalog(mapping.mld()).commandLog(log).cacheFactory(pair::open), trees);
        pair.start();
    }

    /** kill -9 of the whole appliance: no destage, no trim; the next open replays both logs. */
    void crash() {
        crashed = true;
        pair.abandonLease();
        pair.close();
        for (NscId id : NscId.values()) {
            WriteBackCache c = pair.caches().cache(id);
            if (c != null) {
                c.halt();
            }
        }
        trees.close();
        mapping.close();
        pool.close();
    }

    @Override
    public void close() {
        if (crashed) {
            return;
        }
        pair.close();
        ctl.close();
        pair.releaseLease();
        trees.close();
        mapping.close();
        pool.close();
    }
}
